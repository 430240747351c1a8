from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager
from simple_history.models import HistoricalRecords

from agencies.querysets import (
    AgencyQuerySet,
    MembershipQuerySet,
    WebhookDeliveryQuerySet,
    WebhookSubscriptionQuerySet,
)
from cc112.field_crypto import EncryptedCharField
from cc112.history import AuditedQuerySet


class AgencyKind(models.TextChoices):
    CENTRE = "centre", _("112 call centre")
    POLICE = "police", _("Police")
    MILITARY = "military", _("Military")
    SAR = "sar", _("Search and rescue")
    METEOROLOGY = "meteorology", _("Meteorology and geophysics")
    UTILITY = "utility", _("Utility company")
    CITY_OFFICE = "city_office", _("City office (OPD)")
    HOSPITAL = "hospital", _("Hospital / health service")
    OTHER = "other", _("Other")


class WorkingHours(models.TextChoices):
    ALWAYS = "24_7", _("24 hours, 7 days")
    OFFICE = "office", _("Office hours (working days)")


class Agency(models.Model):
    """An organisation that takes part in the 112 network: the centre itself or a partner."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    is_centre = models.BooleanField(
        _("is the 112 centre"),
        default=False,
        help_text=_("The call centre that takes reports and dispatches them."),
    )
    working_hours = models.CharField(
        _("working hours"), max_length=10, choices=WorkingHours.choices, default=WorkingHours.ALWAYS
    )
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    email = models.EmailField(_("duty email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    may_report_cases = models.BooleanField(
        _("may report cases"),
        default=False,
        help_text=_(
            "The agency's staff and systems may open cases themselves (e.g. BMKG's warnings); "
            "the 112 centre then dispatches them."
        ),
    )
    # Each agency's users belong to its group; guardian grants case access to the group.
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="agency", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["-is_centre", "short_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_centre"], condition=Q(is_centre=True), name="one_112_centre"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class Role(models.TextChoices):
    # At the 112 centre.
    OPERATOR = "operator", _("Operator")
    SUPERVISOR = "supervisor", _("Shift supervisor")
    COORDINATOR = "coordinator", _("112 coordinator")
    # At a partner agency.
    STAFF = "staff", _("Agency staff")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    HEAD = "head", _("Agency head")
    # At the 112 centre, apart from casework: answers for callers' personal data (UU 27/2022).
    DATA_PROTECTION = "data_protection", _("Data protection officer")


CENTRE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.COORDINATOR})
AGENCY_ROLES = frozenset({Role.STAFF, Role.DUTY_OFFICER, Role.HEAD})
# Centre roles that see no cases: they oversee how cases' personal data is handled.
OVERSIGHT_ROLES = frozenset({Role.DATA_PROTECTION})


class Membership(models.Model):
    """A user's place in one agency, with one role. A user acts for one agency at a time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["agency__short_name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_active=True), name="one_active_membership_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.agency})"

    @property
    def is_centre_role(self) -> bool:
        return self.role in CENTRE_ROLES


class ApiKeyManager(BaseAPIKeyManager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    def get_usable_keys(self):  # type: ignore[no-untyped-def]
        return super().get_usable_keys().select_related("account", "agency")


class ApiKey(AbstractAPIKey):
    """A partner system's key. It acts as its own account, a member of one agency, so it sees
    and does exactly what that agency's staff would; shown once, stored hashed (the library's
    SHA-512 of a random 32-character secret)."""

    # The library's fields as it defines them, named in our words: its own are untranslated
    # ("name", "prefix", "created", "revoked"), and the key's form and list show them.
    name = models.CharField(
        _("name"),
        max_length=50,
        default=None,
        help_text=_("Which of the agency's systems uses the key; need not be unique."),
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=8,
        unique=True,
        editable=False,
        help_text=_("The key's first characters, before the dot: how to tell keys apart."),
    )
    created = models.DateTimeField(_("issued at"), auto_now_add=True, db_index=True)
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("A revoked key opens nothing any more; this cannot be undone."),
    )
    expiry_date = models.DateTimeField(
        _("expires at"),
        blank=True,
        null=True,
        help_text=_("After this moment the key opens nothing; empty for no end."),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("agency")
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
        verbose_name=_("account"),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("revoked by"),
    )

    history = HistoricalRecords(excluded_fields=["last_used_at"])
    objects = ApiKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")


class WebhookEvent(models.TextChoices):
    DISPATCH_CREATED = "dispatch.created", _("Dispatch created")
    DISPATCH_ESCALATED = "dispatch.escalated", _("Dispatch escalated")
    INCIDENT_UPDATED = "incident.updated", _("Case updated")
    INCIDENT_CLOSED = "incident.closed", _("Case closed")


class WebhookSubscription(models.Model):
    """A partner system's address that is told of the events it chose, on the cases its agency
    sees; every delivery is signed with the subscription's secret."""

    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("agency"),
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where the events are POSTed, e.g. https://sistem.example.go.id/cc112."),
    )
    events = models.JSONField(_("events"), default=list)
    # Every delivery is signed with it, so it is kept recoverable: encrypted at rest with the
    # settings' key (cc112/field_crypto.py), the column holds the Fernet token. Shown once.
    secret = EncryptedCharField(_("signing secret"), max_length=255, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["secret"])
    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["agency__short_name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.agency} → {self.url}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    WITHDRAWN = "withdrawn", _("Not sent: the case or the subscription is no longer theirs")


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row that the delivery task sends.

    ``next_attempt_at`` is when it may be tried (again); the sweep finds due rows by it (a
    partial index keeps only pending ones). A replay is a new row with the same ``event_id``,
    so a partner that already processed the event can recognise it.
    """

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(_("event id"), editable=False, db_index=True)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    payload = models.JSONField(_("payload"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Which claim may record the outcome: a worker whose claim went stale must not.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(
        _("last response status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replays",
        verbose_name=_("replay of"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("replayed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's due rows, and the claims of workers that died.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="webhook_delivery_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back: the log partners' support is answered from."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery} @ {self.started_at:%Y-%m-%d %H:%M:%S}"
