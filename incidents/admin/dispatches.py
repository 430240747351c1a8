"""Dispatches: each agency's queue, and the steps an agency takes on a case (T2 to T4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from agencies.access import acts_for_centre, agency_of, works_for_agency
from cc112.admin_errors import action_page, safe_next
from cc112.admin_paging import KeysetListMixin
from cc112.admin_rows import FastRowsMixin, choice_badge
from cc112.moments import local_moment
from incidents.admin.base import ScopedAdmin, badge, stamp
from incidents.forms import DispatchReasonForm, DispatchResolveForm, DispatchStepForm
from incidents.models import Dispatch, DispatchStatus
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_decline,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
)
from incidents.transitions import DISPATCH_TRANSITIONS
from sla.presentation import duration_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

D = DispatchStatus

DISPATCH_STATUS_COLOURS = {
    D.PENDING: "danger",
    D.ACKNOWLEDGED: "warning",
    D.EN_ROUTE: "info",
    D.ON_SCENE: "primary",
    D.RESOLVED: "success",
    D.DECLINED: "",
    D.CANCELLED: "",
}


@dataclass(frozen=True)
class Step:
    """One step an agency (or the centre for it) takes on a dispatch."""

    name: str  # the admin action (method) that takes it; also ends its URL name
    target: str
    label: Any
    form_class: type[DispatchStepForm]
    perform: Callable[[Dispatch, Any, dict[str, Any]], Dispatch]
    centre_only: bool = False

    @property
    def needs_text(self) -> bool:
        return self.form_class is not DispatchStepForm

    def url(self, dispatch_id: int) -> str:
        return reverse(f"admin:incidents_dispatch_{self.name}", args=(dispatch_id,))


STEPS: tuple[Step, ...] = (
    Step(
        "acknowledge",
        D.ACKNOWLEDGED,
        _("Acknowledge"),
        DispatchStepForm,
        lambda d, actor, data: dispatch_acknowledge(dispatch=d, actor=actor, at=data["at"]),
    ),
    Step(
        "en_route",
        D.EN_ROUTE,
        _("En route"),
        DispatchStepForm,
        lambda d, actor, data: dispatch_mark_en_route(dispatch=d, actor=actor, at=data["at"]),
    ),
    Step(
        "on_scene",
        D.ON_SCENE,
        _("On scene"),
        DispatchStepForm,
        lambda d, actor, data: dispatch_mark_on_scene(dispatch=d, actor=actor, at=data["at"]),
    ),
    Step(
        "resolve",
        D.RESOLVED,
        _("Resolve"),
        DispatchResolveForm,
        lambda d, actor, data: dispatch_resolve(
            dispatch=d, actor=actor, resolution=data["resolution"], at=data["at"]
        ),
    ),
    Step(
        "decline",
        D.DECLINED,
        _("Decline"),
        DispatchReasonForm,
        lambda d, actor, data: dispatch_decline(
            dispatch=d, actor=actor, reason=data["reason"], at=data["at"]
        ),
    ),
    Step(
        "cancel_dispatch",
        D.CANCELLED,
        _("Cancel dispatch"),
        DispatchReasonForm,
        lambda d, actor, data: dispatch_cancel(
            dispatch=d, actor=actor, reason=data["reason"], at=data["at"]
        ),
        centre_only=True,
    ),
)
STEPS_BY_NAME = {step.name: step for step in STEPS}


def may_work(user: AbstractBaseUser | AnonymousUser, dispatch: Dispatch) -> bool:
    """The dispatch's own agency works it; the centre may record what an agency radios in."""
    return user.has_perm("incidents.change_dispatch") and works_for_agency(user, dispatch.agency_id)


