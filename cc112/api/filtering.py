"""django-filter, skipped when a request names none of the filters: building a FilterSet copies
every filter and form field (1.5 ms a request in bench/api.py), for a sync job's plain page."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):  # type: ignore[no-untyped-def]
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
