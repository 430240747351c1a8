"""Case representations for the API, and the input each write accepts.

Lists are read by partners' sync jobs over and over: the summary is built straight from a
``values()`` row (``incident_summary``) instead of one DRF field object per column per row;
the declared fields describe the same shape for the schema.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from cc112.moments import UtcText, utc_text
from incidents.models import (
    Category,
    Channel,
    Dispatch,
    Incident,
    IncidentStatus,
    Note,
    Priority,
)
from incidents.services.intake import CORRECTABLE_FIELDS
from sla.models import BreachCause


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class UtcDateTimeField(serializers.DateTimeField):
    """Times leave the API in UTC (``Z``); the portal shows them in the centre's zone."""

    def to_representation(self, value):  # type: ignore[no-untyped-def]
        return utc_text(value) if value else None


def _coordinate(limit: int) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-limit),
        max_value=Decimal(limit),
        required=False,
        allow_null=True,
    )


# --- Reading -------------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "id",
    "reference",
    "status",
    "priority",
    "category__code",
    "channel",
    "location_text",
    "kecamatan",
    "kelurahan",
    "latitude",
    "longitude",
    "received_at",
    "first_dispatched_at",
    "resolved_at",
    "closed_at",
    "updated_at",
)
SUMMARY_MOMENTS = ("received_at", "first_dispatched_at", "resolved_at", "closed_at", "updated_at")


def summary_rows(cases: QuerySet) -> QuerySet:
    """The list's columns as ``values()`` rows, each moment as ``<name>_utc``: the text the API
    writes, made by the database (``UtcText``)."""
    columns = [column for column in SUMMARY_COLUMNS if column not in SUMMARY_MOMENTS]
    return cases.values(*columns, **{f"{name}_utc": UtcText(name) for name in SUMMARY_MOMENTS})


def incident_summary(row: dict) -> dict:
    return {
        "id": row["id"],
        "url": f"/api/v1/incidents/{row['id']}/",
        "reference": row["reference"],
        "status": row["status"],
        "priority": row["priority"],
        "category": row["category__code"],
        "channel": row["channel"],
        "location_text": row["location_text"],
        "kecamatan": row["kecamatan"],
        "kelurahan": row["kelurahan"],
        "latitude": decimal_text(row["latitude"]),
        "longitude": decimal_text(row["longitude"]),
        "received_at": row["received_at_utc"],
        "first_dispatched_at": row["first_dispatched_at_utc"],
        "resolved_at": row["resolved_at_utc"],
        "closed_at": row["closed_at_utc"],
        "updated_at": row["updated_at_utc"],
    }


class IncidentSummarySerializer(serializers.Serializer):
    """A case in a list: no caller details or description (fetch the case for those)."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = serializers.CharField(help_text=_("Category code, see /api/v1/categories/."))
    channel = serializers.ChoiceField(choices=Channel.choices)
    location_text = serializers.CharField()
    kecamatan = serializers.CharField()
    kelurahan = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    received_at = UtcDateTimeField(help_text=_("T0: the call answered or the report made."))
    first_dispatched_at = UtcDateTimeField(allow_null=True, help_text=_("T1"))
    resolved_at = UtcDateTimeField(allow_null=True)
    closed_at = UtcDateTimeField(allow_null=True)
    updated_at = UtcDateTimeField()

    def to_representation(self, instance: dict) -> dict:
        return incident_summary(instance)


class DispatchSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    incident = serializers.PrimaryKeyRelatedField(read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    dispatched_at = UtcDateTimeField(read_only=True, help_text=_("T1"))
    acknowledged_at = UtcDateTimeField(read_only=True, allow_null=True, help_text=_("T2"))
    en_route_at = UtcDateTimeField(read_only=True, allow_null=True)
    on_scene_at = UtcDateTimeField(read_only=True, allow_null=True, help_text=_("T3"))
    resolved_at = UtcDateTimeField(read_only=True, allow_null=True, help_text=_("T4"))
    closed_at = UtcDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "url",
            "incident",
            "incident_reference",
            "agency",
            "status",
            "instructions",
            "dispatched_at",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "resolved_at",
            "resolution",
            "closed_at",
            "closed_reason",
        ]
        read_only_fields = fields

    def get_url(self, dispatch: Dispatch) -> str:
        return f"/api/v1/dispatches/{dispatch.pk}/"


class CaseTimeSerializer(serializers.Serializer):
    """One of the case's own measures against its target."""

    state = serializers.ChoiceField(
        choices=["running", "met", "breached", "withdrawn"],
        help_text=_("Withdrawn: not measured (closed without any agency, or cancelled)."),
    )
    target_seconds = serializers.IntegerField()
    elapsed_seconds = serializers.IntegerField(allow_null=True, help_text=_("Null while it runs."))
    within_target = serializers.BooleanField(
        allow_null=True, help_text=_("Null while it runs, or when withdrawn.")
    )


