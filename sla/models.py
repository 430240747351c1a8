"""Service levels: targets, the escalation ladder, office hours, clocks and their escalations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from cc112.history import AuditedQuerySet
from incidents.models import Category, Dispatch, Incident, Priority
from sla.querysets import (
    BreachReasonQuerySet,
    ClockQuerySet,
    EvaluationQuerySet,
    NotificationQuerySet,
)


class ClockKind(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch (T0→T1, operator)")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge (T1→T2, agency)")
    ON_SCENE = "on_scene", _("On scene (T1→T3, agency)")
    RESOLVE = "resolve", _("Resolve (T1→T4, agency)")
    # The case's own: its whole handling time (waktu penanganan), measured, never escalated.
    HANDLING = "handling", _("Handling (T0→T4, case)")
    CLOSURE = "closure", _("Closing (T0→closed, case)")


# Each dispatched agency's clocks, started at T1.
AGENCY_KINDS = frozenset({ClockKind.ACKNOWLEDGE, ClockKind.ON_SCENE, ClockKind.RESOLVE})
# The case's whole handling, started at T0: measures for reports, no one's step to escalate.
CASE_KINDS = frozenset({ClockKind.HANDLING, ClockKind.CLOSURE})


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
        help_text=_(
            "Empty: every agency. Only for the agencies' clocks (acknowledge, on scene, resolve)."
        ),
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
        if self.kind and self.kind not in AGENCY_KINDS and self.agency_id is not None:
            raise ValidationError(
                {
                    "agency": _(
                        "Only the agencies' clocks (acknowledge, on scene, resolve) have "
                        "agency targets."
                    )
                }
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
    """One measured interval of one case: the operator's T0→T1; an agency's T1→T2, T1→T3 and
    T1→T4; the case's whole handling, T0→T4 (the last agency's field report) and T0→closed.

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
            # Reports read the state and elapsed time of the clocks started in a period; with
            # them in the index, a year's compliance is an index-only scan (bench/reports.py).
            models.Index(
                fields=["agency", "kind", "started_at"],
                include=["state", "elapsed"],
                name="clock_agency_started",
            ),
            models.Index(
                fields=["operator", "started_at"],
                include=["state", "elapsed"],
                condition=Q(kind="dispatch"),
                name="clock_operator_started",
            ),
            # A period's T1→T4 over every agency, and the cases' T0→T4 and T0→closed.
            models.Index(
                fields=["kind", "started_at"],
                include=["state", "elapsed"],
                name="clock_kind_started",
            ),
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
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(kind__in=["handling", "closure"]),
                name="one_case_clock_per_kind",
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


class BreachCause(models.TextChoices):
    NO_UNIT = "no_unit", _("No unit available")
    ADDRESS_UNCLEAR = "address_unclear", _("Address unclear")
    CALLER_UNREACHABLE = "caller_unreachable", _("Caller unreachable")
    ACCESS_BLOCKED = "access_blocked", _("Access blocked")
    LATE_DISPATCH = "late_dispatch", _("Late dispatch by the 112 centre")
    SYSTEM_FAULT = "system_fault", _("System fault")
    OTHER = "other", _("Other")


class BreachReason(models.Model):
    """Why a clock breached, recorded once by whoever answers for it: the agency's duty officer
    or head for an agency's clock, a 112 supervisor for the centre's and the case's own."""

    clock = models.OneToOneField(
        Clock, on_delete=models.CASCADE, related_name="breach_reason", verbose_name=_("clock")
    )
    cause = models.CharField(_("cause"), max_length=30, choices=BreachCause.choices)
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Required when the cause is “Other”.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    history = HistoricalRecords()
    objects = BreachReasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("breach reason")
        verbose_name_plural = _("breach reasons")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        if self.cause == BreachCause.OTHER and self.explanation:
            return f"{self.get_cause_display()}: {self.explanation}"
        return str(self.get_cause_display())


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
    # When the sweep pass that fired this rung started, and when the pass before it had finished:
    # a rung fired long after it fell due says whether no sweep ran in between or the sweeps
    # were behind.
    sweep_started_at = models.DateTimeField(
        _("sweep started at"), null=True, blank=True, editable=False
    )
    previous_sweep_at = models.DateTimeField(
        _("previous sweep finished at"), null=True, blank=True, editable=False
    )

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


