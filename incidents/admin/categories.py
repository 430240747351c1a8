"""Categories of emergency and the agencies each one is usually sent to."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ManyToManyField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from agencies.models import Agency
from cc112.admin_errors import AttributedSaveMixin, ReadOnlyHistoryMixin
from incidents.models import Category


@admin.register(Category)
class CategoryAdmin(AttributedSaveMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Categories have no service of their own: saved here with actor and reason."""

    list_display = (
        "code",
        "name_id",
        "name_en",
        "default_priority",
        "suggested",
        "is_active",
        "sort_order",
    )
    list_filter = ("is_active", "default_priority")
    search_fields = ("code", "name_id", "name_en", "examples")
    fields = (
        ("code", "sort_order"),
        ("name_id", "name_en"),
        "examples",
        "default_priority",
        "suggested_agencies",
        "is_active",
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("suggested_agencies")

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "suggested_agencies":
            kwargs["queryset"] = Agency.objects.partners()
            kwargs["widget"] = UnfoldAdminCheckboxSelectMultipleWidget
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Cases point at their category; a category is retired (inactive), never deleted.
    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return False

    @display(description=_("suggested agencies"))
    def suggested(self, obj: Category) -> str:
        return ", ".join(agency.short_name for agency in obj.suggested_agencies.all())
