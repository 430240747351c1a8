"""The gazetteer: Kemendagri's areas as loaded by ``load_areas``, and the city's edits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin

from cc112.admin_errors import AttributedSaveMixin, ReadOnlyHistoryMixin
from incidents.models import Area

# Where a case is placed: the case forms' area picker offers only these.
CASE_PICKERS = {("incidents", "incident", "area")}


@admin.register(Area)
class AreaAdmin(AttributedSaveMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Areas have no service of their own but the loader: saved here with actor and reason.

    The code places an area (its level and parent follow it), so it is set once, when the city
    adds an area the national list lacks; names, postal codes, centres and whether an area is
    still in use are edited freely, and a later load keeps those edits (incidents.services.areas).
    """

    list_display = ("code", "name", "level", "kind", "parent", "postal_code", "active")
    list_filter = ("level", "kind", "active")
    list_select_related = ("parent",)
    search_fields = ("name", "code", "postal_code")
    fields = (
        ("code", "level", "kind"),
        "parent",
        ("name", "postal_code"),
        ("latitude", "longitude"),
        "active",
    )
    autocomplete_fields = ("parent",)
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("parent")

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:
            return readonly
        return (*readonly, "code", "level", "kind", "parent")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        picker = (
            request.GET.get("app_label"),
            request.GET.get("model_name"),
            request.GET.get("field_name"),
        )
        if picker not in CASE_PICKERS:
            return super().get_search_results(request, queryset, search_term)
        # A case is placed in an active kelurahan or desa; names that start with the typed text
        # come first, as on the call screen.
        places = queryset.kelurahan().active()
        if not search_term.strip():
            return places, False
        return places.search(search_term), False

    # Cases point at their area; an area is retired (inactive), never deleted.
    def has_delete_permission(self, request: HttpRequest, obj: Area | None = None) -> bool:
        return False
