"""What every admin over case data shares: rows only through ``visible_to``, 404 outside it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import unquote
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.utils import display_for_label

from cc112.admin_errors import ReadOnlyHistoryMixin
from cc112.moments import local_moment

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser

_OBJECT_CACHE_ATTR = "_cc112_scoped_objects"


def badge(value: object, text: str, colours: dict) -> SafeString:
    """A coloured status label, as the lists show it, for read-only fields on a detail page."""
    return display_for_label((value, text), "-", colours)


def person(user: AbstractBaseUser | None) -> str:
    """A name to show for who did something (without a link to the user admin)."""
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def stamp(at: datetime | None, user: AbstractBaseUser | None) -> str:
    """When and by whom, in the centre's time zone, to the second (targets are in seconds)."""
    if at is None:
        return "-"
    when = local_moment(at)
    return f"{when} · {person(user)}" if user is not None else when


class ScopedRowsMixin:
    """For every admin over case data (cases, dispatches, notes, calls, clocks, notifications).

    1. Every row comes from ``Model.objects.visible_to(user)``: lists, search, filters,
       autocomplete, change pages, history and actions alike.
    2. A row outside the user's scope answers 404, exactly like one that does not exist.
    3. Nothing is deleted.
    """

    def scoped_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.model.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> models.Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(
                _("There is no %(name)s with this number that you can see.")
                % {"name": self.opts.verbose_name}
            )
        return obj

    def scoped_object(self, request: HttpRequest, object_id: str | int) -> Any:
        """``get_object`` once per request; permission checks ask for it several times."""
        cache = request.__dict__.setdefault(_OBJECT_CACHE_ATTR, {})
        key = (self.opts.label, str(object_id))
        if key not in cache:
            cache[key] = self.get_object(request, unquote(str(object_id)))
        return cache[key]

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ScopedAdmin(ScopedRowsMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """An admin over calls, cases, dispatches or notes: scoped rows (``ScopedRowsMixin``) and a
    history that is read-only (a revert would write around the services)."""

    list_filter_submit = True

    # --- History -------------------------------------------------------------------------------

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        # simple_history falls back to the history table for rows get_queryset does not return,
        # which would show another agency's case; the scope check comes first.
        self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        self.get_object(request, unquote(object_id))
        return super().history_form_view(request, object_id, version_id, extra_context)
