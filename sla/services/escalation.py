"""Firing the ladder: the sweep that claims due clocks, and who is told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from agencies.models import Membership, Role
from cc112.bulk import rows_insert, rows_update
from cc112.queue import enqueue_on_commit
from incidents.events import emit_escalations
from sla.calendars import Calendar
from sla.models import (
    Audience,
    Clock,
    EmailStatus,
    Escalation,
    EscalationStep,
    Notification,
    Sweep,
)
from sla.services.clocks import calendar_of, ladder, schedule_next, step_due_at

BATCH_SIZE = 100


# The columns a sweep reads off a claimed clock; the rest of the row stays in the database.
FIRE_COLUMNS = (
    "id",
    "incident_id",
    "dispatch_id",
    "kind",
    "agency_id",
    "target",
    "working_time",
    "office_week",
    "started_at",
    "stopped_at",
    "next_level",
    "flagged_for_evaluation",
)


def claim_due_clocks(now: datetime, batch_size: int = BATCH_SIZE) -> list[int]:
    """Lock up to ``batch_size`` clocks whose next rung is due, skipping rows another sweep
    holds; their ids, soonest due first. Must run inside a transaction; the locks end with it.

    Plain SQL on the partial index ``clock_escalation_due``: the claim runs every few seconds
    and the ORM's compile and row building cost ten times the query (bench/sla.py). Only the
    clock rows are locked, FOR NO KEY UPDATE: the escalations and notifications the sweep then
    inserts take key-share locks on their clock and case, which a workflow service holding the
    case (also FOR NO KEY UPDATE, ``lock_incident``) does not block, so the two never deadlock.
    """
    quote = connection.ops.quote_name
    lock = (
        " FOR NO KEY UPDATE SKIP LOCKED"
        if connection.features.has_select_for_update_skip_locked
        else ""  # SQLite: IMMEDIATE transactions already let one writer in at a time
    )
    sql = (
        f"SELECT {quote('id')} FROM {quote(Clock._meta.db_table)}"
        f" WHERE {quote('next_escalation_at')} <= %s"
        f" ORDER BY {quote('next_escalation_at')} LIMIT %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), batch_size])
        return [row[0] for row in cursor.fetchall()]


@dataclass
class SweepPass:
    """What one pass of the sweep did: rungs fired, and whether it ran out of due clocks (a pass
    that used up its time budget leaves the rest to the next one, which it asks for at once)."""

    fired: int = 0
    finished: bool = True


def escalations_fire_due(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Fire every rung that has fallen due; returns how many escalations were written."""
    return escalations_sweep(now=now, batch_size=batch_size).fired


def escalations_sweep(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    budget: timedelta | None = None,
    on_backlog: Callable[[], object] | None = None,
) -> SweepPass:
    """One pass of the sweep: fire the rungs due, batch after batch, until none is left or the
    pass has run ``budget`` long. ``on_backlog`` is called once if a batch comes back full (more
    may be due: the task asks another pass to share the backlog at once, not at beat's next
    tick).

    1. Note the pass's start in the heartbeat and read when the pass before it finished.
    2. Each batch is one transaction: its escalations and notifications commit together, and
       their email delivery is enqueued after the commit.
    3. Note the finish, and how many rungs the pass fired.

    Safe to run in several workers and from several beats at once: a clock is claimed by one
    sweep (SKIP LOCKED), and the unique key on (clock, level) refuses a second firing even if
    that ever failed. A pass killed mid-batch rolls its batch back; the next pass fires it. A
    batch costs a fixed handful of queries, however many rungs it fires, so the clocks it holds
    are held briefly.
    """
    batch_size = batch_size or settings.CC112_SLA_SWEEP_BATCH
    started = timezone.now()
    previous_sweep_at = sweep_started(started)
    outcome = SweepPass()
    calendars: dict[str, Calendar] = {}
    directory = Directory()
    while True:
        with transaction.atomic():
            moment = now or timezone.now()
            claimed = claim_due_clocks(moment, batch_size)
            if not claimed:
                break
            clocks = list(
                Clock.objects.filter(pk__in=claimed)
                .only(*FIRE_COLUMNS)
                .order_by("next_escalation_at", "pk")
            )
            escalations, to_email = _fire_batch(
                clocks,
                ladder(),
                moment,
                calendars,
                sweep=(started, previous_sweep_at),
                directory=directory,
            )
            outcome.fired += len(escalations)
            if to_email:
                from sla.tasks import deliver_notifications

                enqueue_on_commit(deliver_notifications, to_email)
        if len(claimed) < batch_size:
            break
        if on_backlog is not None:
            on_backlog()
            on_backlog = None
        if budget is not None and timezone.now() - started >= budget:
            outcome.finished = False
            break
    sweep_finished(timezone.now(), outcome.fired)
    return outcome


ESCALATION_SWEEP = "escalations"


def sweep_started(at: datetime) -> datetime | None:
    """Record a pass's start; when the pass before it finished (None: never)."""
    previous = Sweep.objects.get_or_create(name=ESCALATION_SWEEP)[0].last_finished_at
    # Passes overlap (two beats, a follow-up pass): the heartbeat only moves forward.
    Sweep.objects.filter(name=ESCALATION_SWEEP).update(
        last_started_at=Greatest(Coalesce("last_started_at", Value(at)), Value(at))
    )
    return previous


