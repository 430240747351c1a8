"""Service levels in the portal: the policies a city edits, the clocks supervisors watch live,
and each person's notifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from cc112.admin_errors import (
    AttributedSaveMixin,
    ReadOnlyHistoryMixin,
    action_page,
    safe_next,
)
from cc112.admin_paging import CappedPaginator
from cc112.moments import local_moment
from incidents.admin.base import ScopedRowsMixin
from sla.models import (
    BreachCause,
    Clock,
    ClockState,
    EmailStatus,
    EscalationStep,
    Notification,
    OfficeDay,
    Target,
)
from sla.presentation import (
    CLOCK_STATE_COLOURS,
    breach_reason_of,
    clock_verdict,
    dispatch_headline,
    duration_text,
    escalation_headline,
    late_firing,
    whose,
)
from sla.services import breach_explain, notifications_mark_read
from sla.services.breaches import may_explain

EMAIL_STATUS_COLOURS = {
    EmailStatus.PENDING: "warning",
    EmailStatus.SENDING: "warning",
    EmailStatus.SENT: "success",
    EmailStatus.FAILED: "danger",
    EmailStatus.NO_ADDRESS: "",
    EmailStatus.WITHDRAWN: "",
    EmailStatus.IN_APP: "",
}


class PolicyAdmin(AttributedSaveMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Policies are saved by the admin, with actor and reason (``AttributedSaveMixin``).

    A change applies to clocks started from then on; running clocks keep the target and the
    calendar they started with, so a case is measured against what was promised when it came in.
    """


@admin.register(Target)
class TargetAdmin(PolicyAdmin):
    list_display = ("kind", "priority", "category", "agency", "target_text")
    list_filter = ("kind", "priority", "agency", "category")
    fields = ("kind", "priority", "category", "agency", "target")
    list_select_related = ("category", "agency")

    @display(description=_("target"), ordering="target")
    def target_text(self, obj: Target) -> str:
        return duration_text(obj.target)


@admin.register(EscalationStep)
class EscalationStepAdmin(PolicyAdmin):
    list_display = (
        "level",
        "percent",
        "notify_duty_officer",
        "notify_agency_head",
        "notify_supervisor",
        "notify_coordinator",
        "flags_for_evaluation",
    )
    fields = list_display


@admin.register(OfficeDay)
class OfficeDayAdmin(PolicyAdmin):
    list_display = ("agency", "weekday", "opens", "closes")
    list_filter = ("agency",)
    fields = ("agency", "weekday", ("opens", "closes"))
    list_select_related = ("agency",)


class ReadOnlyScopedAdmin(ScopedRowsMixin, ModelAdmin):
    """Clocks and notifications: the case data rule of ``ScopedRowsMixin``; nothing is added or
    changed here (the services do it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _case_link(incident: Any) -> str:
    url = reverse("admin:incidents_incident_change", args=(incident.pk,))
    return format_html('<a class="text-primary-600" href="{}#case-clocks">{}</a>', url, incident)


class BreachReasonForm(forms.Form):
    cause = forms.ChoiceField(
        label=_("Cause"),
        choices=[("", "---------"), *BreachCause.choices],
        widget=UnfoldAdminSelectWidget,
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("Required when the cause is “Other”."),
    )


ALL_STATES = "all"
# A running clock past its due moment is a breach under way, not "running" in blue.
LIST_STATE_COLOURS = {**CLOCK_STATE_COLOURS, "overdue": "danger"}


class ClockStateFilter(admin.SimpleListFilter):
    """The list opens on running clocks (what someone must answer); every other state, or all
    of them, is one click away."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*ClockState.choices, (ALL_STATES, _("All"))]

    def value(self) -> str:
        return super().value() or ClockState.RUNNING

    def choices(self, changelist: Any) -> Any:
        # No "All" entry of Django's own (it would mean "running" here): ours says state=all.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ClockState.values:
            return queryset.filter(state=self.value())
        return queryset


