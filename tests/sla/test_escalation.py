"""A late clock climbs the ladder: each rung fires once, to the right people, whoever sweeps."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from agencies.models import AgencyKind, Membership, Role, WorkingHours
from agencies.services import membership_end
from incidents.models import Priority
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_close,
    incident_dispatch,
    incident_update,
)
from sla import tasks as sweep_tasks
from sla.models import (
    Audience,
    Clock,
    ClockKind,
    Escalation,
    EscalationStep,
    Notification,
    Sweep,
)
from sla.presentation import escalation_headline, late_firing
from sla.services import claim_due_clocks, escalations_fire_due, escalations_sweep
from sla.services import escalation as sweep_service
from sla.tasks import sweep_escalations
from tests.factories import AgencyFactory, make_dispatched_incident, make_incident, make_member
from tests.servers import require_postgres
from tests.sla.frozen import T0, WIT


def ladder_notifications() -> QuerySet:
    """The escalation ladder's notifications (each new dispatch also tells its agency's members
    in the portal: tests/incidents/test_board.py)."""
    return Notification.objects.filter(escalation__isnull=False)


K = ClockKind
A = Audience
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def health_duty_officer(world):  # type: ignore[no-untyped-def]
    return make_member(world.health, Role.DUTY_OFFICER, username="health_duty")


@pytest.fixture
def police_case(world, duty_officer, health_duty_officer, after):  # type: ignore[no-untyped-def]
    """A P1 case dispatched to the police at T0: their acknowledge clock is due at T0 + 60 s."""
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    return dispatch


def acknowledge_clock(dispatch) -> Clock:  # type: ignore[no-untyped-def]
    return Clock.objects.get(dispatch=dispatch, kind=K.ACKNOWLEDGE)


def told(escalation: Escalation) -> set[tuple[str, str]]:
    return {(n.recipient.username, n.audience) for n in escalation.notifications.all()}


def test_a_sweep_before_the_target_fires_nothing(police_case, after):
    after(seconds=59)

    assert escalations_fire_due() == 0

    assert not Escalation.objects.exists()
    assert not ladder_notifications().exists()


def test_at_the_target_level_one_tells_the_duty_officer_and_the_supervisor_once(police_case, after):
    after(seconds=60)

    assert escalations_fire_due() == 1

    [escalation] = Escalation.objects.all()
    clock = acknowledge_clock(police_case)
    assert (escalation.clock, escalation.level, escalation.percent) == (clock, 1, 100)
    assert escalation.due_at == T0 + 60 * SECOND
    assert told(escalation) == {("police_duty", A.DUTY_OFFICER), ("supervisor", A.SUPERVISOR)}
    assert (clock.next_level, clock.next_escalation_at) == (2, T0 + 90 * SECOND)

    assert escalations_fire_due() == 0
    after(seconds=89)
    assert escalations_fire_due() == 0
    assert Escalation.objects.count() == 1
    assert ladder_notifications().count() == 2


def test_at_150_percent_level_two_tells_the_agency_head_and_the_supervisor(police_case, after):
    after(seconds=60)
    escalations_fire_due()
    after(seconds=90)

    assert escalations_fire_due() == 1

    escalation = Escalation.objects.get(level=2)
    assert escalation.percent == 150
    assert told(escalation) == {("police_head", A.AGENCY_HEAD), ("supervisor", A.SUPERVISOR)}
    assert not acknowledge_clock(police_case).flagged_for_evaluation


def test_at_200_percent_level_three_tells_the_coordinator_and_flags_the_case(police_case, after):
    for seconds in (60, 90):
        after(seconds=seconds)
        escalations_fire_due()
    after(seconds=120)

    assert escalations_fire_due() == 1

    escalation = Escalation.objects.get(level=3)
    assert told(escalation) == {("coordinator", A.COORDINATOR)}
    assert escalation.flags_for_evaluation
    clock = acknowledge_clock(police_case)
    assert clock.flagged_for_evaluation
    assert (clock.next_level, clock.next_escalation_at) == (None, None)
    after(hours=2)
    escalations_fire_due()  # the on-scene clock's rungs, not the acknowledge clock's again
    assert Escalation.objects.filter(clock=clock).count() == 3


def test_a_sweep_that_runs_late_fires_every_rung_passed_each_once(police_case, after):
    after(seconds=150)

    assert escalations_fire_due() == 3
    assert escalations_fire_due() == 0

    clock = acknowledge_clock(police_case)
    fired = Escalation.objects.filter(clock=clock)
    assert [(e.level, e.due_at) for e in fired] == [
        (1, T0 + 60 * SECOND),
        (2, T0 + 90 * SECOND),
        (3, T0 + 120 * SECOND),
    ]
    assert clock.flagged_for_evaluation
    assert ladder_notifications().count() == 5


def test_a_clock_stopped_before_its_target_never_escalates(world, police_case, after):
    after(seconds=30)
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    after(minutes=10)
    dispatch_mark_on_scene(dispatch=police_case, actor=world.police_staff)
    after(minutes=80)
    dispatch_resolve(dispatch=police_case, actor=world.police_staff, resolution="Aman")
    after(hours=3)

    assert escalations_fire_due() == 0
    assert not Escalation.objects.exists()


def test_a_clock_stopped_between_rungs_fires_no_further_rung(world, police_case, after):
    after(seconds=70)
    escalations_fire_due()
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    after(seconds=300)

    escalations_fire_due()

    assert list(
        Escalation.objects.filter(clock=acknowledge_clock(police_case)).values_list(
            "level", flat=True
        )
    ) == [1]


# --- A rung that fell due is owed, whatever happened before the sweep came -----------------------


def test_a_clock_answered_before_any_sweep_still_fires_the_rungs_that_fell_due(
    world, police_case, after
):
    """Level 1 (60 s) and level 2 (90 s) fell due while nobody swept (the broker was down);
    the police acknowledged at 100 s. The next sweep fires both, once; level 3 (120 s) fell due
    only after the clock stopped and never fires."""
    after(seconds=100)
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    clock = acknowledge_clock(police_case)
    assert clock.state == "breached"
    assert (clock.next_level, clock.next_escalation_at) == (1, T0 + 60 * SECOND)
    after(seconds=400)

    assert escalations_fire_due() == 2
    assert escalations_fire_due() == 0

    clock.refresh_from_db()
    assert [(e.level, e.due_at) for e in clock.escalations.all()] == [
        (1, T0 + 60 * SECOND),
        (2, T0 + 90 * SECOND),
    ]
    assert (clock.next_level, clock.next_escalation_at) == (None, None)
    assert not clock.flagged_for_evaluation
    assert told(clock.escalations.get(level=2)) == {
        ("police_head", A.AGENCY_HEAD),
        ("supervisor", A.SUPERVISOR),
    }


def test_a_clock_answered_at_the_very_moment_its_rung_falls_due_fires_it(world, police_case, after):
    after(seconds=60)
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    after(seconds=61)

    assert escalations_fire_due() == 1
    assert acknowledge_clock(police_case).escalations.get().level == 1


def test_a_clock_answered_a_millisecond_before_its_rung_falls_due_fires_nothing(
    world, police_case, after
):
    after(seconds=59.999)
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    clock = acknowledge_clock(police_case)
    assert clock.state == "met"
    assert clock.next_escalation_at is None
    after(minutes=5)  # the on-scene clock (15 min) is not yet due

    assert escalations_fire_due() == 0


def test_a_dispatch_cancelled_with_a_rung_owed_still_fires_it(world, police_case, after):
    after(seconds=75)
    incident_cancel_dispatch(world, police_case)
    after(hours=1)

    assert escalations_fire_due() == 1
    assert acknowledge_clock(police_case).escalations.get().level == 1


def test_a_case_closed_with_the_operators_rungs_owed_still_fires_them(world, after):
    """Nobody swept while the case waited 130 s for a dispatch; the supervisor then closed it
    as handled on the phone. All three of the operator's rungs had fallen due: all three fire,
    and the last flags the case for evaluation."""
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=130)
    incident_close(incident=incident, actor=world.supervisor, note="Ditangani lewat telepon")
    after(hours=1)

    assert escalations_fire_due() == 3
    clock = Clock.objects.get(incident=incident, kind=K.DISPATCH)
    assert clock.state == "withdrawn"
    assert clock.flagged_for_evaluation


def test_a_rung_fired_late_says_no_sweep_ran_between_its_moment_and_the_sweep(police_case, after):
    after(seconds=50)
    assert escalations_fire_due() == 0  # the last sweep before the outage, at 10:00:50
    after(seconds=101)

    assert escalations_fire_due() == 2

    first = Escalation.objects.get(level=1)
    assert first.previous_sweep_at == T0 + 50 * SECOND
    assert first.sweep_started_at == T0 + 101 * SECOND
    with translation.override("en"):
        assert late_firing(first) == (
            "fired 41 s late: no sweep ran between 16-12-2025 10:01:00 WIT and "
            "16-12-2025 10:01:41 WIT"
        )
        assert "fired 11 s late" in late_firing(Escalation.objects.get(level=2))
    assert late_firing(first) == (
        "dipicu terlambat 41 dtk: tidak ada penyapuan antara 16-12-2025 10:01:00 WIT dan "
        "16-12-2025 10:01:41 WIT"
    )
    sweep = Sweep.objects.get()
    assert (sweep.last_started_at, sweep.last_finished_at, sweep.last_fired) == (
        T0 + 101 * SECOND,
        T0 + 101 * SECOND,
        2,
    )


def test_a_rung_fired_on_time_says_nothing_of_lateness(police_case, after):
    after(seconds=58)
    escalations_fire_due()
    after(seconds=62)

    assert escalations_fire_due() == 1
    assert late_firing(Escalation.objects.get()) == ""


def test_a_rung_the_sweeps_reached_late_says_they_were_behind(police_case, after):
    """Sweeps ran after the rung fell due but did not reach it (its case was being changed, or
    a backlog): the sweep that fired it says so instead of blaming a missing sweep."""
    after(seconds=70)
    Sweep.objects.create(name="escalations", last_finished_at=T0 + 65 * SECOND)
    after(seconds=80)

    escalations_fire_due()

    with translation.override("en"):
        assert late_firing(Escalation.objects.get(level=1)) == (
            "fired 20 s late: the sweeps were behind (the one before finished at "
            "16-12-2025 10:01:05 WIT)"
        )


def test_an_email_read_after_the_clock_stopped_says_what_happened_since(world, police_case, after):
    after(seconds=100)
    dispatch_acknowledge(dispatch=police_case, actor=world.police_staff)
    after(seconds=101)
    escalations_fire_due()

    escalation = Escalation.objects.get(level=1)
    with translation.override("en"):
        headline = escalation_headline(escalation, escalation.clock)

    assert headline.startswith(
        "Escalation level 1 (100% of target): Polresta had yet to acknowledge the dispatch when "
        "it fell due at 16-12-2025 10:01:00 WIT; target 1 min. Since then: Breached:"
    )
    assert headline.endswith(
        "Fired 41 s late: no sweep ran between 16-12-2025 10:01:00 WIT and 16-12-2025 10:01:41 WIT."
    )


def test_a_pass_out_of_time_leaves_the_rest_to_the_next_pass(world, after):
    for _ in range(5):
        make_incident(world.operator, priority=Priority.P1)
    after(seconds=61)

    swept = escalations_sweep(batch_size=2, budget=dt.timedelta(0))

    assert (swept.fired, swept.finished) == (2, False)
    assert escalations_sweep(batch_size=2).fired == 3


def test_a_pass_that_finds_a_backlog_asks_for_a_companion_once(world, after):
    for _ in range(5):
        make_incident(world.operator, priority=Priority.P1)
    after(seconds=61)
    asked: list[int] = []

    swept = escalations_sweep(batch_size=2, on_backlog=lambda: asked.append(1))

    assert (swept.fired, swept.finished, asked) == (5, True, [1])
    assert escalations_sweep(batch_size=2, on_backlog=lambda: asked.append(1)).fired == 0
    assert asked == [1]


def test_the_beat_task_hands_a_backlog_to_the_passes_after_it(world, after, monkeypatch):
    for _ in range(5):
        make_incident(world.operator, priority=Priority.P1)
    after(seconds=61)
    monkeypatch.setattr(sweep_tasks, "SWEEP_BUDGET", dt.timedelta(0))
    monkeypatch.setattr(sweep_service, "BATCH_SIZE", 2)

    sweep_escalations.delay()  # eager: the passes it enqueues run at once

    assert Escalation.objects.count() == 5


def incident_cancel_dispatch(world, dispatch):  # type: ignore[no-untyped-def]
    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")


def test_the_operators_dispatch_clock_tells_only_the_centre(world, duty_officer, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=120)

    assert escalations_fire_due() == 3

    by_level = {e.level: told(e) for e in Escalation.objects.filter(clock__incident=incident)}
    assert by_level == {
        1: {("supervisor", A.SUPERVISOR)},
        2: {("supervisor", A.SUPERVISOR)},
        3: {("coordinator", A.COORDINATOR)},
    }


def test_people_who_left_or_were_switched_off_are_not_told(world, after):
    make_member(world.police, Role.DUTY_OFFICER, username="police_duty")
    disabled = make_member(world.police, Role.DUTY_OFFICER, username="disabled_duty")
    disabled.is_active = False
    disabled.save()
    moved_on = make_member(world.centre, Role.SUPERVISOR, username="former_supervisor")
    membership_end(membership=Membership.objects.get(user=moved_on), actor=None)
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    after(seconds=60)

    escalations_fire_due()

    [escalation] = Escalation.objects.filter(clock__dispatch=dispatch)
    assert told(escalation) == {("police_duty", A.DUTY_OFFICER), ("supervisor", A.SUPERVISOR)}


def test_a_second_escalation_of_one_clock_at_one_level_is_refused(police_case, after):
    after(seconds=60)
    escalations_fire_due()
    clock = acknowledge_clock(police_case)

    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            clock=clock, level=1, percent=100, due_at=clock.due_at, fired_at=timezone.now()
        )
    assert Escalation.objects.filter(clock=clock).count() == 1


def test_a_priority_raised_after_level_one_fires_the_later_rungs_at_their_new_times(
    world, duty_officer, after
):
    incident, [dispatch] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P3
    )
    after(minutes=15)
    assert escalations_fire_due() == 1  # 100% of P3's 15 minutes to acknowledge
    after(minutes=16)

    incident_update(incident=incident, actor=world.operator, changes={"priority": Priority.P2})

    clock = acknowledge_clock(dispatch)
    # P2 gives 5 minutes: 150% and 200% (7.5 and 10 minutes) have both passed.
    assert (clock.next_level, clock.next_escalation_at) == (2, T0 + 7.5 * MINUTE)
    assert escalations_fire_due() == 2
    assert list(Escalation.objects.filter(clock=clock).values_list("level", flat=True)) == [1, 2, 3]


def test_an_office_agencys_clock_stays_quiet_over_the_weekend(world, time_machine):
    social_office = AgencyFactory(
        code="dinsos",
        short_name="Dinsos",
        kind=AgencyKind.CITY_OFFICE,
        working_hours=WorkingHours.OFFICE,
    )
    make_member(social_office, Role.DUTY_OFFICER, username="dinsos_duty")
    friday = dt.datetime(2025, 12, 19, 16, 25, tzinfo=WIT)
    time_machine.move_to(friday, tick=False)
    _incident, [dispatch] = make_dispatched_incident(
        world.operator, [social_office], priority=Priority.P3
    )

    time_machine.move_to(dt.datetime(2025, 12, 21, 12, 0, tzinfo=WIT), tick=False)
    assert escalations_fire_due() == 0
    time_machine.move_to(dt.datetime(2025, 12, 22, 7, 40, tzinfo=WIT), tick=False)
    assert escalations_fire_due() == 1

    [escalation] = Escalation.objects.all()
    assert escalation.clock == acknowledge_clock(dispatch)
    assert told(escalation) == {("dinsos_duty", A.DUTY_OFFICER), ("supervisor", A.SUPERVISOR)}
    # 150% of 15 minutes: 5 working minutes on Friday, 17.5 from Monday's opening at 07:30.
    assert escalation.clock.next_escalation_at == dt.datetime(2025, 12, 22, 7, 47, 30, tzinfo=WIT)


def test_a_city_that_edits_its_ladder_is_obeyed(police_case, after):
    for step in EscalationStep.objects.filter(level=1):
        step.notify_coordinator, step.notify_supervisor = True, False
        step.save()
    after(seconds=60)

    escalations_fire_due()

    [escalation] = Escalation.objects.all()
    assert told(escalation) == {("police_duty", A.DUTY_OFFICER), ("coordinator", A.COORDINATOR)}


def test_a_sweep_works_through_more_due_clocks_than_one_batch(world, after):
    cases = [make_incident(world.operator, priority=Priority.P1) for _ in range(5)]
    after(seconds=120)

    assert escalations_fire_due(batch_size=2) == 15

    assert not Clock.objects.filter(next_escalation_at__isnull=False).exists()
    for incident in cases:
        assert Escalation.objects.filter(clock__incident=incident).count() == 3


def test_emails_go_out_only_once_the_escalation_is_committed(
    police_case, after, django_capture_on_commit_callbacks
):
    after(seconds=60)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        escalations_fire_due()
    assert mail.outbox == []
    assert set(ladder_notifications().values_list("email_status", flat=True)) == {"pending"}

    for callback in pending:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == [
        "police_duty@example.org",
        "supervisor@example.org",
    ]
    assert set(ladder_notifications().values_list("email_status", flat=True)) == {"sent"}


def test_a_person_without_an_email_address_is_told_in_the_portal_only(
    world, police_case, duty_officer, after, django_capture_on_commit_callbacks
):
    duty_officer.email = ""
    duty_officer.save()
    after(seconds=60)

    with django_capture_on_commit_callbacks(execute=True):
        escalations_fire_due()

    assert ladder_notifications().get(recipient=duty_officer).email_status == "no_address"
    assert [m.to for m in mail.outbox] == [["supervisor@example.org"]]


def test_the_beat_task_sweeps_the_due_rungs(police_case, after):
    after(seconds=60)

    sweep_escalations.delay()

    assert Escalation.objects.filter(clock=acknowledge_clock(police_case), level=1).exists()


# --- Several sweeps at once, on PostgreSQL -------------------------------------------------------


def _in_threads(count: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``work(barrier)`` in ``count`` threads, each on its own connection; their results."""
    barrier = threading.Barrier(count, timeout=60)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work(barrier))
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def _cases_an_hour_late(world, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    for _ in range(count):
        make_incident(world.operator, priority=Priority.P1, received_at=an_hour_ago)
    return sorted(
        Clock.objects.filter(next_escalation_at__isnull=False).values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_claim_disjoint_clocks(world):
    require_postgres()
    due = _cases_an_hour_late(world, 10)
    now = timezone.now()

    def claim(barrier: threading.Barrier) -> set[int]:
        with transaction.atomic():
            barrier.wait()
            claimed = set(claim_due_clocks(now, batch_size=6))
            barrier.wait()  # both hold their locks until both have claimed
        return claimed

    first, second = _in_threads(2, claim)

    assert first.isdisjoint(second)
    assert sorted(first | second) == due


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_fire_each_rung_of_each_clock_exactly_once(world):
    require_postgres()
    due = _cases_an_hour_late(world, 300)

    def sweep(barrier: threading.Barrier) -> int:
        barrier.wait()
        return escalations_fire_due()

    fired = _in_threads(2, sweep)

    assert sum(fired) == 900
    rungs = list(Escalation.objects.values_list("clock_id", "level"))
    assert len(rungs) == len(set(rungs)) == 900
    assert {clock for clock, _level in rungs} == set(due)
    assert not Clock.objects.filter(next_escalation_at__isnull=False).exists()
    # Every rung told its people once, and every email left once.
    assert ladder_notifications().count() == 900
    assert set(ladder_notifications().values_list("email_status", "email_attempts")) == {
        ("sent", 1)
    }
    assert len(mail.outbox) == 900


@pytest.mark.django_db(transaction=True)
def test_an_agency_acknowledging_while_the_sweep_fires_its_clock_is_not_deadlocked(
    world, duty_officer, monkeypatch
):
    """The sweep holds the clock and is about to write notifications (which key-share lock
    the case) while the acknowledgement holds the case and waits for the clock."""
    require_postgres()
    now = timezone.now()
    incident = make_incident(
        world.operator, priority=Priority.P2, received_at=now - dt.timedelta(minutes=7)
    )
    # Five minutes to acknowledge, six gone: level 1 is due, level 2 is not.
    [dispatch] = incident_dispatch(
        incident=incident,
        agencies=[world.police],
        actor=world.operator,
        at=now - dt.timedelta(minutes=6),
    )
    fired_in_the_middle = threading.Event()
    go_on = threading.Event()
    recipients = sweep_service.Directory.recipients

    def recipients_slowly(self, *args):  # type: ignore[no-untyped-def]
        fired_in_the_middle.set()
        go_on.wait(10)
        return recipients(self, *args)

    # Escalations written, notifications next: the moment the deadlock needed.
    monkeypatch.setattr(sweep_service.Directory, "recipients", recipients_slowly)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            escalations_fire_due()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def acknowledge() -> None:
        try:
            dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    assert fired_in_the_middle.wait(10)
    agency = threading.Thread(target=acknowledge)
    agency.start()
    agency.join(1.5)  # the acknowledgement now waits for the sweep's locks
    go_on.set()
    sweeper.join()
    agency.join()

    assert errors == []
    clock = acknowledge_clock(dispatch)
    assert clock.state == "breached"
    assert list(clock.escalations.values_list("level", flat=True)) == [1]
