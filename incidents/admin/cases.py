"""The case page and the case list: what the centre and the agencies work from."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import CharField, Expression, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from agencies.access import acts_for_centre
from agencies.models import Agency
from cc112.admin_errors import ServiceAdminMixin, action_page
from cc112.admin_paging import KeysetListMixin
from cc112.admin_rows import FastRowsMixin, choice_badge
from cc112.moments import local_moment
from incidents.admin.base import ScopedAdmin, badge, person, stamp
from incidents.admin.dispatches import DISPATCH_STATUS_COLOURS, steps_for
from incidents.admin.shares import may_share
from incidents.forms import (
    CloseCaseForm,
    DispatchForm,
    IncidentCreateForm,
    IncidentUpdateForm,
    NoteForm,
    ReasonForm,
    ShareForm,
)
from incidents.models import (
    AccessChannel,
    Area,
    AreaLevel,
    Call,
    Category,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
    Note,
    Share,
)
from incidents.pulse import CENTRE, pulse_version_for
from incidents.querysets import shared_scope
from incidents.services import (
    incident_cancel,
    incident_close,
    incident_dispatch,
    incident_reopen,
    incident_share,
    note_add,
)
from incidents.services.privacy import personal_data_seen
from incidents.transitions import INCIDENT_TRANSITIONS
from sla.presentation import case_clock_rows

S = IncidentStatus

STATUS_COLOURS = {
    S.RECEIVED: "danger",
    S.DISPATCHED: "warning",
    S.IN_PROGRESS: "info",
    S.RESOLVED: "success",
    # unfold shows the raw value of a key missing here instead of its label.
    S.CLOSED: "",
    S.CANCELLED: "",
}
PRIORITY_COLOURS = {1: "danger", 2: "warning", 3: "info"}


# Filter choices are fixed data (the gazetteer, the categories, the centre's staff), never a
# DISTINCT over cases: that read 95k rows on every page of the police's list. They are kept a
# minute per language, so a list page spends no query on them.
CHOICES_SECONDS = 60


def cached_choices(name: str, build: Callable[[], list[tuple[str, str]]]) -> list[tuple[str, str]]:
    key = f"cc112.list-choices.{name}.{get_language()}"
    choices = cache.get(key)
    if choices is None:
        choices = build()
        cache.set(key, choices, CHOICES_SECONDS)
    return choices


def kecamatan_choices() -> list[tuple[str, str]]:
    """The gazetteer's kecamatan names (the case list's and the board's filter)."""

    def build() -> list[tuple[str, str]]:
        names = (
            Area.objects.active()
            .filter(level=AreaLevel.KECAMATAN)
            .order_by("name")
            .values_list("name", flat=True)
            .distinct()
        )
        return [(name, name) for name in names]

    return cached_choices("kecamatan", build)


def partner_choices() -> list[tuple[str, str]]:
    """The agencies a case can be dispatched to (the queue's and the board's filter)."""

    def build() -> list[tuple[str, str]]:
        agencies = Agency.objects.partners().order_by("short_name")
        return [(str(pk), name) for pk, name in agencies.values_list("pk", "short_name")]

    return cached_choices("agency", build)


def active_category_choices() -> list[tuple[str, str]]:
    """The categories a new case can have, in the users' order (the board's filter)."""

    def build() -> list[tuple[str, str]]:
        return [(str(category.pk), str(category)) for category in Category.objects.active()]

    return cached_choices("active-category", build)


_NOT_READ = object()
NAMES_SEPARATOR = "\x1f"  # ASCII's unit separator: in no agency's name


class DispatchedNames(Expression):
    """The short names of the agencies a case went to, oldest dispatch first, joined by
    ``NAMES_SEPARATOR``; a cancelled dispatch was withdrawn, the agency no longer has it.

    One correlated subquery in the list's statement instead of a second statement for the
    page's dispatches. PostgreSQL orders inside its aggregate; SQLite (before 3.44) has no
    ordered aggregate, and concatenates in the order of the ordered subquery it reads.
    """

    output_field = CharField()

    def __init__(self) -> None:
        super().__init__()
        self.names = Subquery(
            Dispatch.objects.filter(incident=OuterRef("pk"))
            .exclude(status=DispatchStatus.CANCELLED)
            .order_by("dispatched_at", "pk")
            .values(n=F("agency__short_name"), o=F("dispatched_at"), i=F("pk"))
        )

    def get_source_expressions(self) -> list:
        return [self.names]

    def set_source_expressions(self, expressions: list) -> None:
        (self.names,) = expressions

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        inner, params = compiler.compile(self.names)
        if connection.vendor == "postgresql":
            return f"(SELECT STRING_AGG(n, chr(31) ORDER BY o, i) FROM {inner} AS names)", params
        return f"(SELECT GROUP_CONCAT(n, char(31)) FROM {inner} AS names)", params


