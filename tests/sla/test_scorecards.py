"""A supervisor's evaluation rests on figures anyone can recompute by hand from the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Role
from incidents.models import CallOutcome, Priority
from incidents.services import (
    call_record,
    dispatch_acknowledge,
    dispatch_mark_on_scene,
    incident_dispatch,
    incident_update,
)
from sla.scorecards import Period, agency_report, operator_scorecard
from sla.services.escalation import escalations_fire_due
from tests.factories import make_dispatched_incident, make_incident, make_member
from tests.sla.frozen import T0

pytestmark = pytest.mark.django_db

SHIFT = Period(T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=6))


def take_and_dispatch(operator, agency, after, start: dt.timedelta, seconds: int, **fields):  # type: ignore[no-untyped-def]
    """A P1 case taken ``start`` into the morning and dispatched ``seconds`` later."""
    after(seconds=start.total_seconds())
    case = make_incident(operator, priority=Priority.P1, **fields)
    after(seconds=start.total_seconds() + seconds)
    incident_dispatch(incident=case, agencies=[agency], actor=operator)
    return case


@pytest.fixture
def morning(world, after):  # type: ignore[no-untyped-def]
    """Two operators' shift. P1's T0→T1 target is 60 s (a dispatch at 60 s meets it).

    Sari: 30, 45, 60 and 180 s; one case without a callback number, one without a location;
    one case corrected by the supervisor; a prank and a dropped call.
    Budi: 20 and 100 s. Before the shift, Sari's case of yesterday (not counted).
    """
    sari = world.operator
    budi = make_member(world.centre, Role.OPERATOR, username="budi")
    minute = dt.timedelta(minutes=1)

    after(hours=-2)
    make_incident(sari, priority=Priority.P1)  # before the period: not counted
    for index, seconds in enumerate([30, 45, 60, 180]):
        fields = {}
        if index == 1:
            fields = {"caller_phone": ""}
        if index == 2:
            fields = {"kecamatan": ""}
        case = take_and_dispatch(
            sari, world.police, after, (10 + index * 10) * minute, seconds, **fields
        )
        if index == 3:
            incident_update(
                incident=case, actor=world.supervisor, changes={"location_text": "Jl. Baru"}
            )
    for index, seconds in enumerate([20, 100]):
        take_and_dispatch(budi, world.health, after, (70 + index * 10) * minute, seconds)
    after(hours=3)
    call_record(operator=sari, outcome=CallOutcome.PRANK)
    call_record(operator=sari, outcome=CallOutcome.DROPPED)
    return sari, budi


def test_an_operators_scorecard_matches_the_hand_count(morning):
    sari, _ = morning

    card = operator_scorecard(sari, SHIFT)["own"]

    assert card["calls"][CallOutcome.INCIDENT] == 4
    assert card["calls"][CallOutcome.PRANK] == 1
    assert card["calls"][CallOutcome.DROPPED] == 1
    assert card["calls_total"] == 6
    assert card["cases_created"] == 4
    # 30, 45, 60, 180: median (45 + 60) / 2; 90th: 60 + 0.7 × (180 − 60)
    assert card["dispatch_median_seconds"] == pytest.approx(52.5)
    assert card["dispatch_p90_seconds"] == pytest.approx(144.0)
    assert card["dispatch_measured"] == 4
    assert card["dispatch_within_target"] == pytest.approx(3 / 4)
    assert card["dispatch_breaches"] == 1
    assert card["complete_callback"] == pytest.approx(3 / 4)
    assert card["complete_location"] == pytest.approx(3 / 4)
    assert card["complete_category"] == 1
    assert (card["corrections"], card["cases_corrected"]) == (1, 1)


def test_the_centres_figures_stand_beside_the_operators(morning):
    _, budi = morning

    centre = operator_scorecard(budi, SHIFT)["centre"]

    # 20, 30, 45, 60, 100, 180: median (45 + 60) / 2; 90th: 100 + 0.5 × (180 − 100)
    assert centre["dispatch_median_seconds"] == pytest.approx(52.5)
    assert centre["dispatch_p90_seconds"] == pytest.approx(140.0)
    assert centre["dispatch_within_target"] == pytest.approx(4 / 6)
    assert centre["operators"] == 2
    assert centre["cases_created"] == pytest.approx(6 / 2)
    assert centre["calls_total"] == pytest.approx(8 / 2)
    assert centre["dispatch_breaches"] == pytest.approx(2 / 2)
    own = operator_scorecard(budi, SHIFT)["own"]
    assert (own["dispatch_median_seconds"], own["dispatch_p90_seconds"]) == (60.0, 92.0)


def test_the_centres_figures_are_counted_once_for_every_card_of_a_meeting(morning):
    sari, budi = morning
    with CaptureQueriesContext(connection) as first:
        operator_scorecard(sari, SHIFT)
    with CaptureQueriesContext(connection) as second:
        card = operator_scorecard(budi, SHIFT)

    assert len(second) < len(first)
    assert card["centre"]["operators"] == 2


def test_an_empty_period_has_no_figures_rather_than_zeroes(morning):
    sari, _ = morning
    night = Period(T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=3))

    card = operator_scorecard(sari, night)["own"]

    assert card["calls_total"] == 0
    assert card["dispatch_median_seconds"] is None
    assert card["dispatch_within_target"] is None
    assert card["complete_location"] is None


def test_a_period_must_be_aware_and_run_forwards():
    with pytest.raises(ValueError):
        Period(T0, T0)
    with pytest.raises(ValueError):
        Period(T0.replace(tzinfo=None), T0 + dt.timedelta(days=1))
    assert SHIFT.previous.end == SHIFT.start


def test_an_agencys_report_matches_the_hand_count(world, after):
    """The police's morning, P2 (acknowledge within 5 min, on scene within 40 min)."""
    after(hours=-3)
    make_dispatched_incident(world.operator, [world.police], priority=Priority.P2)  # before
    after(minutes=0)
    _, [first] = make_dispatched_incident(world.operator, [world.police], priority=Priority.P2)
    make_dispatched_incident(world.operator, [world.health], priority=Priority.P2)  # not theirs
    after(minutes=2)
    dispatch_acknowledge(dispatch=first, actor=world.police_staff)
    after(minutes=25)
    dispatch_mark_on_scene(dispatch=first, actor=world.police_staff)
    after(hours=1)
    _, [second] = make_dispatched_incident(world.operator, [world.police], priority=Priority.P2)
    after(hours=1, minutes=4)
    dispatch_acknowledge(dispatch=second, actor=world.police_staff)
    after(hours=1, minutes=50)
    dispatch_mark_on_scene(dispatch=second, actor=world.police_staff)  # late
    after(hours=2)
    _, [third] = make_dispatched_incident(world.operator, [world.police], priority=Priority.P2)
    escalations_fire_due(now=after(hours=2, minutes=9))  # 180 % of 5 min: rungs 1 and 2
    after(hours=2, minutes=10)
    dispatch_acknowledge(dispatch=third, actor=world.police_staff)  # late; never on scene yet

    report = agency_report(world.police, SHIFT)

    assert (report["cases_received"], report["dispatches_received"]) == (3, 3)
    # 2, 4, 10 min: median 4 min; 90th: 4 + 0.8 × (10 − 4) = 8.8 min
    assert report["acknowledge"] == {
        "median_seconds": 240.0,
        "p90_seconds": pytest.approx(528.0),
        "measured": 3,
        "within_target": pytest.approx(2 / 3),
        "breaches": 1,
    }
    # 25, 50 min (the third still running): median 37.5 min; 90th: 25 + 0.9 × 25 = 47.5 min
    assert report["on_scene"] == {
        "median_seconds": 2250.0,
        "p90_seconds": pytest.approx(2850.0),
        "measured": 2,
        "within_target": 0.5,
        "breaches": 1,
    }
    # The third's acknowledge: rungs 1 and 2; the second's on scene: rung 1, owed since it fell
    # due at 40 min while the clock ran (no sweep came before the team arrived at 50 min).
    assert report["escalations_by_level"] == {1: 2, 2: 1}
    assert agency_report(world.health, SHIFT)["cases_received"] == 1
