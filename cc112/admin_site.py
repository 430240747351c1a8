"""The portal's admin site: unfold's, with each person's home where their work is, and its
sidebar search answering a bad page with 404."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
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
