"""What partners filter their case lists by; ``updated_since`` is how a sync job catches up."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from incidents.models import (
    Category,
    Channel,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
    Priority,
)

# The largest id PostgreSQL's bigint holds (and SQLite's integer): a larger one is refused.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number in the database's range (a ``NumberFilter`` takes ``1.5`` as
    1, and sends a 30-digit number on to the database, which cannot bind it)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class AwareDateTimeField(IsoDateTimeField):
    """A moment with its time zone, as the schema's ``date-time`` says: a naive one would be
    read in the server's zone. It goes to the database in UTC: PostgreSQL refuses offsets
    beyond 15:59 (Python allows 23:59), and a moment outside years 1-9999 in UTC cannot be
    compared at all (SQLite overflows converting it)."""

    default_error_messages = {
        "naive": _("Include a time zone, e.g. 2025-01-31T08:00:00Z."),
        "overflow": _("Date and time out of range."),
    }

    def to_python(self, value):  # type: ignore[no-untyped-def]
        moment = super().to_python(value)
        if moment is None:
            return None
        if parse_datetime(value.strip()).tzinfo is None:
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["overflow"], code="overflow") from None


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


@extend_schema_field({"type": "string"})
class CategoryCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Category codes (``?category=KTB&category=MED``); an unknown code is a 400."""


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    priority = django_filters.TypedMultipleChoiceFilter(choices=Priority.choices, coerce=int)
    category = CategoryCodeFilter(
        field_name="category__code",
        to_field_name="code",
        queryset=Category.objects.all(),
        help_text=_("Category code; repeat for several."),
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    agency = django_filters.CharFilter(
        method="filter_agency", help_text=_("Cases dispatched to this agency (its code).")
    )
    kecamatan = django_filters.CharFilter(lookup_expr="iexact")
    received_after = AwareDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = AwareDateTimeFilter(field_name="received_at", lookup_expr="lt")
    updated_since = AwareDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Cases changed at or after this moment; use with ordering=updated_at."),
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_agency(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(
            Exists(Dispatch.objects.filter(incident=OuterRef("pk"), agency__code=value))
        )


class DispatchFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DispatchStatus.choices)
    agency = django_filters.CharFilter(field_name="agency__code")
    incident = IdFilter(field_name="incident_id")
    dispatched_after = AwareDateTimeFilter(field_name="dispatched_at", lookup_expr="gte")

    class Meta:
        model = Dispatch
        fields: list[str] = []