def may_cancel(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only the centre withdraws a dispatch."""
    return user.has_perm("incidents.change_dispatch") and acts_for_centre(user)


def may_take(user: AbstractBaseUser | AnonymousUser, dispatch: Dispatch, step: Step) -> bool:
    """Whether the user is one who takes this step on this dispatch (the services check too)."""
    return may_cancel(user) if step.centre_only else may_work(user, dispatch)


def steps_for(user: AbstractBaseUser | AnonymousUser, dispatch: Dispatch) -> list[Step]:
    """The steps to offer: ones the user takes, that the dispatch's status allows now."""
    allowed = DISPATCH_TRANSITIONS[dispatch.status]
    return [step for step in STEPS if step.target in allowed and may_take(user, dispatch, step)]


def case_url(dispatch: Dispatch) -> str:
    return reverse("admin:incidents_incident_change", args=(dispatch.incident_id,))


def next_steps_column(user: AbstractBaseUser | AnonymousUser) -> Callable[[Dispatch], str]:
    """A changelist column with the steps this user may take on each row (no query per row).

    Built per request: list_display callables see only the row, and the admin instance is
    shared between requests, so the user cannot be kept on it.
    """

    @display(description=_("next step"))
    def next_steps(obj: Dispatch) -> str:
        steps = steps_for(user, obj)
        if not steps:
            return "-"
        back = reverse("admin:incidents_dispatch_changelist")
        return format_html_join(
            " · ",
            '<a class="text-primary-600" href="{}?next={}">{}</a>',
            ((step.url(obj.pk), back, step.label) for step in steps),
        )

    return next_steps


class QueueFilter(admin.SimpleListFilter):
    """An agency's own dispatches by default; its partners' on shared cases on request."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("My agency's dispatches")), ("all", _("All I can see"))]

    def value(self) -> str:
        return super().value() or "mine"

    def choices(self, changelist: Any):  # type: ignore[no-untyped-def]
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        agency = agency_of(request.user)
        if self.value() == "mine" and agency is not None:
            return queryset.filter(agency=agency)
        return queryset


class AgencyFilter(admin.SimpleListFilter):
    """The partner agencies (fixed data), not a DISTINCT over every dispatch one may see."""

    title = _("agency")
    parameter_name = "agency__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from incidents.admin.cases import partner_choices

        return partner_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # Only a value the filter offers: a 30-digit "id" overflowed SQLite's integer (a 500).
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(agency_id=int(self.value()))
        return queryset


@admin.register(Dispatch)
class DispatchAdmin(FastRowsMixin, KeysetListMixin, ScopedAdmin):
    """Each agency's queue (the centre's: all), newest first, paged by key like the case list
    (no OFFSET, no COUNT); what waits for an agency now is its inbox."""

    keyset_field = "dispatched_at"
    ordering = ("-dispatched_at", "-pk")
    list_display = (
        "case_reference",
        "agency",
        "status_label",
        "age",
        "dispatched",
    )
    list_display_links = ("case_reference",)
    list_select_related = ("incident", "agency")
    search_fields = ("incident__reference", "incident__location_text")
    actions_detail = [step.name for step in STEPS]
    fieldsets = (
        (None, {"fields": ("case_link", "agency", "status_badge", "instructions")}),
        (
            _("Clocks"),
            {
                "fields": (
                    ("t1_dispatched", "t2_acknowledged"),
                    ("t_en_route", "t3_on_scene"),
                    "t4_resolved",
                    "resolution",
                    "declined_or_cancelled",
                    "closed_reason",
                )
            },
        ),
    )
    readonly_fields = (
        "case_link",
        "agency",
        "status_badge",
        "instructions",
        "t1_dispatched",
        "t2_acknowledged",
        "t_en_route",
        "t3_on_scene",
        "t4_resolved",
        "resolution",
        "declined_or_cancelled",
        "closed_reason",
    )

    def get_list_filter(self, request: HttpRequest) -> tuple:
        filters: tuple = ("status", AgencyFilter)
        if not acts_for_centre(request.user):
            filters = (QueueFilter, *filters)
        return filters

    # Dispatches are created from the case page and change only through their steps.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Dispatch | None = None) -> bool:
        return False

    # --- Columns -------------------------------------------------------------------------------

    @display(description=_("case"), ordering="incident__reference")
    def case_reference(self, obj: Dispatch) -> str:
        return obj.incident.reference

    @display(description=_("case"))
    def case_link(self, obj: Dispatch) -> str:
        return format_html('<a href="{}">{}</a>', case_url(obj), obj.incident.reference)

    @display(description=_("status"), ordering="status")
    def status_label(self, obj: Dispatch) -> str:
        return choice_badge(obj, "status", DISPATCH_STATUS_COLOURS)

    @display(description=_("dispatched at (T1)"), ordering="dispatched_at")
    def dispatched(self, obj: Dispatch) -> str:
        return local_moment(obj.dispatched_at)

    @display(description=_("status"))
    def status_badge(self, obj: Dispatch) -> str:
        return badge(obj.status, obj.get_status_display(), DISPATCH_STATUS_COLOURS)

    @display(description=_("T1 dispatched"))
    def t1_dispatched(self, obj: Dispatch) -> str:
        return stamp(obj.dispatched_at, obj.dispatched_by)

    @display(description=_("T2 acknowledged"))
    def t2_acknowledged(self, obj: Dispatch) -> str:
        return stamp(obj.acknowledged_at, obj.acknowledged_by)

    @display(description=_("en route"))
    def t_en_route(self, obj: Dispatch) -> str:
        return stamp(obj.en_route_at, obj.en_route_by)

    @display(description=_("T3 on scene"))
    def t3_on_scene(self, obj: Dispatch) -> str:
        return stamp(obj.on_scene_at, obj.on_scene_by)

    @display(description=_("T4 resolved"))
    def t4_resolved(self, obj: Dispatch) -> str:
        return stamp(obj.resolved_at, obj.resolved_by)

    @display(description=_("declined or cancelled"))
    def declined_or_cancelled(self, obj: Dispatch) -> str:
        return stamp(obj.closed_at, obj.closed_by)

    @display(description=_("age"), ordering="dispatched_at")
    def age(self, obj: Dispatch) -> str:
        end = obj.resolved_at or obj.closed_at or timezone.now()
        return duration_text(end - obj.dispatched_at)

    def get_list_display(self, request: HttpRequest) -> tuple:
        return (*self.list_display, next_steps_column(request.user))

    # --- Steps ---------------------------------------------------------------------------------

    def has_work_dispatch_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        if object_id is None:
            return request.user.has_perm("incidents.change_dispatch")
        return may_work(request.user, self.scoped_object(request, object_id))

    def has_cancel_dispatch_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return may_cancel(request.user)

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        dispatch = self.scoped_object(request, object_id)
        offered = {step.name for step in steps_for(request.user, dispatch)}
        return [
            item
            for item in super().get_actions_detail(request, object_id)
            if item.method.__name__ in offered
        ]

    def run_step(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        step = STEPS_BY_NAME[name]
        dispatch = self.scoped_object(request, object_id)
        data = request.POST if request.method == "POST" else None
        return action_page(
            request,
            self,
            dispatch,
            form=step.form_class(data),
            perform=lambda cleaned: step.perform(dispatch, request.user, cleaned),
            title=str(step.label),
            submit_label=str(step.label),
            success_message=_("%(agency)s on %(case)s: %(status)s.")
            % {
                "agency": dispatch.agency.short_name,
                "case": dispatch.incident.reference,
                "status": D(step.target).label,
            },
            back_url=safe_next(request, case_url(dispatch)),
        )

    @action(description=_("Acknowledge"), url_path="acknowledge", permissions=["work_dispatch"])
    def acknowledge(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "acknowledge")

    @action(description=_("En route"), url_path="en-route", permissions=["work_dispatch"])
    def en_route(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "en_route")

    @action(description=_("On scene"), url_path="on-scene", permissions=["work_dispatch"])
    def on_scene(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "on_scene")

    @action(description=_("Resolve"), url_path="resolve", permissions=["work_dispatch"])
    def resolve(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "resolve")

    @action(description=_("Decline"), url_path="decline", permissions=["work_dispatch"])
    def decline(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "decline")

    @action(
        description=_("Cancel dispatch"),
        url_path="cancel",
        permissions=["cancel_dispatch"],
        variant=ActionVariant.DANGER,
    )
    def cancel_dispatch(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.run_step(request, object_id, "cancel_dispatch")


def queue_badge(request: HttpRequest) -> str:
    """The sidebar's count of dispatches waiting for acknowledgement in the user's queue."""
    from cc112.sidebar import sidebar_counts

    # unfold shows the badge whatever the callback returns, so a quiet queue says 0.
    return str(sidebar_counts(request)["pending"])
