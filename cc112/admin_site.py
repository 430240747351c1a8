"""The portal's admin site: unfold's, with each person's home where their work is, and its
sidebar search answering a bad page with 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from django.apps import apps
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_script_prefix, reverse
from django.utils.functional import lazy
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from unfold.sites import UnfoldAdminSite

from agencies.access import has_centre_role, is_agency_staff, is_centre_staff
from agencies.models import Role
from cc112.auth import LoginForm

# ``/admin/?all=1``: the model index itself, for those whose home is elsewhere (the sidebar's
# "Site administration" links to it, settings.UNFOLD).
ALL_PAGES_PARAMETER = "all"


def home_of(user: Any) -> str | None:
    """Where a person lands in the portal, if not on the model index: the centre's operators,
    supervisors and coordinator on the case board, an agency's staff on its inbox.
    Administrators outside the network keep the index: their work is setting up."""
    if is_centre_staff(user):
        return reverse("admin:incidents_board")
    if is_agency_staff(user):
        return reverse("admin:incidents_inbox")
    if has_centre_role(user, Role.DATA_PROTECTION):
        return reverse("admin:incidents_personal_data_log")
    return None


# What an item of the sidebar's navigation may hold for ``_plain_navigation`` to draw it the
# way unfold does; anything else (tabs, nested items, fixed "active", link callbacks, group
# badges) goes through unfold's own ``get_sidebar_list``.
_PLAIN_ITEM_KEYS = frozenset({"title", "icon", "link", "badge", "permission"})
_PLAIN_GROUP_KEYS = frozenset({"title", "items", "collapsible", "separator"})


@lru_cache(maxsize=64)
def _callback(path: str) -> Callable:
    return import_string(path)


@lru_cache(maxsize=64)
def _lazy_badge(path: str) -> Callable:
    """unfold makes a new lazy class a badge a request (``lazy(callback)``): one is enough."""
    return lazy(_callback(path), str)


_NAVIGATIONS: dict[tuple[int, str | None, str], tuple[list, tuple | None]] = {}


def _plain_navigation(navigation: list, language: str | None, prefix: str) -> tuple | None:
    """The settings' navigation with each link written out, per language and script prefix
    (what a link's text depends on); None if it holds anything this module does not draw.
    Nothing here depends on the user: permissions, "active" and badges are per request.
    Kept with the list itself, so an id is never taken for another list's."""
    key = (id(navigation), language, prefix)
    kept = _NAVIGATIONS.get(key)
    if kept is not None and kept[0] is navigation:
        return kept[1]
    groups: list | None = []
    for group in navigation:
        if not isinstance(group, dict) or set(group) - _PLAIN_GROUP_KEYS:
            groups = None
            break
        items = []
        for item in group["items"]:
            if set(item) - _PLAIN_ITEM_KEYS or callable(item.get("link")):
                groups = None
                break
            link = str(item.get("link") or "")
            items.append((item, link, urlparse(link).path))
        if groups is None:
            break
        groups.append(({k: v for k, v in group.items() if k != "items"}, tuple(items)))
    plain = None if groups is None else tuple(groups)
    if len(_NAVIGATIONS) > 64:
        _NAVIGATIONS.clear()
    _NAVIGATIONS[key] = (navigation, plain)
    return plain


class FieldCheckedAutocomplete(AutocompleteJsonView):
    """Django's autocomplete, answering only for a form's own relation field.

    Django looks ``field_name`` up with ``get_field``, which also finds the reverse side of a
    relation (``?model_name=call&field_name=incident``: a case's link to its call); a reverse
    relation has no ``limit_choices_to`` and the view failed on it (a 500). Only a concrete
    forward relation can have an autocomplete widget, so anything else is refused like any
    other malformed request (403), before the view looks further.
    """

    def process_request(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        try:
            model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
            field = model._meta.get_field(request.GET["field_name"])
        except (KeyError, LookupError, FieldDoesNotExist) as error:
            raise PermissionDenied from error
        if not (field.is_relation and field.concrete and hasattr(field, "get_limit_choices_to")):
            raise PermissionDenied
        return super().process_request(request)


class Cc112AdminSite(UnfoldAdminSite):
    # The password, and the second factor's code for those who have one (cc112.auth).
    login_form = LoginForm
    login_template = "registration/login.html"

    def get_sidebar_list(self, request: HttpRequest) -> list[dict[str, Any]]:
        """unfold's sidebar navigation, without deep-copying the settings, resolving every
        link and making a lazy class a badge on every page (a tenth of the case list's time
        before its rows): the links are kept per language, the rest is decided per request
        exactly as unfold does (``_get_is_active``, ``_call_permission_callback``)."""
        from unfold.settings import get_config

        config = get_config(self.settings_name)
        navigation = config["SIDEBAR"].get("navigation")
        plain = (
            _plain_navigation(navigation, get_language(), get_script_prefix())
            if isinstance(navigation, list) and not config.get("TABS")
            else None
        )
        if plain is None:
            return super().get_sidebar_list(request)
        index_path = reverse(f"{self.name}:index")
        results = []
        for group, items in plain:
            shown = []
            for item, link, path in items:
                entry = {**item, "link": link}
                # unfold's _get_is_active for a link that is not a tab.
                entry["active"] = (path == request.path == index_path) or (
                    path != "" and path in request.path and path != index_path
                )
                permission = item.get("permission")
                if isinstance(permission, str):
                    permission = _callback(permission)
                # As unfold's _call_permission_callback decides, without its lazy class.
                entry["has_permission"] = permission is None or permission(request) == True  # noqa: E712
                badge = item.get("badge")
                if isinstance(badge, str):
                    entry["badge_callback"] = _lazy_badge(badge)(request)
                shown.append(entry)
            results.append({**group, "items": shown})
        return results

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return FieldCheckedAutocomplete.as_view(admin_site=self)(request)

    def get_urls(self) -> list:
        from cc112.mfa import mfa_urls
        from incidents.board import board_urls
        from incidents.console import console_urls
        from incidents.personal_data import personal_data_urls
        from sla.report_pages import report_urls

        return (
            mfa_urls(self)
            + console_urls(self)
            + board_urls(self)
            + report_urls(self)
            + personal_data_urls(self)
            + super().get_urls()
        )

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # The index is where the login, the site's name and "Home" lead: for people who work
        # cases that is their live page. The index stays one click away (``?all=1``).
        home = None if ALL_PAGES_PARAMETER in request.GET else home_of(request.user)
        if home is not None:
            return HttpResponseRedirect(home)
        return super().index(request, extra_context)

    def search(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # unfold reads ?page= with int() and Paginator.page() unchecked, a 500 on bad input.
        if not request.GET.get("page", "1").isdigit():
            raise Http404
        try:
            return super().search(request, extra_context)
        except InvalidPage as error:
            raise Http404 from error
