"""Firing the ladder: the sweep that claims due clocks, and who is told."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import Membership, Role
from cc112.queue import enqueue_on_commit
from sla.calendars import Calendar
from sla.models import Audience, Clock, Escalation, EscalationStep, Notification
from sla.services.clocks import calendar_of, ladder, schedule_next, step_due_at

BATCH_SIZE = 100


def claim_due_clocks(now: datetime, batch_size: int = BATCH_SIZE) -> list[Clock]:
    """Lock up to ``batch_size`` clocks whose next rung is due, skipping rows another sweep
    holds. Must run inside a transaction; the locks end with it.

    The case row is taken too (FOR NO KEY UPDATE, skipped if held): inserting a notification
    needs a key-share lock on its case, and a workflow service holding the case while it waits
    for this clock would otherwise deadlock with the sweep. A skipped clock fires next tick.
    """
    return list(
        Clock.objects.filter(next_escalation_at__lte=now)
        .select_related("incident")
        .order_by("next_escalation_at")
        .select_for_update(skip_locked=True, no_key=True, of=("self", "incident"))[:batch_size]
    )


def escalations_fire_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Fire every rung that has fallen due; returns how many escalations were written.

    Each batch is one transaction: its escalations and notifications commit together, and
    their email delivery is enqueued after the commit. Safe to run in several workers and from
    several beats at once: a clock is claimed by one sweep (SKIP LOCKED), and the unique key on
    (clock, level) refuses a second firing even if that ever failed. A sweep killed mid-batch
    rolls its batch back; the next sweep fires it. A batch costs a fixed handful of queries,
    however many rungs it fires, so the case rows it holds are held briefly.
    """
    fired = 0
    calendars: dict[int | None, Calendar] = {}
    while True:
        with transaction.atomic():
            moment = now or timezone.now()
            clocks = claim_due_clocks(moment, batch_size)
            if not clocks:
                break
            escalations, to_email = _fire_batch(clocks, ladder(), moment, calendars)
            fired += len(escalations)
            if to_email:
                from sla.tasks import deliver_notifications

                enqueue_on_commit(deliver_notifications, to_email)
        if len(clocks) < batch_size:
            break
    return fired


def _fire_batch(
    clocks: list[Clock],
    steps: list[EscalationStep],
    now: datetime,
    calendars: dict[int | None, Calendar],
) -> tuple[list[Escalation], list[int]]:
    """Escalations and notifications for a claimed batch: (escalations, ids to email)."""
    done: dict[int, set[int]] = {}
    for clock_id, level in Escalation.objects.filter(clock__in=clocks).values_list(
        "clock_id", "level"
    ):
        done.setdefault(clock_id, set()).add(level)
    fired_at = timezone.now()
    escalations: list[Escalation] = []
    told: list[tuple[Clock, EscalationStep]] = []
    for clock in clocks:
        calendar = calendar_of(clock, calendars)
        last_level = 0
        for step in steps:
            if step.level < (clock.next_level or 0):
                last_level = step.level
                continue
            due_at = step_due_at(clock, calendar, step)
            if due_at > now:
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
                )
            )
            told.append((clock, step))
            if step.flags_for_evaluation:
                clock.flagged_for_evaluation = True
        schedule_next(clock, calendar, steps, after_level=last_level)
    Escalation.objects.bulk_create(escalations)
    directory = Directory()
    notifications = [
        Notification(
            recipient_id=user_id,
            escalation=escalation,
            incident_id=clock.incident_id,
            audience=audience,
            created_at=fired_at,
            email_status="pending" if email else "no_address",
        )
        for escalation, (clock, step) in zip(escalations, told, strict=True)
        for user_id, (audience, email) in directory.recipients(clock, step).items()
    ]
    Notification.objects.bulk_create(notifications)
    Clock.objects.bulk_update(
        clocks, ["next_level", "next_escalation_at", "flagged_for_evaluation"]
    )
    return escalations, [n.pk for n in notifications if n.email_status == "pending"]


_AUDIENCE_OF = {
    Role.DUTY_OFFICER: Audience.DUTY_OFFICER,
    Role.HEAD: Audience.AGENCY_HEAD,
    Role.SUPERVISOR: Audience.SUPERVISOR,
    Role.COORDINATOR: Audience.COORDINATOR,
}


class Directory:
    """Who holds a role where, looked up once per role and agency for a whole batch."""

    def __init__(self) -> None:
        self._members: dict[tuple[str, int | None], list[tuple[int, str]]] = {}

    def members(self, role: str, agency_id: int | None) -> list[tuple[int, str]]:
        """(user id, email) of the active members in ``role`` at the agency (None: the centre)."""
        key = (role, agency_id)
        if key not in self._members:
            members = Membership.objects.active().filter(role=role, user__is_active=True)
            if agency_id is None:
                members = members.filter(agency__is_centre=True)
            else:
                members = members.filter(agency_id=agency_id)
            self._members[key] = list(
                members.order_by("user_id").values_list("user_id", "user__email")
            )
        return self._members[key]

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


def recipients(clock: Clock, step: EscalationStep) -> dict[int, str]:
    """user id → the audience they are told as, for one rung of one clock."""
    return {
        user_id: audience
        for user_id, (audience, _email) in Directory().recipients(clock, step).items()
    }
