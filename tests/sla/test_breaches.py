"""Why a target was missed: recorded once by whoever answers for the clock, read by the centre
and by the agency whose clock it was, ranked in the reports, chased after a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from agencies.models import Role
from cc112.errors import ActionForbidden, DomainError
from incidents.models import Priority
from incidents.services import dispatch_acknowledge, incident_dispatch
from sla.models import BreachCause, BreachReason, Clock, ClockKind
from sla.reports import period_report
from sla.scorecards import Period, agency_report
from sla.services import breach_explain, unexplained_breaches
from tests.factories import make_dispatched_incident, make_incident, make_member
from tests.sla.frozen import T0

pytestmark = pytest.mark.django_db
K = ClockKind


@pytest.fixture
def late_police(world, after):  # type: ignore[no-untyped-def]
    """A P1 case the police acknowledged 3 min after dispatch (target 1 min): breached."""
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    after(minutes=3)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    return Clock.objects.get(dispatch=dispatch, kind=K.ACKNOWLEDGE)


def test_the_police_head_records_why_the_police_were_late_once_with_history(world, late_police):
    reason = breach_explain(clock=late_police, actor=world.police_head, cause=BreachCause.NO_UNIT)

    assert (reason.cause, reason.recorded_by, reason.recorded_at) == (
        "no_unit",
        world.police_head,
        T0 + dt.timedelta(minutes=3),
    )
    [entry] = reason.history.all()
    assert (entry.history_user, entry.history_change_reason) == (
        world.police_head,
        "breach explained: no_unit",
    )
    with pytest.raises(DomainError, match="sudah pernah dicatat"):
        breach_explain(
            clock=late_police, actor=world.police_head, cause=BreachCause.OTHER, explanation="Lagi"
        )
    assert BreachReason.objects.count() == 1


def test_a_duty_officer_may_explain_staff_and_other_agencies_may_not(world, late_police):
    duty = make_member(world.police, Role.DUTY_OFFICER, username="police_duty")
    health_duty = make_member(world.health, Role.DUTY_OFFICER, username="health_duty")

    for someone in (world.police_staff, health_duty, world.supervisor, world.operator):
        with pytest.raises(ActionForbidden):
            breach_explain(clock=late_police, actor=someone, cause=BreachCause.NO_UNIT)
    breach_explain(clock=late_police, actor=duty, cause=BreachCause.ACCESS_BLOCKED)

    assert BreachReason.objects.get().recorded_by == duty


def test_a_supervisor_explains_the_operators_and_the_cases_own_breaches(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(minutes=5)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    operators = Clock.objects.get(incident=incident, kind=K.DISPATCH)

    with pytest.raises(ActionForbidden):
        breach_explain(clock=operators, actor=world.police_head, cause=BreachCause.LATE_DISPATCH)
    with pytest.raises(ActionForbidden):
        breach_explain(clock=operators, actor=world.operator, cause=BreachCause.LATE_DISPATCH)
    breach_explain(clock=operators, actor=world.supervisor, cause=BreachCause.CALLER_UNREACHABLE)
    after(hours=3)  # the case's handling (2 h) is overdue while it runs: a breach already
    handling = Clock.objects.get(incident=incident, kind=K.HANDLING)
    breach_explain(clock=handling, actor=world.coordinator, cause=BreachCause.SYSTEM_FAULT)

    assert BreachReason.objects.count() == 2


def test_a_met_clock_or_a_bad_cause_is_refused_and_nothing_written(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    after(seconds=30)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    met = Clock.objects.get(dispatch=dispatch, kind=K.ACKNOWLEDGE)
    on_scene = Clock.objects.get(dispatch=dispatch, kind=K.ON_SCENE)  # 15 min, not yet due

    with translation.override("en"):
        with pytest.raises(DomainError, match="did not breach"):
            breach_explain(clock=met, actor=world.police_head, cause=BreachCause.NO_UNIT)
        with pytest.raises(DomainError, match="did not breach"):
            breach_explain(clock=on_scene, actor=world.police_head, cause=BreachCause.NO_UNIT)
        after(minutes=20)
        with pytest.raises(ValidationError) as other:
            breach_explain(clock=on_scene, actor=world.police_head, cause=BreachCause.OTHER)
        assert "explanation" in other.value.message_dict
        with pytest.raises(ValidationError) as unknown:
            breach_explain(clock=on_scene, actor=world.police_head, cause="blame_it_on_rain")
        assert "cause" in unknown.value.message_dict
    assert not BreachReason.objects.exists()


def test_an_agency_reads_only_its_own_clocks_reasons(world, after):
    """A case both agencies work: each breached; the health office does not read why the
    police were late, the centre reads both."""
    _incident, [police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health], priority=Priority.P1
    )
    after(minutes=4)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    dispatch_acknowledge(dispatch=health, actor=world.health_staff)
    health_head = make_member(world.health, Role.HEAD, username="health_head")
    police_clock = Clock.objects.get(dispatch=police, kind=K.ACKNOWLEDGE)
    health_clock = Clock.objects.get(dispatch=health, kind=K.ACKNOWLEDGE)
    breach_explain(clock=police_clock, actor=world.police_head, cause=BreachCause.NO_UNIT)
    breach_explain(clock=health_clock, actor=health_head, cause=BreachCause.ADDRESS_UNCLEAR)

    def read(user):  # type: ignore[no-untyped-def]
        return set(BreachReason.objects.visible_to(user).values_list("cause", flat=True))

    assert read(world.supervisor) == {"no_unit", "address_unclear"}
    assert read(world.police_staff) == {"no_unit"}
    assert read(world.health_staff) == {"address_unclear"}
    assert read(world.outsider) == set()


def test_breaches_unexplained_a_day_later_are_listed_for_whoever_answers(world, late_police, after):
    _health_case, [health] = make_dispatched_incident(
        world.operator, [world.health], priority=Priority.P1
    )
    after(minutes=5)
    dispatch_acknowledge(dispatch=health, actor=world.health_staff)
    after(hours=23)
    assert not unexplained_breaches(world.supervisor).filter(kind=K.ACKNOWLEDGE).exists()
    after(hours=26)  # the resolve clock (90 min) fell due 24 h 30 min ago too

    police_list = list(unexplained_breaches(world.police_head))
    supervisor_list = list(unexplained_breaches(world.supervisor))

    assert {c.kind for c in police_list} == {K.ACKNOWLEDGE, K.ON_SCENE, K.RESOLVE}
    assert {c.agency_id for c in police_list} == {world.police.pk}
    assert late_police in supervisor_list
    assert {c.agency_id for c in supervisor_list} >= {world.police.pk, world.health.pk}
    assert not unexplained_breaches(world.police_staff).exists()
    assert not unexplained_breaches(world.operator).exists()
    breach_explain(clock=late_police, actor=world.police_head, cause=BreachCause.NO_UNIT)
    assert late_police not in list(unexplained_breaches(world.supervisor))


def test_the_reports_rank_the_causes_per_agency(world, after):
    """Three police breaches in the morning: two for lack of a unit, one blocked access, and
    one health breach nobody explained."""
    clocks = []
    for _ in range(3):
        _incident, [dispatch] = make_dispatched_incident(
            world.operator, [world.police], priority=Priority.P1
        )
        clocks.append(dispatch)
    _incident, [health] = make_dispatched_incident(
        world.operator, [world.health], priority=Priority.P1
    )
    after(minutes=2)
    for dispatch in [*clocks, health]:
        staff = world.health_staff if dispatch == health else world.police_staff
        dispatch_acknowledge(dispatch=dispatch, actor=staff)
    causes = [BreachCause.NO_UNIT, BreachCause.ACCESS_BLOCKED, BreachCause.NO_UNIT]
    for dispatch, cause in zip(clocks, causes, strict=True):
        clock = Clock.objects.get(dispatch=dispatch, kind=K.ACKNOWLEDGE)
        breach_explain(clock=clock, actor=world.police_head, cause=cause)
    day = Period(T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1))

    report = period_report(day)

    rows = {row["code"]: row["breach_reasons"] for row in report["agencies"]}
    assert rows["polresta"] == {
        "causes": [
            {"cause": "no_unit", "breaches": 2},
            {"cause": "access_blocked", "breaches": 1},
        ],
        "unexplained": 0,
    }
    assert rows["dinkes"] == {"causes": [], "unexplained": 1}
    assert agency_report(world.police, day)["breach_reasons"] == rows["polresta"]
