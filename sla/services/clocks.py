"""Starting and stopping clocks: called by the workflow services inside their transaction.

The case is already locked by the caller, so a case's clocks change one writer at a time; the
escalation sweep takes a clock and its case with SKIP LOCKED, so it never waits for a case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency, WorkingHours
from cc112.reads import read_once
from incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from sla.calendars import AlwaysOpen, Calendar, OfficeHours
from sla.models import CASE_KINDS, Clock, ClockKind, ClockState, EscalationStep, OfficeDay, Target
from sla.targets import default_target

K = ClockKind
D = DispatchStatus

# How a clock stops: ANSWERED, the party did what it waited for (met or breached); CANCELLED, the
# centre withdrew the dispatch (already late is still breached, else withdrawn); DROPPED, it was
# never that party's to answer after all (withdrawn, however late: a case the agency declined
# is not on its way, a case closed without dispatch needed none).
ANSWERED, CANCELLED, DROPPED = "answered", "cancelled", "dropped"

# Which clocks a dispatch step answers and which it cancels or drops.
_ANSWERS = {
    D.ACKNOWLEDGED: {K.ACKNOWLEDGE},
    D.EN_ROUTE: {K.ACKNOWLEDGE},
    D.ON_SCENE: {K.ACKNOWLEDGE, K.ON_SCENE},
    D.RESOLVED: {K.ACKNOWLEDGE, K.ON_SCENE, K.RESOLVE},
    # Declining is the agency's answer to the case: it stops their acknowledge clock.
    D.DECLINED: {K.ACKNOWLEDGE},
}
_DROPS = {D.DECLINED: {K.ON_SCENE, K.RESOLVE}}
_CANCELS = {D.CANCELLED: {K.ACKNOWLEDGE, K.ON_SCENE, K.RESOLVE}}


def calendar_for(agency: Agency | None) -> Calendar:
    """The 112 centre and 24/7 agencies count every second; office-hours agencies their week."""
    if agency is None or agency.working_hours != WorkingHours.OFFICE:
        return AlwaysOpen()
    days = OfficeDay.objects.filter(agency=agency).values_list("weekday", "opens", "closes")
    week = {weekday: (opens, closes) for weekday, opens, closes in days}
    return OfficeHours(week=week) if week else OfficeHours()


def calendar_of(clock: Clock, cache: dict[str, Calendar] | None = None) -> Calendar:
    """The calendar a clock started with (its stored office week), never the agency's hours
    of today: a running clock is measured against one calendar from start to stop."""
    if not clock.working_time:
        return AlwaysOpen()
    if clock.office_week is None:  # started before weeks were stored on clocks
        return calendar_for(clock.agency)
    key = json.dumps(clock.office_week, sort_keys=True)
    if cache is not None and key in cache:
        return cache[key]
    calendar = OfficeHours.from_json(clock.office_week)
    if cache is not None:
        cache[key] = calendar
    return calendar


def target_for(kind: str, *, priority: int, category_id: int | None, agency_id: int | None):
    """The most specific target row: agency + category, agency, category, general; else the
    default of DOMAIN.md."""
    return TargetBook(priority=priority, category_id=category_id).target(kind, agency_id)


class TargetBook:
    """The target rows of one priority and category, read in one query, for every clock a step
    starts (a case and its dispatches start up to a dozen)."""

    def __init__(self, *, priority: int, category_id: int | None) -> None:
        self.priority = priority
        self.rows = read_once(
            ("sla-targets", priority, category_id),
            lambda: list(
                Target.objects.filter(priority=priority).filter(
                    Q(category_id=category_id) | Q(category__isnull=True)
                )
            ),
        )

    def target(self, kind: str, agency_id: int | None):  # type: ignore[no-untyped-def]
        best = None
        best_rank = -1
        for row in self.rows:
            if row.kind != kind or row.agency_id not in (None, agency_id):
                continue
            rank = (2 if row.agency_id else 0) + (1 if row.category_id else 0)
            if rank > best_rank:
                best, best_rank = row, rank
        return best.target if best else default_target(kind, self.priority)


def ladder() -> list[EscalationStep]:
    return read_once("escalation-ladder", lambda: list(EscalationStep.objects.order_by("level")))


def schedule_next(
    clock: Clock, calendar: Calendar, steps: list[EscalationStep], *, after_level: int
) -> None:
    """Point the clock at the next rung above ``after_level`` (or at none)."""
    for step in steps:
        if step.level > after_level:
            clock.next_level = step.level
            clock.next_escalation_at = step_due_at(clock, calendar, step)
            return
    clock.next_level = None
    clock.next_escalation_at = None


def step_due_at(clock: Clock, calendar: Calendar, step: EscalationStep) -> datetime:
    return calendar.add(clock.started_at, clock.target * step.percent / 100)


def _start(
    *,
    incident: Incident,
    kind: str,
    started_at: datetime,
    agency: Agency | None,
    calendar: Calendar,
    dispatch: Dispatch | None = None,
    steps: list[EscalationStep],
    targets: TargetBook,
) -> Clock:
    """A clock ready to insert (the callers insert a step's clocks in one statement)."""
    clock = Clock(
        incident=incident,
        dispatch=dispatch,
        kind=kind,
        agency=agency,
        operator_id=incident.operator_id if kind == K.DISPATCH else None,
        target=targets.target(kind, agency.pk if agency else None),
        working_time=calendar.counts_working_time,
        office_week=calendar.as_json() if isinstance(calendar, OfficeHours) else None,
        started_at=started_at,
    )
    clock.due_at = calendar.add(started_at, clock.target)
    # The case's own clocks measure; the ladder is for the steps someone owes.
    schedule_next(clock, calendar, [] if kind in CASE_KINDS else steps, after_level=0)
    return clock


def clocks_start_for_case(incident: Incident) -> Clock:
    """From the moment the call was answered (T0): the operator's clock, T0→T1, and the case's
    whole handling, T0→T4 and T0→closed. Returns the operator's."""
    clocks = _case_clocks(incident)
    Clock.objects.bulk_create(clocks)
    return clocks[0]


def clocks_start_for_new_case_dispatched(
    incident: Incident, dispatches: Iterable[Dispatch], at: datetime
) -> list[Clock]:
    """A case dispatched in the transaction that opened it (the call screen's submit): its
    clocks and its dispatches' in one insert, the operator's already answered at T1 (``at``).

    The rows ``clocks_start_for_case``, ``clocks_start_for_dispatches`` and
    ``clocks_stop_dispatch_clock`` would leave; nobody else can see the case before the commit,
    so there is no sweep to hold the operator's clock against."""
    clocks = _case_clocks(incident)
    _stopped(clocks[0], at, how=ANSWERED)
    clocks += _dispatch_clocks(incident, dispatches)
    return Clock.objects.bulk_create(clocks)


def _case_clocks(incident: Incident) -> list[Clock]:
    """The case's clocks, the operator's first, not yet saved."""
    steps = ladder()
    targets = TargetBook(priority=incident.priority, category_id=incident.category_id)
    calendar = calendar_for(None)
    return [
        _start(
            incident=incident,
            kind=kind,
            started_at=incident.received_at,
            agency=None,
            calendar=calendar,
            steps=steps,
            targets=targets,
        )
        for kind in (K.DISPATCH, K.HANDLING, K.CLOSURE)
    ]


def clocks_start_for_dispatches(incident: Incident, dispatches: Iterable[Dispatch]) -> list[Clock]:
    """Each dispatched agency's clocks, T1→T2, T1→T3 and T1→T4 (a re-dispatch starts fresh
    ones)."""
    return Clock.objects.bulk_create(_dispatch_clocks(incident, dispatches))


def _dispatch_clocks(incident: Incident, dispatches: Iterable[Dispatch]) -> list[Clock]:
    steps = ladder()
    targets = TargetBook(priority=incident.priority, category_id=incident.category_id)
    clocks: list[Clock] = []
    for dispatch in dispatches:
        calendar = calendar_for(dispatch.agency)  # an office week is one query: once a dispatch
        clocks += [
            _start(
                incident=incident,
                kind=kind,
                started_at=dispatch.dispatched_at,
                agency=dispatch.agency,
                calendar=calendar,
                dispatch=dispatch,
                steps=steps,
                targets=targets,
            )
            for kind in (K.ACKNOWLEDGE, K.ON_SCENE, K.RESOLVE)
        ]
    return clocks


def _stop(clock: Clock, at: datetime, *, how: str) -> None:
    _stopped(clock, at, how=how)
    clock.save(update_fields=["elapsed", "state", "stopped_at", "next_level", "next_escalation_at"])


def _stopped(clock: Clock, at: datetime, *, how: str) -> None:
    """Set what stopping the clock at ``at`` changes (not saved)."""
    at = max(at, clock.started_at)
    clock.elapsed = calendar_of(clock).elapsed(clock.started_at, at)
    late = clock.elapsed > clock.target
    if how == ANSWERED:
        clock.state = ClockState.BREACHED if late else ClockState.MET
    elif how == CANCELLED:
        clock.state = ClockState.BREACHED if late else ClockState.WITHDRAWN
    else:
        clock.state = ClockState.WITHDRAWN
    clock.stopped_at = at
    # A rung that fell due while the clock ran is still owed (the sweep had not reached it: the
    # broker or beat was down, the sweep was behind); it stays on the clock for the sweep, which
    # fires only rungs due by ``stopped_at``. A rung not yet due never will be.
    if clock.next_escalation_at is None or clock.next_escalation_at > at:
        clock.next_level = None
        clock.next_escalation_at = None


def _running(**filters: object) -> list[Clock]:
    return list(
        Clock.objects.running().filter(**filters).select_for_update(of=("self",)).order_by("pk")
    )


def clocks_hold(*, incident: Incident, dispatch: Dispatch | None = None) -> list[Clock]:
    """Lock the running clocks a step may stop (the dispatch's, else the case's) before the
    step reads the time: a sweep that fired one of their rungs has then committed, with a claim
    moment before the step's, so no rung fires after a clock was answered before it fell due.
    Returns them, locked, for the step to stop without reading them again."""
    if dispatch is not None:
        return _running(dispatch=dispatch)
    return _running(incident=incident)


def clocks_follow_dispatch(dispatch: Dispatch, at: datetime) -> None:
    """Stop what the dispatch's new status answers, cancels or drops."""
    answers = _ANSWERS.get(dispatch.status, set())
    cancels = _CANCELS.get(dispatch.status, set())
    drops = _DROPS.get(dispatch.status, set())
    if not answers | cancels | drops:
        return
    for clock in _running(dispatch=dispatch, kind__in=answers | cancels | drops):
        how = ANSWERED if clock.kind in answers else CANCELLED if clock.kind in cancels else DROPPED
        _stop(clock, at, how=how)


def clocks_stop_dispatch_clock(
    incident: Incident, at: datetime, *, answered: bool, held: list[Clock] | None = None
) -> None:
    """The first dispatch answers the operator's clock; closing or cancelling a case that was
    never dispatched drops it (it needed no dispatch: advice on the phone, a duplicate).

    ``held``: the case's running clocks as ``clocks_hold`` locked them in this transaction."""
    if held is None:
        held = _running(incident=incident, kind=K.DISPATCH)
    for clock in held:
        if clock.kind == K.DISPATCH:
            _stop(clock, at, how=ANSWERED if answered else DROPPED)


def clocks_follow_case(incident: Incident, previous: str) -> None:
    """The case's own clocks follow its status (``previous`` → ``incident.status``).

    1. Reopened (from closed) or back to work (from resolved, a new dispatch): what that undoes
       runs again from T0, to stop at the next resolution or closing.
    2. Resolved (every agency in play gave its field report): T0→T4 stops at the last report.
    3. Closed: T0→closed stops; a case closed never resolved (handled on the phone) needed no
       agency, so its T0→T4 is withdrawn. Cancelled: both are withdrawn.
    """
    status = incident.status
    S = IncidentStatus
    if previous == S.CLOSED and status != S.CLOSED:
        _restart(incident, {K.CLOSURE} if status == S.RESOLVED else {K.CLOSURE, K.HANDLING})
    elif previous == S.RESOLVED and status in (S.RECEIVED, S.DISPATCHED, S.IN_PROGRESS):
        _restart(incident, {K.HANDLING})
    if status == S.RESOLVED and incident.resolved_at is not None:
        for clock in _running(incident=incident, kind=K.HANDLING):
            _stop(clock, incident.resolved_at, how=ANSWERED)
    elif status in (S.CLOSED, S.CANCELLED):
        at = incident.closed_at or timezone.now()
        for clock in _running(incident=incident, kind__in=CASE_KINDS):
            answered = status == S.CLOSED and clock.kind == K.CLOSURE
            _stop(clock, at, how=ANSWERED if answered else DROPPED)


def _restart(incident: Incident, kinds: set[str]) -> None:
    """Stopped case clocks of ``kinds`` run again from T0 (their stop was not the last), against
    the case's target of now (its priority may have been corrected meanwhile)."""
    for clock in (
        Clock.objects.filter(incident=incident, kind__in=kinds)
        .exclude(state=ClockState.RUNNING)
        .select_for_update(of=("self",))
    ):
        clock.state = ClockState.RUNNING
        clock.stopped_at = None
        clock.elapsed = None
        clock.target = target_for(
            clock.kind,
            priority=incident.priority,
            category_id=incident.category_id,
            agency_id=None,
        )
        clock.due_at = calendar_of(clock).add(clock.started_at, clock.target)
        clock.save(update_fields=["state", "stopped_at", "elapsed", "target", "due_at"])


def clocks_retarget(incident: Incident) -> None:
    """A corrected priority or category changes the targets of the case's running clocks.

    Rungs already fired stay fired; the next rung is the first unfired one at its new time.
    """
    steps = ladder()
    for clock in _running(incident=incident):
        calendar = calendar_of(clock)
        clock.target = target_for(
            clock.kind,
            priority=incident.priority,
            category_id=incident.category_id,
            agency_id=clock.agency_id,
        )
        clock.due_at = calendar.add(clock.started_at, clock.target)
        fired = clock.escalations.order_by("-level").values_list("level", flat=True).first()
        ladder_of = [] if clock.kind in CASE_KINDS else steps
        schedule_next(clock, calendar, ladder_of, after_level=fired or 0)
        clock.save(update_fields=["target", "due_at", "next_level", "next_escalation_at"])


def remaining(clock: Clock, now: datetime) -> timedelta:
    """Working time left before the target (negative once overdue)."""
    calendar = calendar_of(clock)
    if now <= clock.due_at:
        return calendar.elapsed(now, clock.due_at)
    return -calendar.elapsed(clock.due_at, now)