class Sweep(models.Model):
    """The escalation sweep's heartbeat: when the last pass started and finished.

    Each pass reads it before it claims anything (what it fires late says when the sweep before
    it ended) and moves it forward when done; health checks read how far behind beat is.
    """

    name = models.CharField(max_length=40, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_fired = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sweep")
        verbose_name_plural = _("sweeps")

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    DUTY_OFFICER = "duty_officer", _("Agency duty officer")
    AGENCY_HEAD = "agency_head", _("Agency head")
    SUPERVISOR = "supervisor", _("112 shift supervisor")
    COORDINATOR = "coordinator", _("112 coordinator")
    # Told of a new dispatch to one's agency, not of an escalation.
    AGENCY = "agency", _("Member of the agency the case was sent to")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_ADDRESS = "no_address", _("No email address")
    WITHDRAWN = "withdrawn", _("Not sent: the case is no longer theirs to see")
    # A new dispatch is told in the portal (the inbox rings); an email would come after it.
    IN_APP = "in_app", _("Not emailed: told in the portal")


class Notification(models.Model):
    """One person told of one escalation (read in the portal, and sent by email through the
    outbox), or of a new dispatch to their agency (in the portal only)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    escalation = models.ForeignKey(
        Escalation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("escalation"),
    )
    dispatch = models.ForeignKey(
        Dispatch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispatch"),
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
            models.UniqueConstraint(
                fields=["dispatch", "recipient"],
                condition=Q(dispatch__isnull=False),
                name="one_dispatch_notification_per_recipient",
            ),
            models.CheckConstraint(
                condition=Q(escalation__isnull=False, dispatch__isnull=True)
                | Q(escalation__isnull=True, dispatch__isnull=False),
                name="notification_of_escalation_or_dispatch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident} → {self.recipient}"


# --- Evaluations of operators ---------------------------------------------------------------------

# The supervisor's rubric: each criterion is scored 1 (poor) to 5 (excellent). The codes are
# stored in ``Evaluation.scores``; change a label freely, never a code.
RUBRIC: tuple[tuple[str, str], ...] = (
    ("dispatch_speed", _("Dispatch speed")),
    ("data_completeness", _("Data completeness")),
    ("categorisation", _("Categorisation and priority")),
    ("caller_communication", _("Caller communication")),
    ("sop_compliance", _("SOP compliance")),
)
RUBRIC_CODES = tuple(code for code, _label in RUBRIC)
SCORE_MIN, SCORE_MAX = 1, 5


def rubric_errors(scores: object) -> dict[str, str]:
    """What is wrong with a rubric's scores, by criterion code ("scores" for the whole)."""
    if not isinstance(scores, dict):
        return {"scores": _("The scores must be given criterion by criterion.")}
    errors: dict[str, str] = {}
    unknown = sorted(set(scores) - set(RUBRIC_CODES))
    if unknown:
        errors["scores"] = _("Not a criterion of the rubric: %(codes)s.") % {
            "codes": ", ".join(map(str, unknown))
        }
    for code in RUBRIC_CODES:
        value = scores.get(code)
        if value is None:
            errors[code] = _("Give a score from %(min)s to %(max)s.") % {
                "min": SCORE_MIN,
                "max": SCORE_MAX,
            }
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[code] = _("A score is a whole number from %(min)s to %(max)s.") % {
                "min": SCORE_MIN,
                "max": SCORE_MAX,
            }
        elif not SCORE_MIN <= value <= SCORE_MAX:
            errors[code] = _("A score is from %(min)s to %(max)s; %(value)s is not.") % {
                "min": SCORE_MIN,
                "max": SCORE_MAX,
                "value": value,
            }
    return errors


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    # "Acknowledged" alone is a dispatch's status (received by the agency).
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("evaluation", "Acknowledged")


class Evaluation(models.Model):
    """A supervisor's evaluation of one operator over one period.

    The figures are the operator's scorecard beside the centre's (``sla.scorecards``), frozen
    when the evaluation is opened: a case corrected later does not change what the operator was
    evaluated on. Draft (the supervisor scores it) → submitted → acknowledged by the operator.
    """

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("operator"),
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"), help_text=_("Exclusive."))
    # ``operator_scorecard(operator, period)`` as it was when the evaluation was opened, moments
    # as UTC text (``cc112.moments.utc_text``).
    metrics = models.JSONField(_("figures"), editable=False)
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    comment = models.TextField(_("supervisor's comment"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.DRAFT,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    operator_remark = models.TextField(
        _("operator's remark"),
        blank=True,
        help_text=_("What the operator answered when acknowledging the evaluation."),
    )

    history = HistoricalRecords()
    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-period_end", "operator__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="evaluation_period_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["operator", "period_start", "period_end"],
                name="one_evaluation_per_operator_period",
            ),
        ]

    def __str__(self) -> str:
        return _("%(operator)s, %(period)s") % {
            "operator": self.operator.get_full_name() or self.operator.get_username(),
            "period": self.period_label,
        }

    @property
    def period_label(self) -> str:
        """01-10-2025 – 31-12-2025: the first and the last day in the centre's time zone (the
        period ends at, and excludes, the midnight after its last day)."""
        last = self.period_end - timedelta(microseconds=1)
        return "{} – {}".format(
            formats.date_format(timezone.localtime(self.period_start), "d-m-Y"),
            formats.date_format(timezone.localtime(last), "d-m-Y"),
        )

    def clean(self) -> None:
        if self.scores:
            errors = rubric_errors(self.scores)
            if errors:
                raise ValidationError(errors)
