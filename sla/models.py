"""Service levels: targets, the escalation ladder, office hours, clocks and their escalations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from cc112.history import AuditedQuerySet
from incidents.models import Category, Dispatch, Incident, Priority
from sla.querysets import ClockQuerySet, NotificationQuerySet


class ClockKind(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch (T0→T1, operator)")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge (T1→T2, agency)")
    ON_SCENE = "on_scene", _("On scene (T1→T3, agency)")


class Target(models.Model):
    """How long a clock may run, by clock × priority, narrowed by category and/or agency.

    The most specific row wins: agency + category, then agency, then category, then the
    general row; without any row the defaults of DOMAIN.md apply (``sla.targets``).
    """

    kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Empty: every category."),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
        help_text=_("Empty: every agency. Only for the acknowledge and on-scene clocks."),
    )
    target = models.DurationField(
        _("target"),
        validators=[MinValueValidator(timedelta(seconds=1))],
        help_text=_("As hh:mm:ss, e.g. 00:05:00 for five minutes."),
    )

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service-level target")
        verbose_name_plural = _("service-level targets")
        ordering = ["kind", "priority", "agency__short_name", "category__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "priority"],
                condition=Q(category__isnull=True, agency__isnull=True),
                name="one_general_target",
            ),
            models.UniqueConstraint(
                fields=["kind", "priority", "category"],
                condition=Q(agency__isnull=True),
                name="one_category_target",
            ),
            models.UniqueConstraint(
                fields=["kind", "priority", "agency"],
                condition=Q(category__isnull=True),
                name="one_agency_target",
            ),
            models.UniqueConstraint(
                fields=["kind", "priority", "agency", "category"], name="one_agency_category_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} P{self.priority}: {self.target}"

    def clean(self) -> None:
        if self.kind == ClockKind.DISPATCH and self.agency_id is not None:
            raise ValidationError(
                {"agency": _("The dispatch clock is the 112 centre's; it has no agency target.")}
            )


class EscalationStep(models.Model):
    """One rung of the ladder: at this share of the target, these people are told."""

    level = models.PositiveSmallIntegerField(
        _("level"), unique=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    percent = models.PositiveSmallIntegerField(
        _("percent of target"),
        unique=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    notify_duty_officer = models.BooleanField(_("agency duty officer"), default=False)
    notify_agency_head = models.BooleanField(_("agency head"), default=False)
    notify_supervisor = models.BooleanField(_("112 shift supervisor"), default=False)
    notify_coordinator = models.BooleanField(_("112 coordinator"), default=False)
    flags_for_evaluation = models.BooleanField(_("flag the case for evaluation"), default=False)

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation ladder")
        ordering = ["level"]

    def __str__(self) -> str:
        return _("Level %(level)s at %(percent)s%%") % {
            "level": self.level,
            "percent": self.percent,
        }

    def clean(self) -> None:
        # The sweep climbs the ladder in order and stops at the first rung not yet due, so a
        # higher level must fall due later, or it would wait behind a lower one.
        if self.level is None or self.percent is None:
            return
        others = EscalationStep.objects.exclude(pk=self.pk)
        below = others.filter(level__lt=self.level, percent__gte=self.percent).first()
        above = others.filter(level__gt=self.level, percent__lte=self.percent).first()
        clash = below or above
        if clash:
            raise ValidationError(
                {
                    "percent": _(
                        "Higher levels need a higher percentage: level %(level)s is at "
                        "%(percent)s%%."
                    )
                    % {"level": clash.level, "percent": clash.percent}
                }
            )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OfficeDay(models.Model):
    """An office-hours agency's opening hours on one weekday (none set: the civil-service week)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="office_days", verbose_name=_("agency")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("office day")
        verbose_name_plural = _("office hours")
        ordering = ["agency__short_name", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "weekday"], name="one_office_day"),
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="opens_first"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Clock(models.Model):
    """One measured interval of one case: the operator's T0→T1, or an agency's T1→T2 / T1→T3.

    Started and stopped by the workflow services. ``next_escalation_at`` is the moment the next
    rung of the ladder falls due; the sweep claims rows by it (a partial index keeps only
    running clocks), so no timer lives anywhere but in this column.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("case")
    )
    dispatch = models.ForeignKey(
        Dispatch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="clocks",
        verbose_name=_("dispatch"),
    )
    kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    # Whose clock: the dispatched agency; empty for the centre's own (the operator's) clock.
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator"),
    )
    target = models.DurationField(_("target"))
    working_time = models.BooleanField(
        _("counts office hours only"),
        default=False,
    )
    # The opening hours the clock counts, as they were when it started ({"0": ["07:30:00",
    # "16:00:00"], ...}); a later change to the agency's hours does not move a running clock.
    office_week = models.JSONField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"), max_length=12, choices=ClockState.choices, default=ClockState.RUNNING
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    elapsed = models.DurationField(_("elapsed"), null=True, blank=True)
    next_level = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    next_escalation_at = models.DateTimeField(null=True, blank=True, editable=False)
    flagged_for_evaluation = models.BooleanField(_("flagged for evaluation"), default=False)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["started_at", "kind"]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="clock_escalation_due",
            ),
            models.Index(fields=["agency", "kind", "started_at"], name="clock_agency_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "kind"],
                condition=Q(dispatch__isnull=False),
                name="one_clock_per_dispatch_kind",
            ),
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(kind="dispatch"),
                name="one_dispatch_clock_per_case",
            ),
            models.CheckConstraint(
                condition=Q(state="running", stopped_at__isnull=True)
                | (~Q(state="running") & Q(stopped_at__isnull=False)),
                name="clock_stopped_iff_not_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.agency or '112'}"

    @property
    def is_running(self) -> bool:
        return self.state == ClockState.RUNNING

    @property
    def lateness(self) -> timedelta | None:
        """How far past its target a stopped clock ran (None if it met it or still runs)."""
        if self.elapsed is None or self.elapsed <= self.target:
            return None
        return self.elapsed - self.target

    def overdue_by(self, now=None) -> timedelta | None:  # type: ignore[no-untyped-def]
        now = now or timezone.now()
        if not self.is_running or now <= self.due_at:
            return None
        return now - self.due_at


class Escalation(models.Model):
    """A rung of the ladder that fired for one clock; the unique key makes it fire once."""

    clock = models.ForeignKey(
        Clock, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("clock")
    )
    level = models.PositiveSmallIntegerField(_("level"))
    percent = models.PositiveSmallIntegerField(_("percent of target"))
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"))
    flags_for_evaluation = models.BooleanField(_("flags the case for evaluation"), default=False)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["clock", "level"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "level"], name="one_escalation_per_level"),
        ]

    def __str__(self) -> str:
        return _("Level %(level)s at %(percent)s%%") % {
            "level": self.level,
            "percent": self.percent,
        }


class Audience(models.TextChoices):
    DUTY_OFFICER = "duty_officer", _("Agency duty officer")
    AGENCY_HEAD = "agency_head", _("Agency head")
    SUPERVISOR = "supervisor", _("112 shift supervisor")
    COORDINATOR = "coordinator", _("112 coordinator")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_ADDRESS = "no_address", _("No email address")
    WITHDRAWN = "withdrawn", _("Not sent: the case is no longer theirs to see")


class Notification(models.Model):
    """One person told of one escalation: read in the portal, and sent by email (the outbox)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    escalation = models.ForeignKey(
        Escalation,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("escalation"),
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    audience = models.CharField(_("told as"), max_length=20, choices=Audience.choices)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("email"), max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    email_error = models.CharField(_("last email error"), max_length=300, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="notification_outbox",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "recipient"], name="one_notification_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident} → {self.recipient}"