class HandlingSerializer(serializers.Serializer):
    """The case's handling time (waktu penanganan), for the 112 centre."""

    resolved = CaseTimeSerializer(
        allow_null=True, help_text=_("T0→T4: from the call to the last agency's field report.")
    )
    closed = CaseTimeSerializer(allow_null=True, help_text=_("T0→closed by the centre."))


def case_time(clock) -> dict | None:  # type: ignore[no-untyped-def]
    if clock is None:
        return None
    measured = clock.state in ("met", "breached")
    return {
        "state": clock.state,
        "target_seconds": int(clock.target.total_seconds()),
        "elapsed_seconds": None if clock.elapsed is None else int(clock.elapsed.total_seconds()),
        "within_target": clock.state == "met" if measured else None,
    }


class IncidentSerializer(serializers.ModelSerializer):
    """A whole case, as the agencies that work it and the centre see it."""

    url = serializers.SerializerMethodField()
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reported_by_agency = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    operator = serializers.SerializerMethodField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    received_at = UtcDateTimeField(read_only=True)
    first_dispatched_at = UtcDateTimeField(read_only=True, allow_null=True)
    resolved_at = UtcDateTimeField(read_only=True, allow_null=True)
    closed_at = UtcDateTimeField(read_only=True, allow_null=True)
    updated_at = UtcDateTimeField(read_only=True)
    dispatches = DispatchSerializer(many=True, read_only=True)
    handling = serializers.SerializerMethodField(
        help_text=_("The case's own times against their targets; null for agencies.")
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "url",
            "reference",
            "status",
            "priority",
            "category",
            "channel",
            "caller_name",
            "caller_phone",
            "location_text",
            "kecamatan",
            "kelurahan",
            "latitude",
            "longitude",
            "description",
            "operator",
            "reported_by_agency",
            "received_at",
            "first_dispatched_at",
            "resolved_at",
            "closed_at",
            "updated_at",
            "dispatches",
            "handling",
        ]
        read_only_fields = fields

    def get_url(self, incident: Incident) -> str:
        return f"/api/v1/incidents/{incident.pk}/"

    @extend_schema_field(HandlingSerializer(allow_null=True))
    def get_handling(self, incident: Incident) -> dict | None:
        """From the case's clocks the reader may see (``case_clocks`` in the context: kind →
        clock); none for an agency."""
        clocks = self.context.get("case_clocks") or {}
        if not clocks:
            return None
        return {
            "resolved": case_time(clocks.get("handling")),
            "closed": case_time(clocks.get("closure")),
        }

    def get_operator(self, incident: Incident) -> str | None:
        """The operator who took the call, by name."""
        operator = incident.operator
        return (operator.get_full_name() or operator.username) if operator else None


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = Note
        fields = ["id", "body", "author", "agency", "created_at"]
        read_only_fields = fields

    def get_author(self, note: Note) -> str:
        return note.author.get_full_name() or note.author.username


class CategorySerializer(serializers.ModelSerializer):
    suggested_agencies = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name_id",
            "name_en",
            "examples",
            "default_priority",
            "suggested_agencies",
            "is_active",
        ]
        read_only_fields = fields


class AgencySerializer(serializers.ModelSerializer):
    # Not an EmailField: its schema says "format: email", which the empty string (no duty
    # email) is not.
    email = serializers.CharField(read_only=True, help_text=_("Duty email; empty if none."))

    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "short_name",
            "kind",
            "is_centre",
            "working_hours",
            "phone",
            "email",
            "may_report_cases",
        ]
        read_only_fields = fields


class HistoryEntrySerializer(serializers.Serializer):
    at = UtcDateTimeField()
    entity = serializers.ChoiceField(choices=["incident", "dispatch"])
    object_id = serializers.IntegerField()
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    status = serializers.CharField()
    agency = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    actor = serializers.CharField(allow_null=True)


class BreachReasonSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=BreachCause.choices)
    explanation = serializers.CharField()
    recorded_at = UtcDateTimeField()


class ClockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    dispatch = serializers.IntegerField(source="dispatch_id", allow_null=True)
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    state = serializers.CharField()
    target_seconds = serializers.SerializerMethodField()
    working_time = serializers.BooleanField()
    started_at = UtcDateTimeField()
    due_at = UtcDateTimeField()
    stopped_at = UtcDateTimeField(allow_null=True)
    elapsed_seconds = serializers.SerializerMethodField()
    flagged_for_evaluation = serializers.BooleanField()
    breach_reason = serializers.SerializerMethodField(
        help_text=_(
            "Why it breached, as its agency's duty officer or head (or a 112 supervisor) "
            "recorded it; an agency reads only its own clocks' reasons."
        )
    )

    @extend_schema_field(BreachReasonSerializer(allow_null=True))
    def get_breach_reason(self, clock) -> dict | None:  # type: ignore[no-untyped-def]
        reason = (self.context.get("breach_reasons") or {}).get(clock.pk)
        if reason is None:
            return None
        return {
            "cause": reason.cause,
            "explanation": reason.explanation,
            "recorded_at": utc_text(reason.recorded_at),
        }

    def get_target_seconds(self, clock) -> int:  # type: ignore[no-untyped-def]
        return int(clock.target.total_seconds())

    def get_elapsed_seconds(self, clock) -> int | None:  # type: ignore[no-untyped-def]
        return None if clock.elapsed is None else int(clock.elapsed.total_seconds())


