"""A case's clocks start and stop as the centre and the agencies work it, never by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from agencies.models import AgencyKind, WorkingHours
from agencies.services import agency_update
from cc112.errors import TransitionRefused
from incidents.models import DispatchStatus, Priority
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_decline,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_cancel,
    incident_close,
    incident_dispatch,
    incident_reopen,
    incident_update,
)
from sla.models import Clock, ClockKind, ClockState, OfficeDay, Target
from sla.presentation import clock_verdict
from sla.services import clocks_follow_dispatch
from tests.factories import AgencyFactory, CategoryFactory, make_dispatched_incident, make_incident
from tests.sla.frozen import T0, WIT

K = ClockKind
S = ClockState
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def clock_of(dispatch, kind: str) -> Clock:  # type: ignore[no-untyped-def]
    return Clock.objects.get(dispatch=dispatch, kind=kind)


def dispatch_clock(incident) -> Clock:  # type: ignore[no-untyped-def]
    return Clock.objects.get(incident=incident, kind=K.DISPATCH)


# --- The operator's clock, T0 → T1 -------------------------------------------------------------


def test_a_new_case_starts_one_running_dispatch_clock_due_one_target_after_the_call(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)

    [clock] = Clock.objects.filter(incident=incident, kind=K.DISPATCH)
    assert clock.kind == K.DISPATCH
    assert clock.state == S.RUNNING
    assert clock.operator == world.operator
    assert clock.agency is None and clock.dispatch is None
    assert clock.started_at == incident.received_at == T0
    assert clock.target == 2 * MINUTE
    assert clock.due_at == T0 + 2 * MINUTE
    assert clock.working_time is False
    assert (clock.next_level, clock.next_escalation_at) == (1, clock.due_at)


def test_a_case_recorded_after_the_call_counts_from_when_the_call_was_answered(world, after):
    answered = T0 - 10 * MINUTE

    incident = make_incident(world.operator, priority=Priority.P1, received_at=answered)

    clock = dispatch_clock(incident)
    assert clock.started_at == answered
    assert clock.due_at == answered + dt.timedelta(seconds=60)


def test_a_first_dispatch_within_the_target_meets_the_operators_clock(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=45)

    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)

    clock = dispatch_clock(incident)
    assert clock.state == S.MET
    assert clock.elapsed == dt.timedelta(seconds=45)
    assert clock.stopped_at == T0 + dt.timedelta(seconds=45)
    assert (clock.next_level, clock.next_escalation_at) == (None, None)


def test_a_late_first_dispatch_breaches_the_operators_clock(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(minutes=3)

    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)

    clock = dispatch_clock(incident)
    assert clock.state == S.BREACHED
    assert clock.elapsed == 3 * MINUTE
    assert clock.lateness == 2 * MINUTE


def test_a_second_dispatch_leaves_the_operators_clock_as_the_first_stopped_it(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    after(minutes=1)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    after(minutes=10)

    incident_dispatch(incident=incident, agencies=[world.health], actor=world.operator)

    clock = dispatch_clock(incident)
    assert (clock.state, clock.elapsed, clock.stopped_at) == (S.MET, MINUTE, T0 + MINUTE)
    assert Clock.objects.filter(incident=incident, kind=K.DISPATCH).count() == 1


# --- The agencies' clocks, T1 → T2 and T1 → T3 ---------------------------------------------------


def test_each_dispatch_starts_its_agencys_acknowledge_and_on_scene_clocks(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    dispatched_at = after(minutes=1)

    dispatches = incident_dispatch(
        incident=incident, agencies=[world.police, world.health], actor=world.operator
    )

    for dispatch in dispatches:
        clocks = {c.kind: c for c in Clock.objects.filter(dispatch=dispatch)}
        assert set(clocks) == {K.ACKNOWLEDGE, K.ON_SCENE, K.RESOLVE}
        for clock in clocks.values():
            assert clock.agency == dispatch.agency
            assert clock.incident == incident
            assert clock.operator is None
            assert clock.state == S.RUNNING
            assert clock.started_at == dispatched_at
            assert clock.working_time is False
        assert clocks[K.ACKNOWLEDGE].due_at == dispatched_at + 5 * MINUTE
        assert clocks[K.ON_SCENE].due_at == dispatched_at + 40 * MINUTE
        assert clocks[K.RESOLVE].due_at == dispatched_at + 4 * HOUR
    # The operator's and the case's two, and three for each agency.
    assert Clock.objects.filter(incident=incident).count() == 3 + 2 * 3


def test_acknowledging_in_time_meets_the_acknowledge_clock_only(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=3)

    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)

    acknowledge = clock_of(dispatch, K.ACKNOWLEDGE)
    assert (acknowledge.state, acknowledge.elapsed) == (S.MET, 3 * MINUTE)
    assert acknowledge.next_escalation_at is None
    assert clock_of(dispatch, K.ON_SCENE).state == S.RUNNING


def test_acknowledging_late_breaches_the_acknowledge_clock(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=7, seconds=30)

    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)

    acknowledge = clock_of(dispatch, K.ACKNOWLEDGE)
    assert acknowledge.state == S.BREACHED
    assert acknowledge.lateness == dt.timedelta(minutes=2, seconds=30)


def test_arriving_on_scene_meets_the_on_scene_clock_counted_from_the_dispatch(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=2)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    after(minutes=5)
    dispatch_mark_en_route(dispatch=dispatch, actor=world.police_staff)
    after(minutes=25)

    dispatch_mark_on_scene(dispatch=dispatch, actor=world.police_staff)

    on_scene = clock_of(dispatch, K.ON_SCENE)
    assert (on_scene.state, on_scene.elapsed) == (S.MET, 25 * MINUTE)
    assert clock_of(dispatch, K.ACKNOWLEDGE).elapsed == 2 * MINUTE, "en route changed nothing"


def test_a_field_report_without_an_on_scene_step_answers_the_on_scene_clock(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=1)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    after(minutes=12)

    dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Ditangani di tempat")

    on_scene = clock_of(dispatch, K.ON_SCENE)
    assert (on_scene.state, on_scene.elapsed) == (S.MET, 12 * MINUTE)


def test_the_workflow_refuses_on_scene_before_acknowledgement_and_leaves_the_clocks(world, after):
    _incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    after(minutes=1)

    with pytest.raises(TransitionRefused):
        dispatch_mark_on_scene(dispatch=dispatch, actor=world.police_staff)

    assert set(Clock.objects.filter(dispatch=dispatch).values_list("state", flat=True)) == {
        S.RUNNING
    }


def test_a_dispatch_found_on_scene_with_its_acknowledge_clock_running_answers_both(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    arrived = after(minutes=8)
    # The workflow acknowledges first; the clocks alone answer both if they ever see it skipped.
    dispatch.status = DispatchStatus.ON_SCENE

    clocks_follow_dispatch(dispatch, arrived)

    acknowledge, on_scene = clock_of(dispatch, K.ACKNOWLEDGE), clock_of(dispatch, K.ON_SCENE)
    assert (acknowledge.state, acknowledge.elapsed) == (S.BREACHED, 8 * MINUTE)
    assert (on_scene.state, on_scene.elapsed) == (S.MET, 8 * MINUTE)


def test_declining_in_time_answers_acknowledge_and_withdraws_on_scene(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=2)

    dispatch_decline(dispatch=dispatch, actor=world.police_staff, reason="Bukan wilayah kami")

    acknowledge, on_scene = clock_of(dispatch, K.ACKNOWLEDGE), clock_of(dispatch, K.ON_SCENE)
    assert (acknowledge.state, acknowledge.elapsed) == (S.MET, 2 * MINUTE)
    assert (on_scene.state, on_scene.elapsed) == (S.WITHDRAWN, 2 * MINUTE)
    assert on_scene.stopped_at == T0 + 2 * MINUTE


def test_a_late_decline_breaches_acknowledge_but_on_scene_was_never_theirs(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=45)

    dispatch_decline(dispatch=dispatch, actor=world.police_staff, reason="Tidak ada personel")

    acknowledge, on_scene = clock_of(dispatch, K.ACKNOWLEDGE), clock_of(dispatch, K.ON_SCENE)
    assert (acknowledge.state, acknowledge.lateness) == (S.BREACHED, 40 * MINUTE)
    # Declined: the case went elsewhere, so however late, arriving was not this agency's to do.
    assert (on_scene.state, on_scene.elapsed) == (S.WITHDRAWN, 45 * MINUTE)


def test_the_centre_cancelling_a_dispatch_withdraws_both_its_clocks(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=3)

    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")

    for kind in (K.ACKNOWLEDGE, K.ON_SCENE):
        clock = clock_of(dispatch, kind)
        assert (clock.state, clock.elapsed, clock.next_escalation_at) == (
            S.WITHDRAWN,
            3 * MINUTE,
            None,
        )


def test_the_centre_cancelling_a_late_dispatch_leaves_the_agency_breached(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=8)

    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Dialihkan ke Kodim")

    assert clock_of(dispatch, K.ACKNOWLEDGE).state == S.BREACHED, "5 min target, 8 min silent"
    assert clock_of(dispatch, K.ON_SCENE).state == S.WITHDRAWN, "40 min target not yet due"


def test_re_dispatching_to_an_agency_that_declined_starts_fresh_clocks(world, after):
    incident, [declined] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=2)
    dispatch_decline(dispatch=declined, actor=world.police_staff, reason="Personel habis")
    again_at = after(minutes=6)

    [again] = incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)

    fresh = Clock.objects.filter(dispatch=again)
    assert {(c.kind, c.state, c.started_at) for c in fresh} == {
        (K.ACKNOWLEDGE, S.RUNNING, again_at),
        (K.ON_SCENE, S.RUNNING, again_at),
        (K.RESOLVE, S.RUNNING, again_at),
    }
    assert clock_of(declined, K.ACKNOWLEDGE).state == S.MET
    assert clock_of(declined, K.RESOLVE).state == S.WITHDRAWN
    assert Clock.objects.filter(incident=incident, agency=world.police).count() == 6


# --- T4: each agency's field report, and the case's whole handling time ------------------------


def case_clock(incident, kind: str) -> Clock:  # type: ignore[no-untyped-def]
    return Clock.objects.get(incident=incident, kind=kind)


def test_a_new_case_starts_its_handling_and_closing_clocks_at_t0_which_never_escalate(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)

    handling, closure = case_clock(incident, K.HANDLING), case_clock(incident, K.CLOSURE)
    assert (handling.started_at, handling.target, handling.state) == (T0, 2 * HOUR, S.RUNNING)
    assert (closure.started_at, closure.target) == (T0, 4 * HOUR)
    assert handling.agency is None and handling.operator is None
    assert (handling.next_level, handling.next_escalation_at) == (None, None)
    assert (closure.next_level, closure.next_escalation_at) == (None, None)


def test_a_field_report_in_time_meets_the_agencys_resolve_clock(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=2)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    after(hours=3)

    dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Massa bubar")

    clock = clock_of(dispatch, K.RESOLVE)
    assert (clock.state, clock.elapsed) == (S.MET, 3 * HOUR)


def test_the_case_is_handled_at_the_last_agencys_field_report(world, after):
    """P2 (handling within 5 h): the police report at 1 h, the health office at 5 h 30 min; the
    case's T0→T4 is 5 h 30 min, breached; its T0→closed runs on until the centre closes it."""
    incident = make_incident(world.operator, priority=Priority.P2)
    after(minutes=1)
    police, health = incident_dispatch(
        incident=incident, agencies=[world.police, world.health], actor=world.operator
    )
    after(minutes=3)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    dispatch_acknowledge(dispatch=health, actor=world.health_staff)
    after(hours=1)
    dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="Aman")
    assert case_clock(incident, K.HANDLING).state == S.RUNNING
    after(hours=5, minutes=30)

    dispatch_resolve(dispatch=health, actor=world.health_staff, resolution="Dirujuk ke RSUD")

    handling = case_clock(incident, K.HANDLING)
    assert (handling.state, handling.elapsed) == (S.BREACHED, 5 * HOUR + 30 * MINUTE)
    assert handling.stopped_at == T0 + 5 * HOUR + 30 * MINUTE
    assert case_clock(incident, K.CLOSURE).state == S.RUNNING
    after(hours=6)

    incident_close(incident=incident, actor=world.supervisor)

    closure = case_clock(incident, K.CLOSURE)
    assert (closure.state, closure.elapsed) == (S.MET, 6 * HOUR)