def sweep_finished(at: datetime, fired: int) -> None:
    Sweep.objects.filter(name=ESCALATION_SWEEP).update(
        last_finished_at=Greatest(Coalesce("last_finished_at", Value(at)), Value(at)),
        last_fired=fired,
    )


def _fire_batch(
    clocks: list[Clock],
    steps: list[EscalationStep],
    now: datetime,
    calendars: dict[str, Calendar],
    *,
    sweep: tuple[datetime, datetime | None],
    directory: Directory,
) -> tuple[list[Escalation], list[int]]:
    """Escalations and notifications for a claimed batch: (escalations, ids to email).

    A clock that stopped with a rung owed fires the rungs due by the moment it stopped, and no
    later one."""
    done: dict[int, set[int]] = {}
    for clock_id, level in Escalation.objects.filter(clock__in=clocks).values_list(
        "clock_id", "level"
    ):
        done.setdefault(clock_id, set()).add(level)
    fired_at = timezone.now()
    sweep_started_at, previous_sweep_at = sweep
    escalations: list[Escalation] = []
    told: list[tuple[Clock, EscalationStep]] = []
    for clock in clocks:
        calendar = calendar_of(clock, calendars)
        until = now if clock.stopped_at is None else min(now, clock.stopped_at)
        last_level = 0
        for step in steps:
            if step.level < (clock.next_level or 0):
                last_level = step.level
                continue
            due_at = step_due_at(clock, calendar, step)
            if due_at > until:
                break
            last_level = step.level
            if step.level in done.get(clock.pk, set()):
                continue
            escalations.append(
                Escalation(
                    clock=clock,
                    level=step.level,
                    percent=step.percent,
                    due_at=due_at,
                    fired_at=fired_at,
                    flags_for_evaluation=step.flags_for_evaluation,
                    sweep_started_at=sweep_started_at,
                    previous_sweep_at=previous_sweep_at,
                )
            )
            told.append((clock, step))
            if step.flags_for_evaluation:
                clock.flagged_for_evaluation = True
        if clock.stopped_at is None:
            schedule_next(clock, calendar, steps, after_level=last_level)
        else:
            clock.next_level = clock.next_escalation_at = None
    Escalation.objects.bulk_create(escalations)
    notifications = [
        (
            user_id,
            escalation.pk,
            clock.incident_id,
            audience,
            fired_at,
            0,
            "",
            EmailStatus.PENDING if email else EmailStatus.NO_ADDRESS,
        )
        for escalation, (clock, step) in zip(escalations, told, strict=True)
        for user_id, (audience, email) in directory.recipients(clock, step).items()
    ]
    ids = rows_insert(Notification, NOTIFICATION_COLUMNS, notifications)
    emit_escalations(zip(escalations, (clock for clock, _step in told), strict=True))
    rows_update(clocks, ["next_level", "next_escalation_at", "flagged_for_evaluation"])
    pending = [pk for pk, row in zip(ids, notifications, strict=True) if row[-1] == "pending"]
    return escalations, pending


# A notification as the sweep writes it (unread, no email attempt yet).
NOTIFICATION_COLUMNS = (
    "recipient",
    "escalation",
    "incident",
    "audience",
    "created_at",
    "email_attempts",
    "email_error",
    "email_status",
)

_AUDIENCE_OF = {
    Role.DUTY_OFFICER: Audience.DUTY_OFFICER,
    Role.HEAD: Audience.AGENCY_HEAD,
    Role.SUPERVISOR: Audience.SUPERVISOR,
    Role.COORDINATOR: Audience.COORDINATOR,
}


class Directory:
    """Who holds which role where: every active member of the ladder's roles, read in one
    query when first asked, for a whole pass of the sweep."""

    def __init__(self) -> None:
        self._members: dict[tuple[str, int | None], list[tuple[int, str]]] | None = None

    def members(self, role: str, agency_id: int | None) -> list[tuple[int, str]]:
        """(user id, email) of the active members in ``role`` at the agency (None: the centre)."""
        if self._members is None:
            self._members = {}
            rows = (
                Membership.objects.active()
                .filter(role__in=list(_AUDIENCE_OF), user__is_active=True)
                .order_by("user_id")
                .values_list("role", "agency_id", "agency__is_centre", "user_id", "user__email")
            )
            for role_held, agency, is_centre, user_id, email in rows:
                where = None if is_centre else agency
                self._members.setdefault((role_held, where), []).append((user_id, email))
        return self._members.get((role, agency_id), [])

    def recipients(self, clock: Clock, step: EscalationStep) -> dict[int, tuple[str, str]]:
        """user id → (the audience they are told as, their email) for one rung of one clock."""
        agency = clock.agency_id
        wanted = [
            (Role.DUTY_OFFICER, agency, step.notify_duty_officer and agency is not None),
            (Role.HEAD, agency, step.notify_agency_head and agency is not None),
            (Role.SUPERVISOR, None, step.notify_supervisor),
            (Role.COORDINATOR, None, step.notify_coordinator),
        ]
        found: dict[int, tuple[str, str]] = {}
        for role, where, asked in wanted:
            if asked:
                for user_id, email in self.members(role, where):
                    found.setdefault(user_id, (_AUDIENCE_OF[role], email))
        return found