@admin.register(Clock)
class ClockAdmin(ReadOnlyScopedAdmin):
    """The live board: running clocks, nearest their deadline first (the index on ``due_at``
    walks them in that order); finished ones under another state of the filter."""

    list_display = ("case", "kind", "whose_clock", "state_label", "started_at", "due_at", "verdict")
    list_filter = (ClockStateFilter, "kind", "agency", "flagged_for_evaluation")
    ordering = ("due_at",)
    # A million clocks: no full count, the filtered one stops at the cap.
    paginator = CappedPaginator
    list_select_related = ("incident", "agency", "operator")
    search_fields = ("incident__reference",)
    fields = (
        "case",
        "kind",
        "whose_clock",
        "state_label",
        "target_text",
        "started_at",
        "due_at",
        "stopped_at",
        "elapsed_text",
        "verdict",
        "escalation_list",
        "flagged_for_evaluation",
        "breach_reason_text",
    )
    readonly_fields = fields
    list_per_page = 50
    show_full_result_count = False
    actions_detail = ["explain_breach"]

    @display(description=_("case"))
    def case(self, obj: Clock) -> str:
        return _case_link(obj.incident)

    @display(description=_("whose"))
    def whose_clock(self, obj: Clock) -> str:
        return whose(obj)

    @display(description=_("state"), label=LIST_STATE_COLOURS)
    def state_label(self, obj: Clock) -> tuple[str, str]:
        if obj.state == ClockState.RUNNING and obj.due_at <= timezone.now():
            return "overdue", str(_("Overdue"))
        return obj.state, obj.get_state_display()

    @display(description=_("target"))
    def target_text(self, obj: Clock) -> str:
        return duration_text(obj.target)

    @display(description=_("elapsed"))
    def elapsed_text(self, obj: Clock) -> str:
        return duration_text(obj.elapsed) if obj.elapsed is not None else "-"

    @display(description=_("why"))
    def verdict(self, obj: Clock) -> str:
        return clock_verdict(obj, timezone.now())

    @display(description=_("why it breached"))
    def breach_reason_text(self, obj: Clock) -> str:
        return getattr(obj, "shown_breach_reason", "") or "-"

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        clock = super().get_object(request, object_id, from_field)
        if clock is not None:  # the reason shown is one the reader may read
            clock.shown_breach_reason = breach_reason_of(request.user, clock)
        return clock

    def has_explain_breach_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        if object_id is None:
            return request.user.has_perm("sla.view_clock")
        clock = self.scoped_object(request, object_id)
        return may_explain(request.user, clock)

    @action(
        description=_("Explain the breach"),
        url_path="explain",
        permissions=["explain_breach"],
    )
    def explain_breach(self, request: HttpRequest, object_id: str) -> HttpResponse:
        clock = self.scoped_object(request, object_id)
        data = request.POST if request.method == "POST" else None
        back = reverse("admin:incidents_incident_change", args=(clock.incident_id,))
        return action_page(
            request,
            self,
            clock,
            form=BreachReasonForm(data),
            perform=lambda cleaned: breach_explain(
                clock=clock,
                actor=request.user,
                cause=cleaned["cause"],
                explanation=cleaned["explanation"],
            ),
            title=str(_("Explain the breach")),
            submit_label=str(_("Record the reason")),
            success_message=_("The reason for the breach on %(case)s is recorded.")
            % {"case": clock.incident.reference},
            back_url=safe_next(request, back + "#case-clocks"),
            intro=clock_verdict(clock, timezone.now()),
        )

    @display(description=_("escalations"))
    def escalation_list(self, obj: Clock) -> str:
        fired = [
            " ".join(
                filter(
                    None,
                    [
                        f"{escalation} · {local_moment(escalation.fired_at)}",
                        late_firing(escalation),
                    ],
                )
            )
            for escalation in obj.escalations.all()
        ]
        return "; ".join(fired) or "-"


def unread_badge(request: HttpRequest) -> str:
    """The sidebar's count of the user's unread notifications."""
    from cc112.sidebar import sidebar_counts

    return str(sidebar_counts(request)["unread"])


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    """A person's own notifications; each opens its case."""

    list_display = ("created_at", "case", "headline", "audience", "read_label", "email_label")
    list_filter = ("audience", "email_status")
    list_select_related = (
        "incident__category",
        "escalation__clock__agency",
        "escalation__clock__operator",
        "dispatch__agency",
    )
    fields = (
        "created_at",
        "case",
        "headline",
        "audience",
        "read_at",
        "email_label",
        "email_sent_at",
        "email_error",
    )
    readonly_fields = fields
    actions = ["mark_read"]

    @display(description=_("case"))
    def case(self, obj: Notification) -> str:
        return _case_link(obj.incident)

    @display(description=_("what"))
    def headline(self, obj: Notification) -> str:
        if obj.escalation_id is None:
            return dispatch_headline(obj.dispatch)
        return escalation_headline(obj.escalation, obj.escalation.clock)

    @display(description=_("read"), label={"unread": "warning", "read": ""})
    def read_label(self, obj: Notification) -> tuple[str, str]:
        return ("read", _("Read")) if obj.read_at else ("unread", _("Unread"))

    @display(description=_("email"), label=EMAIL_STATUS_COLOURS)
    def email_label(self, obj: Notification) -> tuple[str, str]:
        return obj.email_status, obj.get_email_status_display()

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = notifications_mark_read(
            user=request.user, ids=list(queryset.values_list("pk", flat=True))
        )
        messages.success(request, _("%(count)d marked as read.") % {"count": count})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # Opening one's own notification is reading it: showing the page (a GET by one who may
        # view it), never a refused POST. ``get_object`` is scoped: another's answers 404.
        if request.method == "GET":
            notification = self.scoped_object(request, object_id)
            if self.has_view_permission(request, notification):
                notifications_mark_read(user=request.user, ids=[notification.pk])
        return super().change_view(request, object_id, form_url, extra_context)


# Evaluations of operators have a module of their own.
from sla import admin_evaluations  # noqa: E402,F401  (registers EvaluationAdmin)
