"""A case's resolution time (T4) is its last field report, not a later decline or cancel."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from incidents.services import dispatch_acknowledge, dispatch_cancel, dispatch_resolve
from tests.factories import make_dispatched_incident


def test_case_resolved_at_is_the_cancel_time_not_the_resolution(world):
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        inc, [police, health] = make_dispatched_incident(
            world.operator, [world.police, world.health]
        )
    with time_machine.travel(t0 + dt.timedelta(minutes=5), tick=False):
        dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    with time_machine.travel(t0 + dt.timedelta(minutes=30), tick=False):
        dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="done")
    with time_machine.travel(t0 + dt.timedelta(hours=5), tick=False):
        dispatch_cancel(dispatch=health, actor=world.operator, reason="not needed")
    inc.refresh_from_db()
    police.refresh_from_db()
    print(
        "\ncase",
        inc.status,
        "resolved_at - t0 =",
        inc.resolved_at - t0,
        "; police resolved_at - t0 =",
        police.resolved_at - t0,
    )
    assert inc.resolved_at == police.resolved_at