def test_a_case_handled_on_the_phone_withdraws_its_handling_and_meets_its_closing(world, after):
    incident = make_incident(world.operator, priority=Priority.P3)
    after(minutes=20)

    incident_close(incident=incident, actor=world.operator, note="Informasi jadwal PLN")

    assert case_clock(incident, K.HANDLING).state == S.WITHDRAWN
    assert (case_clock(incident, K.CLOSURE).state, case_clock(incident, K.CLOSURE).elapsed) == (
        S.MET,
        20 * MINUTE,
    )


def test_a_cancelled_case_withdraws_its_handling_and_closing(world, after):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    after(hours=9)

    incident_cancel(incident=incident, actor=world.supervisor, reason="Laporan ganda")

    assert {
        c.state for c in Clock.objects.filter(incident=incident, kind__in=[K.HANDLING, K.CLOSURE])
    } == {S.WITHDRAWN}


def test_a_resolved_case_sent_to_another_agency_is_handled_again_at_its_report(world, after):
    """The police resolved it at 30 min; at 40 min the centre sends an ambulance after all. The
    case's handling time runs again from T0 and stops at the ambulance's report."""
    incident, [police] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    after(minutes=1)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    after(minutes=30)
    dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="Korban luka")
    assert case_clock(incident, K.HANDLING).elapsed == 30 * MINUTE
    after(minutes=40)

    [health] = incident_dispatch(incident=incident, agencies=[world.health], actor=world.operator)

    handling = case_clock(incident, K.HANDLING)
    assert (handling.state, handling.stopped_at, handling.elapsed) == (S.RUNNING, None, None)
    after(minutes=42)
    dispatch_acknowledge(dispatch=health, actor=world.health_staff)
    after(minutes=95)
    dispatch_resolve(dispatch=health, actor=world.health_staff, resolution="Dibawa ke RSUD")

    handling = case_clock(incident, K.HANDLING)
    assert (handling.state, handling.elapsed) == (S.MET, 95 * MINUTE)