class KecamatanFilter(admin.SimpleListFilter):
    """The gazetteer's kecamatan (reference data every user may read): no case is read."""

    title = _("kecamatan")
    parameter_name = "kecamatan"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return kecamatan_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(kecamatan=self.value())
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    """Every category, retired ones too (old cases keep theirs), in the users' order."""

    title = _("category")
    parameter_name = "category__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        def build() -> list[tuple[str, str]]:
            return [(str(category.pk), str(category)) for category in Category.objects.all()]

        return cached_choices("category", build)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # Only a value the filter offers: a 30-digit "id" overflowed SQLite's integer (a 500).
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(category_id=int(self.value()))
        return queryset


class OperatorFilter(admin.SimpleListFilter):
    """The centre's people (whoever opened a case is one of them), for its supervisors."""

    title = _("operator")
    parameter_name = "operator__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        def build() -> list[tuple[str, str]]:
            users = (
                get_user_model()
                .objects.filter(memberships__agency__is_centre=True)
                .order_by("username")
                .distinct()
            )
            return [(str(user.pk), person(user)) for user in users]

        return cached_choices("operator", build)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # Only a value the filter offers: a 30-digit "id" overflowed SQLite's integer (a 500).
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(operator_id=int(self.value()))
        return queryset


class LocalDateRangeFilter(RangeDateFilter):
    """From/to dates as calendar days in the centre's time zone (WIT), not in UTC.

    Dates are read in the page's language (the calendar writes 29-11-2025 in Indonesian), and
    a date that cannot be read filters nothing rather than failing.
    """

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        filters = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            raw = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            try:
                day = forms.DateField(required=False).clean(raw)
            except ValidationError:
                day = None
            if day is not None:
                filters[f"{self.field_path}__date__{lookup}"] = day
        return queryset.filter(**filters)


# --- Which case actions to offer -----------------------------------------------------------------


def _call_url(call: Call) -> str:
    return reverse("admin:incidents_call_change", args=(call.pk,))


def _offered_case_actions(incident: Incident) -> set[str]:
    """Actions the case's status allows now; whether the user may take them is checked apart."""
    moves = INCIDENT_TRANSITIONS[incident.status]
    offered = {"add_note", "share_case"}
    if incident.is_open:
        offered.add("dispatch_case")
    if S.CLOSED in moves:
        offered.add("close_case")
    if S.CANCELLED in moves:
        offered.add("cancel_case")
    if incident.status == S.CLOSED:
        offered.add("reopen_case")
    return offered


