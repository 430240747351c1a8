"""Firing the ladder: the sweep that claims due clocks, and who is told."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
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
    rolls its batch back; the next sweep fires it.
    """
    fired = 0
    calendars: dict[int | None, Calendar] = {}
    while True:
        with transaction.atomic():
            moment = now or timezone.now()
            clocks = claim_due_clocks(moment, batch_size)
            if not clocks:
                break
            steps = ladder()
            notification_ids: list[int] = []
            for clock in clocks:
                fired += _fire(clock, steps, moment, calendars, notification_ids)
            if notification_ids:
                from sla.tasks import deliver_notifications

                enqueue_on_commit(deliver_notifications, notification_ids)
        if len(clocks) < batch_size:
            break
    return fired


def _fire(
    clock: Clock,
    steps: list[EscalationStep],
    now: datetime,
    calendars: dict[int | None, Calendar],
    notification_ids: list[int],
) -> int:
    calendar = calendar_of(clock, calendars)
    done = set(clock.escalations.values_list("level", flat=True))
    fired = 0
    last_level = 0
    for step in steps:
        if step.level < (clock.next_level or 0):
            last_level = step.level
            continue
        due_at = step_due_at(clock, calendar, step)
        if due_at > now:
            break
        last_level = step.level
        if step.level in done:
            continue
        escalation = Escalation.objects.create(
            clock=clock,
            level=step.level,
            percent=step.percent,
            due_at=due_at,
            fired_at=timezone.now(),
            flags_for_evaluation=step.flags_for_evaluation,
        )
        notification_ids.extend(_notify(escalation, clock, step))
        if step.flags_for_evaluation:
            clock.flagged_for_evaluation = True
        fired += 1
    schedule_next(clock, calendar, steps, after_level=last_level)
    clock.save(update_fields=["next_level", "next_escalation_at", "flagged_for_evaluation"])
    return fired


def recipients(clock: Clock, step: EscalationStep) -> dict[int, str]:
    """user id → the audience they are told as, for one rung of one clock."""
    wanted: list[tuple[str, bool, str]] = [
        (Role.DUTY_OFFICER, step.notify_duty_officer and clock.agency_id is not None, "agency"),
        (Role.HEAD, step.notify_agency_head and clock.agency_id is not None, "agency"),
        (Role.SUPERVISOR, step.notify_supervisor, "centre"),
        (Role.COORDINATOR, step.notify_coordinator, "centre"),
    ]
    audience_of = {
        Role.DUTY_OFFICER: Audience.DUTY_OFFICER,
        Role.HEAD: Audience.AGENCY_HEAD,
        Role.SUPERVISOR: Audience.SUPERVISOR,
        Role.COORDINATOR: Audience.COORDINATOR,
    }
    found: dict[int, str] = {}
    for role, asked, where in wanted:
        if not asked:
            continue
        members = Membership.objects.active().filter(role=role, user__is_active=True)
        if where == "agency":
            members = members.filter(agency_id=clock.agency_id)
        else:
            members = members.filter(agency__is_centre=True)
        for user_id in members.values_list("user_id", flat=True):
            found.setdefault(user_id, audience_of[role])
    return found


def _notify(escalation: Escalation, clock: Clock, step: EscalationStep) -> list[int]:
    users = recipients(clock, step)
    if not users:
        return []
    emails = dict(get_user_model().objects.filter(pk__in=users).values_list("pk", "email"))
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id,
                escalation=escalation,
                incident_id=clock.incident_id,
                audience=audience,
                created_at=escalation.fired_at,
                email_status="pending" if emails.get(user_id) else "no_address",
            )
            for user_id, audience in users.items()
        ]
    )
    return [row.pk for row in rows if row.email_status == "pending"]
