"""One agency's step on a case does not hold up its steps on other cases (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

import incidents.services.dispatch as dispatch_mod
from incidents.services import dispatch_acknowledge, note_add
from tests.factories import make_dispatched_incident
from tests.servers import require_postgres


@pytest.mark.django_db(transaction=True)
def test_steps_on_different_cases_of_one_agency_do_not_wait_for_each_other(world, monkeypatch):
    require_postgres()
    _inc1, [d1] = make_dispatched_incident(world.operator, [world.police])
    inc2, [d2] = make_dispatched_incident(world.operator, [world.police])
    real = dispatch_mod.check_dispatch_transition
    held = threading.Event()

    def slow(current, target):
        if threading.current_thread().name == "A":
            held.set()
            time.sleep(2)  # A holds its locks
        return real(current, target)

    monkeypatch.setattr(dispatch_mod, "check_dispatch_transition", slow)
    took = {}

    def a():
        try:
            dispatch_acknowledge(dispatch=d1, actor=world.police_staff)
        finally:
            connection.close()

    def b(name, fn):
        def run():
            held.wait(5)
            t = time.monotonic()
            try:
                fn()
            finally:
                took[name] = time.monotonic() - t
                connection.close()

        return run

    threads = [
        threading.Thread(target=a, name="A"),
        threading.Thread(
            target=b(
                "ack other case", lambda: dispatch_acknowledge(dispatch=d2, actor=world.police_head)
            ),
            name="B",
        ),
        threading.Thread(
            target=b(
                "note by police on other case",
                lambda: note_add(incident=inc2, author=world.police_head, body="x"),
            ),
            name="C",
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(took.values()) < 1.0, "unrelated case waited for the police's agency row lock"
