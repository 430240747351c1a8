"""Two operators saving at the same moment on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from incidents.models import Incident
from tests.factories import CategoryFactory, make_incident
from tests.servers import require_postgres


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cases_get_consecutive_references(world):
    require_postgres()
    category = CategoryFactory()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def take_calls() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                make_incident(world.operator, category=category)
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take_calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(
        int(r.rsplit("-", 1)[1]) for r in Incident.objects.values_list("reference", flat=True)
    )
    assert numbers == list(range(1, 21))