@admin.register(Incident)
class IncidentAdmin(FastRowsMixin, KeysetListMixin, ServiceAdminMixin, ScopedAdmin):
    keyset_field = "received_at"
    form = IncidentUpdateForm
    add_form = IncidentCreateForm
    list_display = (
        "reference",
        "received",
        "category",
        "priority_label",
        "status_label",
        "kecamatan",
        "dispatched_to",
        "operator_name",
    )
    list_display_links = ("reference",)
    list_select_related = ("category", "operator")
    # Status, priority, the categories, the gazetteer's kecamatan, dates and (for the centre)
    # its operators: the same choices for everyone who has the filter.
    filter_panel_shared = True
    list_filter = (
        "status",
        "priority",
        CategoryFilter,
        KecamatanFilter,
        ("received_at", LocalDateRangeFilter),
    )
    search_fields = ("reference", "location_text", "caller__name", "caller__phone")
    search_help_text = _("Reference, location, caller name or phone.")
    actions_detail = [
        "dispatch_case",
        "add_note",
        "share_case",
        "close_case",
        "cancel_case",
        "reopen_case",
    ]
    change_form_outer_after_template = "admin/incidents/incident/case_panel.html"
    object_history_template = "admin/incidents/incident/case_history.html"
    radio_fields = {"channel": admin.HORIZONTAL}
    # The kelurahan picked from the gazetteer (its kecamatan and names follow it).
    autocomplete_fields = ("area",)
    history_list_display = ["status"]

    add_fieldsets = (
        (_("Caller"), {"fields": ("channel", "caller_name", "caller_phone", "received_at")}),
        (
            _("Location"),
            {
                "fields": (
                    "location_text",
                    "area",
                    ("kecamatan", "kelurahan"),
                    ("latitude", "longitude"),
                )
            },
        ),
        (_("Emergency"), {"fields": ("category", "priority", "description")}),
    )
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    ("reference", "status_badge"),
                    ("category", "priority"),
                    ("received_at", "operator_name"),
                    "call_link",
                )
            },
        ),
        (_("Caller"), {"fields": ("channel", ("caller_name", "caller_phone"))}),
        (
            _("Location"),
            {
                "fields": (
                    "location_text",
                    "area",
                    ("kecamatan", "kelurahan"),
                    ("latitude", "longitude"),
                )
            },
        ),
        (_("Emergency"), {"fields": ("description",)}),
        (
            _("Clocks"),
            {"fields": (("first_dispatched_at", "resolved_at"), "closed")},
        ),
    )
    readonly_fields = (
        "reference",
        "status_badge",
        "received_at",
        "operator_name",
        "call_link",
        "first_dispatched_at",
        "resolved_at",
        "closed",
    )

    # What the list's columns read, and nothing else (the operator's password hash included):
    # a third of the rows' time went to building fields no column shows.
    list_only = (
        "reference",
        "received_at",
        "priority",
        "status",
        "kecamatan",
        "category__code",
        "category__name_id",
        "category__name_en",
        "operator__username",
        "operator__first_name",
        "operator__last_name",
    )

    def shared_rows_key(self, request: HttpRequest) -> str | None:
        """The list's rows are the same for everyone in the centre, and for everyone in one
        agency (its group's grants), until the centre's marker moves: every change to a case,
        its dispatches or who may see it moves it. Someone with a case shared in person sees
        more than their agency: their rows are their own."""
        scope = shared_scope(request.user)
        if scope is None:
            return None
        # The version before the rows: rows kept under a version are at least as new as it.
        version = pulse_version_for(request, CENTRE)
        address = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        return f"cc112.cases.{scope}.{version}.{get_language()}.{address}"

    def list_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Each row with the agencies its case went to, in the rows' own statement."""
        return queryset.annotate(dispatched_joined=DispatchedNames())

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: Incident | None = None, change: bool = False, **kwargs
    ):
        kwargs["form"] = self.add_form if obj is None else self.form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Incident | None = None
    ) -> list[str] | tuple[str, ...]:
        if obj is None:
            return ()
        return super().get_readonly_fields(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Incident | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or acts_for_centre(request.user):
            return fieldsets
        # Call records stay inside the centre: no link an agency could only follow to a 404.
        case_title, case_options = fieldsets[0]
        rows = [
            tuple(name for name in row if name != "call_link") if isinstance(row, tuple) else row
            for row in case_options["fields"]
            if row != "call_link"
        ]
        return ((case_title, {**case_options, "fields": tuple(rows)}), *fieldsets[1:])

    def get_list_filter(self, request: HttpRequest) -> tuple:
        # Filtering by operator serves the centre's supervisors; agencies filter by the case.
        if acts_for_centre(request.user):
            return (*self.list_filter, OperatorFilter)
        return self.list_filter

    def response_post_save_add(self, request: HttpRequest, obj: Incident) -> HttpResponse:
        """Straight to the new case, where it is dispatched."""
        return HttpResponseRedirect(self._case_url(obj))

    def response_post_save_change(self, request: HttpRequest, obj: Incident) -> HttpResponse:
        """Back to the case after a correction, not to the list."""
        return HttpResponseRedirect(self._case_url(obj))

    # --- Columns -------------------------------------------------------------------------------

    @display(description=_("received at (T0)"), ordering="received_at")
    def received(self, obj: Incident) -> str:
        return local_moment(obj.received_at)

    @display(description=_("priority"), ordering="priority")
    def priority_label(self, obj: Incident) -> str:
        return choice_badge(obj, "priority", PRIORITY_COLOURS)

    @display(description=_("status"), ordering="status")
    def status_label(self, obj: Incident) -> str:
        return choice_badge(obj, "status", STATUS_COLOURS)

    @display(description=_("status"))
    def status_badge(self, obj: Incident) -> str:
        return badge(obj.status, obj.get_status_display(), STATUS_COLOURS)

    @display(description=_("closed or cancelled"))
    def closed(self, obj: Incident) -> str:
        return stamp(obj.closed_at, obj.closed_by)

    @display(description=_("dispatched to"), label=True)
    def dispatched_to(self, obj: Incident) -> list[str]:
        joined = getattr(obj, "dispatched_joined", _NOT_READ)
        if joined is not _NOT_READ:  # read by the list (list_queryset)
            names = joined.split(NAMES_SEPARATOR) if joined else []
        else:
            names = [
                d.agency.short_name
                for d in obj.dispatches.exclude(status=DispatchStatus.CANCELLED)
                .select_related("agency")
                .order_by("dispatched_at", "pk")
            ]
        return list(dict.fromkeys(names))

    @display(description=_("operator"), ordering="operator__username")
    def operator_name(self, obj: Incident) -> str:
        return person(obj.operator)

    @display(description=_("calls"))
    def call_link(self, obj: Incident) -> str:
        """The call that opened the case and the repeat calls that joined it ("3 calls")."""
        calls = list(
            Call.objects.filter(Q(pk=obj.call_id) | Q(attached_to=obj)).order_by("answered_at")
        )
        if not calls:
            return "-"
        links = format_html_join(
            ", ",
            '<a class="underline" href="{}">{}</a>',
            (
                (
                    reverse("admin:incidents_call_change", args=(call.pk,)),
                    local_moment(call.answered_at),
                )
                for call in calls
            ),
        )
        count = ngettext("%(n)d call", "%(n)d calls", len(calls)) % {"n": len(calls)}
        return format_html('<span id="case-calls"><strong>{}</strong>: {}</span>', count, links)

    # --- The case page -------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        # The page shows the caller's full name and number: who saw them is logged.
        personal_data_seen(
            user=request.user,
            channel=AccessChannel.CASE_PAGE,
            identities=[incident.caller if incident and incident.caller_id else None],
            incident=incident,
        )
        context = {**(extra_context or {}), **self.case_panel_context(request, incident)}
        return super().change_view(request, object_id, form_url, context)

    def case_panel_context(self, request: HttpRequest, incident: Incident) -> dict[str, Any]:
        """Dispatches with their clocks and next steps, and notes, under the case's details."""
        user = request.user
        dispatches = (
            Dispatch.objects.visible_to(user)
            .filter(incident=incident)
            .select_related(
                "agency",
                "dispatched_by",
                "acknowledged_by",
                "en_route_by",
                "on_scene_by",
                "resolved_by",
                "closed_by",
            )
            .order_by("dispatched_at")
        )
        here = request.get_full_path()
        rows = [
            {
                "dispatch": dispatch,
                "colour": DISPATCH_STATUS_COLOURS.get(dispatch.status, ""),
                "steps": [
                    {
                        "label": step.label,
                        "url": step.url(dispatch.pk),
                        "needs_text": step.needs_text,
                    }
                    for step in steps_for(user, dispatch)
                ],
            }
            for dispatch in dispatches
        ]
        notes = (
            Note.objects.visible_to(user)
            .filter(incident=incident)
            .select_related("author", "agency")
            .order_by("created_at")
        )
        can_note = self.has_add_note_permission(request)
        return {
            "case_clocks": case_clock_rows(user, incident),
            "show_save_and_add_another": False,
            "case_panel": True,
            "case_dispatches": rows,
            "case_notes": notes,
            "note_form": NoteForm() if can_note else None,
            "note_url": reverse("admin:incidents_incident_add_note", args=(incident.pk,)),
            "case_shares": Share.objects.visible_to(user)
            .filter(incident=incident)
            .select_related("agency", "user"),
            "here": here,
        }

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        dispatch_history = (
            Dispatch.history.filter(
                incident_id=incident.pk,
                id__in=Dispatch.objects.visible_to(request.user).values("pk"),
            )
            .select_related("history_user", "agency")
            .order_by("-history_date")
        )
        share_history = (
            Share.history.filter(
                incident_id=incident.pk, id__in=Share.objects.visible_to(request.user).values("pk")
            )
            .select_related("history_user", "agency", "user")
            .order_by("-history_date")
        )
        context = {
            **(extra_context or {}),
            "dispatch_history": dispatch_history,
            "share_history": share_history,
        }
        return super().history_view(request, object_id, context)

    def status(self, record: Any) -> str:
        """The case's status in each version on the history page (status is not diffed there)."""
        return record.get_status_display()

    # --- Actions on the case -------------------------------------------------------------------

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        offered = _offered_case_actions(self.scoped_object(request, object_id))
        return [
            item
            for item in super().get_actions_detail(request, object_id)
            if item.method.__name__ in offered
        ]

    def _case_action_permission(
        self, request: HttpRequest, object_id: str | None, permission: str
    ) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return request.user.has_perm(permission) and acts_for_centre(request.user)

    def has_dispatch_case_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        return self._case_action_permission(request, object_id, "incidents.add_dispatch")

    def has_manage_case_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        return self._case_action_permission(request, object_id, "incidents.change_incident")

    def has_add_note_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return request.user.has_perm("incidents.add_note")

    def has_share_case_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return may_share(request)

    @action(description=_("Share"), url_path="share", permissions=["share_case"], icon="share")
    def share_case(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            incident,
            form=ShareForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: incident_share(
                incident=incident,
                actor=request.user,
                reason=cleaned["reason"],
                agency=cleaned["agency"],
                user=cleaned["user"],
                expires_at=cleaned["expires_at"],
            ),
            title=_("Share case"),
            submit_label=_("Share"),
            success_message=_("The case was shared."),
            back_url=self._case_url(incident),
            intro=_(
                "The agency or person sees this case, its dispatches and notes until the share "
                "is revoked or expires. Both are kept in the case's history."
            ),
        )

    def _case_url(self, incident: Incident) -> str:
        return reverse("admin:incidents_incident_change", args=(incident.pk,))

    @action(
        description=_("Dispatch to agencies"),
        url_path="dispatch",
        permissions=["dispatch_case"],
        icon="send",
        variant=ActionVariant.PRIMARY,
    )
    def dispatch_case(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        data = request.POST if request.method == "POST" else None
        form = DispatchForm(data, incident=incident)

        def perform(cleaned: dict[str, Any]) -> list[Dispatch]:
            return incident_dispatch(
                incident=incident,
                agencies=cleaned["agencies"],
                actor=request.user,
                instructions=cleaned["instructions"],
            )

        return action_page(
            request,
            self,
            incident,
            form=form,
            perform=perform,
            title=_("Dispatch to agencies"),
            submit_label=_("Dispatch"),
            success_message=_("The case was dispatched."),
            back_url=self._case_url(incident),
            intro=self._dispatch_intro(incident),
        )

    def _dispatch_intro(self, incident: Incident) -> str:
        working = ", ".join(
            d.agency.short_name for d in incident.dispatches.open().select_related("agency")
        )
        if not working:
            return str(incident.category)
        return _("%(category)s. Already working on it: %(agencies)s.") % {
            "category": incident.category,
            "agencies": working,
        }

    @action(description=_("Add note"), url_path="note", permissions=["add_note"], icon="edit_note")
    def add_note(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            incident,
            form=NoteForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: note_add(
                incident=incident, author=request.user, body=cleaned["body"]
            ),
            title=_("Add note"),
            submit_label=_("Add note"),
            success_message=_("The note was added."),
            back_url=self._case_url(incident),
        )

    @action(
        description=_("Close case"), url_path="close", permissions=["manage_case"], icon="done_all"
    )
    def close_case(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            incident,
            form=CloseCaseForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: incident_close(
                incident=incident, actor=request.user, note=cleaned["note"]
            ),
            title=_("Close case"),
            submit_label=_("Close case"),
            success_message=_("The case was closed."),
            back_url=self._case_url(incident),
        )

    @action(
        description=_("Cancel case"),
        url_path="cancel",
        permissions=["manage_case"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def cancel_case(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            incident,
            form=ReasonForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: incident_cancel(
                incident=incident, actor=request.user, reason=cleaned["reason"]
            ),
            title=_("Cancel case"),
            submit_label=_("Cancel case"),
            success_message=_("The case was cancelled."),
            back_url=self._case_url(incident),
            intro=_("A duplicate or false report. Every open dispatch on it is cancelled too."),
        )

    @action(description=_("Reopen"), url_path="reopen", permissions=["manage_case"], icon="undo")
    def reopen_case(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            incident,
            form=ReasonForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: incident_reopen(
                incident=incident, actor=request.user, reason=cleaned["reason"]
            ),
            title=_("Reopen case"),
            submit_label=_("Reopen"),
            success_message=_("The case was reopened."),
            back_url=self._case_url(incident),
        )


@admin.register(Note)
class NoteAdmin(ScopedAdmin):
    """Notes across the cases a user sees; they are written on the case page."""

    list_display = ("created_at", "case_link", "author", "agency", "body")
    list_select_related = ("incident", "author", "agency")
    search_fields = ("incident__reference", "body")
    fields = ("case_link", "author", "agency", "body", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Note | None = None) -> bool:
        return False

    @display(description=_("case"), ordering="incident__reference")
    def case_link(self, obj: Note) -> str:
        url = reverse("admin:incidents_incident_change", args=(obj.incident_id,))
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference)