def test_a_reopened_case_keeps_counting_to_its_new_closing(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    after(minutes=10)
    incident_close(incident=incident, actor=world.operator, note="Ditangani lewat telepon")
    after(minutes=30)

    incident_reopen(incident=incident, actor=world.supervisor, reason="Penelepon menelepon lagi")

    closure = case_clock(incident, K.CLOSURE)
    assert (closure.state, closure.stopped_at) == (S.RUNNING, None)
    assert case_clock(incident, K.HANDLING).state == S.RUNNING
    after(minutes=45)
    incident_close(incident=incident, actor=world.operator, note="Sudah aman")

    assert case_clock(incident, K.CLOSURE).elapsed == 45 * MINUTE


def test_a_declined_dispatch_withdraws_its_resolve_clock_a_late_cancelled_one_breaches_it(
    world, after
):
    _incident, [police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health], priority=Priority.P1
    )
    after(minutes=1)
    dispatch_decline(dispatch=police, actor=world.police_staff, reason="Bukan wewenang")
    after(hours=2)

    dispatch_cancel(dispatch=health, actor=world.operator, reason="Korban dibawa keluarga")

    assert clock_of(police, K.RESOLVE).state == S.WITHDRAWN
    assert clock_of(health, K.RESOLVE).state == S.BREACHED