# --- Writing -------------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """A moment with its time zone: a naive one is refused, not read in the centre's zone."""

    default_error_messages = {"naive": _("Include a time zone, e.g. 2025-01-31T08:00:00Z.")}

    def enforce_timezone(self, value):  # type: ignore[no-untyped-def]
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class CodeField(serializers.SlugRelatedField):
    """An object named by its code, checked as text before the database is asked.

    DRF's ``SlugRelatedField`` is not a ``CharField``: it has none of its validators and looks
    the raw value up at once, so a code holding a NUL reached PostgreSQL, which cannot bind it
    (a 500 where a field error belongs). Every writable related field of the API is one of
    these (``tests/cc112/test_security_input.py`` checks).
    """

    default_error_messages = {
        "too_long": _("A code has at most %(max_length)s characters."),
    }
    MAX_LENGTH = 64

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            ProhibitNullCharactersValidator()(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if len(data) > self.MAX_LENGTH:
            self.fail("too_long", max_length=self.MAX_LENGTH)
        return super().to_internal_value(data)


class StrictInput(serializers.Serializer):
    """Refuses fields it does not know instead of ignoring them silently."""

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be set here.")] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictInputSchema(OpenApiSerializerExtension):
    """The schema says so too (``additionalProperties: false``), for every ``StrictInput``."""

    target_class = StrictInput
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):  # type: ignore[no-untyped-def]
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


# How far back a partner's or the telephony's T0 may lie: a message delayed by an outage of
# hours is still taken, a date off by a day is refused.
REPORT_MAX_AGE = timedelta(hours=24)


class IncidentCreateSerializer(StrictInput):
    category = CodeField(queryset=Category.objects.active(), help_text=_("Category code."))
    location_text = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=10_000)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, help_text=_("Default: the category's.")
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text=_("Partners' reports are always 'partner'."),
    )
    caller_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    caller_phone = serializers.CharField(max_length=24, required=False, allow_blank=True)
    kecamatan = serializers.CharField(max_length=80, required=False, allow_blank=True)
    kelurahan = serializers.CharField(max_length=80, required=False, allow_blank=True)
    latitude = _coordinate(90)
    longitude = _coordinate(180)
    received_at = AwareDateTimeField(
        required=False,
        help_text=_(
            "T0: the moment the call was answered or the report received, as the telephony or "
            "the partner's system recorded it (default: now). With a time zone; not in the "
            "future, at most 24 hours ago. The clocks and reports count from it."
        ),
    )

    def validate_received_at(self, value):  # type: ignore[no-untyped-def]
        """A true T0 from outside: late by a queue or a retry, never by a day (a wrong date)."""
        earliest = timezone.now() - REPORT_MAX_AGE
        if value < earliest:
            raise serializers.ValidationError(
                _("T0 cannot be more than 24 hours ago; report a case when it comes in.")
            )
        return value


class IncidentUpdateSerializer(StrictInput):
    category = CodeField(queryset=Category.objects.active(), required=False)
    location_text = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(max_length=10_000, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    caller_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    caller_phone = serializers.CharField(max_length=24, required=False, allow_blank=True)
    kecamatan = serializers.CharField(max_length=80, required=False, allow_blank=True)
    kelurahan = serializers.CharField(max_length=80, required=False, allow_blank=True)
    latitude = _coordinate(90)
    longitude = _coordinate(180)


assert set(IncidentUpdateSerializer._declared_fields) <= CORRECTABLE_FIELDS


class DispatchCreateSerializer(StrictInput):
    agencies = CodeField(
        queryset=Agency.objects.partners(),
        many=True,
        allow_empty=False,
        help_text=_("Agency codes, see /api/v1/agencies/."),
    )
    instructions = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class StepSerializer(StrictInput):
    at = AwareDateTimeField(
        required=False, help_text=_("When it happened (default: now). With a time zone.")
    )


class ResolveSerializer(StepSerializer):
    resolution = serializers.CharField(max_length=10_000, help_text=_("The field report."))


class ReasonSerializer(StepSerializer):
    reason = serializers.CharField(max_length=10_000)


class CloseSerializer(StepSerializer):
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class NoteCreateSerializer(StrictInput):
    body = serializers.CharField(max_length=10_000)
    at = AwareDateTimeField(required=False)
