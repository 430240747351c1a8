"""What partners filter their case lists by; ``updated_since`` is how a sync job catches up."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from incidents.models import (
    Category,
    Channel,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
    Priority,
)


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    priority = django_filters.TypedMultipleChoiceFilter(choices=Priority.choices, coerce=int)
    category = django_filters.ModelMultipleChoiceFilter(
        field_name="category",
        to_field_name="code",
        queryset=Category.objects.all(),
        help_text=_("Category code; repeat for several."),
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    agency = django_filters.CharFilter(
        method="filter_agency", help_text=_("Cases dispatched to this agency (its code).")
    )
    kecamatan = django_filters.CharFilter(lookup_expr="iexact")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(
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
    incident = django_filters.NumberFilter(field_name="incident_id")
    dispatched_after = django_filters.IsoDateTimeFilter(
        field_name="dispatched_at", lookup_expr="gte"
    )

    class Meta:
        model = Dispatch
        fields: list[str] = []