def test_cancelling_a_case_withdraws_every_clock_still_running(world, after):
    incident, [police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health], priority=Priority.P2
    )
    after(minutes=1)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    after(minutes=4)

    incident_cancel(incident=incident, actor=world.operator, reason="Laporan palsu")

    assert Clock.objects.filter(incident=incident).running().count() == 0
    assert clock_of(police, K.ACKNOWLEDGE).state == S.MET, "a stopped clock keeps its verdict"
    assert clock_of(police, K.ON_SCENE).state == S.WITHDRAWN
    assert {clock_of(health, k).state for k in (K.ACKNOWLEDGE, K.ON_SCENE)} == {S.WITHDRAWN}


def test_cancelling_a_case_never_dispatched_withdraws_the_operators_clock(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    after(seconds=50)

    incident_cancel(incident=incident, actor=world.operator, reason="Duplikat")

    clock = dispatch_clock(incident)
    assert (clock.state, clock.elapsed) == (S.WITHDRAWN, dt.timedelta(seconds=50))


def test_closing_a_case_handled_on_the_phone_withdraws_the_operators_clock(world, after):
    incident = make_incident(world.operator, priority=Priority.P3)
    after(minutes=4)

    incident_close(incident=incident, actor=world.operator, note="Cukup diberi saran")

    clock = dispatch_clock(incident)
    assert (clock.state, clock.elapsed, clock.next_escalation_at) == (S.WITHDRAWN, 4 * MINUTE, None)


def test_a_case_closed_late_without_dispatch_does_not_count_against_the_operator(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(minutes=12)

    incident_close(incident=incident, actor=world.operator, note="Penelpon hanya bertanya")

    clock = dispatch_clock(incident)
    assert (clock.state, clock.elapsed) == (S.WITHDRAWN, 12 * MINUTE)


# --- Corrections ---------------------------------------------------------------------------------


def test_a_priority_correction_moves_the_running_clocks_and_leaves_stopped_ones(world, after):
    incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P3
    )
    after(minutes=2)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    after(minutes=3)

    incident_update(incident=incident, actor=world.operator, changes={"priority": Priority.P1})

    on_scene = clock_of(dispatch, K.ON_SCENE)
    assert on_scene.target == 15 * MINUTE
    assert on_scene.due_at == T0 + 15 * MINUTE
    assert on_scene.next_escalation_at == on_scene.due_at
    acknowledge = clock_of(dispatch, K.ACKNOWLEDGE)
    assert (acknowledge.target, acknowledge.state) == (15 * MINUTE, S.MET), "P3's 15 min stays"
    assert dispatch_clock(incident).target == 10 * MINUTE


def test_raising_the_priority_of_a_waiting_case_brings_its_dispatch_deadline_forward(world, after):
    incident = make_incident(world.operator, priority=Priority.P3)
    after(seconds=20)

    incident_update(incident=incident, actor=world.operator, changes={"priority": Priority.P1})

    clock = dispatch_clock(incident)
    assert (clock.target, clock.due_at) == (dt.timedelta(seconds=60), T0 + dt.timedelta(seconds=60))


def test_a_category_correction_applies_the_new_categorys_target(world, after):
    fire = CategoryFactory(code="KBK", default_priority=Priority.P2)
    Target.objects.create(kind=K.ON_SCENE, priority=Priority.P2, category=fire, target=20 * MINUTE)
    incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    assert clock_of(dispatch, K.ON_SCENE).target == 40 * MINUTE

    incident_update(incident=incident, actor=world.operator, changes={"category": fire})

    assert clock_of(dispatch, K.ON_SCENE).due_at == T0 + 20 * MINUTE


# --- Office hours --------------------------------------------------------------------------------


@pytest.fixture
def social_office(db):  # type: ignore[no-untyped-def]
    return AgencyFactory(
        code="dinsos",
        short_name="Dinsos",
        kind=AgencyKind.CITY_OFFICE,
        working_hours=WorkingHours.OFFICE,
    )


def test_an_office_hours_agency_counts_only_its_working_time(world, social_office, time_machine):
    friday = dt.datetime(2025, 12, 19, 16, 25, tzinfo=WIT)  # five minutes before closing
    time_machine.move_to(friday, tick=False)
    _incident, [dinsos, police] = make_dispatched_incident(
        world.operator, [social_office, world.police], priority=Priority.P3
    )

    acknowledge = clock_of(dinsos, K.ACKNOWLEDGE)
    assert acknowledge.working_time is True
    assert acknowledge.due_at == dt.datetime(2025, 12, 22, 7, 40, tzinfo=WIT)
    assert clock_of(dinsos, K.ON_SCENE).due_at == dt.datetime(2025, 12, 22, 9, 25, tzinfo=WIT)
    assert clock_of(police, K.ACKNOWLEDGE).working_time is False
    assert clock_of(police, K.ACKNOWLEDGE).due_at == friday + 15 * MINUTE

    time_machine.move_to(dt.datetime(2025, 12, 22, 7, 35, tzinfo=WIT), tick=False)
    dispatch_acknowledge(dispatch=dinsos, actor=world.operator)

    acknowledge.refresh_from_db()
    assert (acknowledge.state, acknowledge.elapsed) == (S.MET, 10 * MINUTE)


def test_a_running_clock_keeps_the_calendar_it_started_with(world, social_office, time_machine):
    friday = dt.datetime(2025, 12, 19, 16, 25, tzinfo=WIT)
    time_machine.move_to(friday, tick=False)
    _incident, [dinsos] = make_dispatched_incident(
        world.operator, [social_office], priority=Priority.P3
    )
    # Over the weekend the office goes 24/7 and its Monday hours change; this case still
    # counts the week it was dispatched under.
    agency_update(agency=social_office, actor=None, changes={"working_hours": WorkingHours.ALWAYS})
    OfficeDay.objects.create(agency=social_office, weekday=0, opens=dt.time(9), closes=dt.time(12))

    time_machine.move_to(dt.datetime(2025, 12, 22, 7, 35, tzinfo=WIT), tick=False)
    dispatch_acknowledge(dispatch=dinsos, actor=world.operator)

    acknowledge = clock_of(dinsos, K.ACKNOWLEDGE)
    assert acknowledge.due_at == dt.datetime(2025, 12, 22, 7, 40, tzinfo=WIT)
    assert (acknowledge.state, acknowledge.elapsed) == (S.MET, 10 * MINUTE)
    # A case dispatched now counts every second.
    social_office.refresh_from_db()
    _later, [fresh] = make_dispatched_incident(world.operator, [social_office])
    assert clock_of(fresh, K.ACKNOWLEDGE).working_time is False


# --- Who sees which clocks -----------------------------------------------------------------------


def test_the_centre_sees_every_clock_and_an_agency_only_the_agency_clocks_of_its_cases(world):
    police_case, _ = make_dispatched_incident(world.operator, [world.police])
    health_case, _ = make_dispatched_incident(world.operator, [world.health])
    waiting = make_incident(world.operator)

    # Each case: the operator's and the case's two; each dispatch: three.
    assert Clock.objects.visible_to(world.supervisor).count() == 3 * 3 + 2 * 3
    seen_by_police = Clock.objects.visible_to(world.police_staff)
    assert {(c.incident_id, c.kind) for c in seen_by_police} == {
        (police_case.pk, K.ACKNOWLEDGE),
        (police_case.pk, K.ON_SCENE),
        (police_case.pk, K.RESOLVE),
    }
    assert not Clock.objects.visible_to(world.police_staff).filter(
        incident__in=[health_case, waiting]
    )
    assert not Clock.objects.visible_to(world.outsider).exists()
    assert not Clock.objects.visible_to(world.inactive).exists()


# --- Verdicts ------------------------------------------------------------------------------------


def verdict(clock: Clock, now: dt.datetime | None = None) -> str:
    clock.refresh_from_db()
    with translation.override("en"):
        return clock_verdict(clock, now)


def test_a_running_clock_tells_the_time_left(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(seconds=30)

    text = verdict(clock_of(dispatch, K.ACKNOWLEDGE))

    assert text == "4 min 30 s left (due 16-12-2025 10:05:00 WIT)"


def test_an_overdue_clock_says_whose_step_is_late_and_by_how_much(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P2
    )
    after(minutes=7, seconds=5)

    text = verdict(clock_of(dispatch, K.ACKNOWLEDGE))

    assert text == (
        "Overdue by 2 min 5 s: Polresta has yet to acknowledge the dispatch "
        "(due 16-12-2025 10:05:00 WIT)"
    )


def test_a_met_clock_tells_how_long_it_took(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=45)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)

    assert verdict(dispatch_clock(incident)) == "Met in 45 s"


def test_a_breached_clock_names_whose_step_was_late_and_how_late(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(minutes=3, seconds=10)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)

    text = verdict(dispatch_clock(incident))

    operator = world.operator.get_full_name()
    assert text == (
        f"Breached: 112 operator {operator} took 3 min 10 s to dispatch the case, "
        "2 min 10 s past the 1 min target"
    )


def test_a_late_agency_verdict_names_the_agency_and_the_step(world, after):
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    after(hours=1, minutes=2)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    dispatch_mark_on_scene(dispatch=dispatch, actor=world.police_staff)

    text = verdict(clock_of(dispatch, K.ON_SCENE))

    assert text == (
        "Breached: Polresta took 1 h 2 min to arrive on scene, 47 min past the 15 min target"
    )


def test_a_withdrawn_clock_tells_how_long_it_ran(world, after):
    incident = make_incident(world.operator, priority=Priority.P3)
    after(minutes=4)
    incident_close(incident=incident, actor=world.operator, note="Cukup diberi saran")

    assert verdict(dispatch_clock(incident)) == "Withdrawn after 4 min"


def test_an_office_clock_due_at_closing_time_reads_overdue_that_evening(
    world, social_office, time_machine
):
    time_machine.move_to(dt.datetime(2025, 12, 16, 15, 45, tzinfo=WIT), tick=False)
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [social_office], priority=Priority.P3
    )
    acknowledge = clock_of(dispatch, K.ACKNOWLEDGE)
    assert acknowledge.due_at == dt.datetime(2025, 12, 16, 16, 0, tzinfo=WIT)

    evening = dt.datetime(2025, 12, 16, 19, 0, tzinfo=WIT)
    text = verdict(acknowledge, evening)

    assert text.startswith("Overdue"), text
    assert "Dinsos has yet to acknowledge the dispatch" in text
