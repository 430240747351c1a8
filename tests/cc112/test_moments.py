"""A moment reads the same whether Python or the database writes it."""

from __future__ import annotations

import datetime as dt

import pytest

from cc112.moments import UtcText, local_moment, utc_text
from incidents.models import Incident
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

WIT = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    "received_at",
    [
        dt.datetime(2025, 12, 16, 10, 1, tzinfo=WIT),  # no fraction: stored without one
        dt.datetime(2025, 12, 16, 10, 1, 0, 500000, tzinfo=WIT),
        dt.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 8, 0, 0, 7, tzinfo=WIT),  # the day before in UTC
    ],
)
def test_the_database_writes_a_moment_as_the_api_does(world, received_at):
    case = make_incident(world.operator, received_at=received_at)

    made = Incident.objects.filter(pk=case.pk).values_list(UtcText("received_at"), flat=True)

    assert made.get() == utc_text(received_at)
    assert utc_text(received_at).endswith("Z")
    assert dt.datetime.fromisoformat(utc_text(received_at)) == received_at


def test_no_moment_is_no_text(world):
    case = make_incident(world.operator)

    made = Incident.objects.filter(pk=case.pk).values_list(UtcText("closed_at"), flat=True)

    assert made.get() is None
    assert utc_text(None) is None


def test_a_local_moment_names_its_zone():
    """Staff read a moment as it is in Ambon, to the second, with the zone named."""
    moment = dt.datetime(2025, 12, 16, 1, 1, tzinfo=dt.UTC)

    assert local_moment(moment) == "16-12-2025 10:01:00 WIT"
