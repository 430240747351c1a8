"""Calls: every answered call and its outcome, for the centre only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from agencies.access import acts_for_centre
from cc112.admin_errors import ServiceAdminMixin
from incidents.admin.base import ScopedAdmin
from incidents.admin.cases import LocalDateRangeFilter
from incidents.forms import CallRecordForm
from incidents.models import AccessChannel, Call, CallOutcome
from incidents.phones import mask_phone
from incidents.services.privacy import personal_data_seen

OUTCOME_COLOURS = {
    CallOutcome.INCIDENT: "danger",
    CallOutcome.INFORMATION: "info",
    CallOutcome.PRANK: "warning",
    CallOutcome.GHOST: "",
    CallOutcome.DROPPED: "",
    CallOutcome.MISDIAL: "",
    CallOutcome.ATTACHED: "info",
}


@admin.register(Call)
class CallAdmin(ServiceAdminMixin, ScopedAdmin):
    """Record calls that are not emergencies; emergency calls come with their case.

    A call record is evidence for the operators' evaluation, so it is not edited afterwards.
    """

    form = CallRecordForm
    list_display = ("answered_at", "outcome_label", "operator", "masked_number", "case_link")
    list_select_related = ("operator", "incident", "caller")
    list_filter = (
        "outcome",
        ("operator", admin.RelatedOnlyFieldListFilter),
        ("answered_at", LocalDateRangeFilter),
    )
    search_fields = ("caller__phone", "incident__reference", "notes")
    radio_fields = {"outcome": admin.VERTICAL}
    add_fieldsets = (
        (None, {"fields": ("outcome", "answered_at", "ended_at", "callback_number", "notes")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "outcome",
                    "case_link",
                    ("answered_at", "ended_at"),
                    "operator",
                    "full_number",
                    "notes",
                    "created_at",
                )
            },
        ),
    )
    readonly_fields = (
        "outcome",
        "case_link",
        "answered_at",
        "ended_at",
        "operator",
        "full_number",
        "notes",
        "created_at",
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Call | None = None
    ) -> list[str] | tuple[str, ...]:
        if obj is None:
            return ()
        return super().get_readonly_fields(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return acts_for_centre(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return acts_for_centre(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return acts_for_centre(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        call = self.scoped_object(request, object_id)
        # The page shows the full callback number: who saw it is logged.
        personal_data_seen(
            user=request.user,
            channel=AccessChannel.CASE_PAGE,
            identities=[call.caller if call.caller_id else None],
            incident=getattr(call, "incident", None) or call.attached_to,
        )
        return super().change_view(request, object_id, form_url, extra_context)

    @display(description=_("callback number"))
    def full_number(self, obj: Call) -> str:
        return obj.callback_number or "-"

    @display(description=_("callback number"))
    def masked_number(self, obj: Call) -> str:
        """Lists show the number's last digits; the call's page shows it whole (and logs it)."""
        return mask_phone(obj.callback_number) or "-"

    @display(description=_("outcome"), ordering="outcome", label=OUTCOME_COLOURS)
    def outcome_label(self, obj: Call) -> tuple[str, str]:
        return obj.outcome, obj.get_outcome_display()

    @display(description=_("case"))
    def case_link(self, obj: Call) -> str:
        incident = getattr(obj, "incident", None)
        if incident is None:
            return "-"
        url = reverse("admin:incidents_incident_change", args=(incident.pk,))
        return format_html('<a href="{}">{}</a>', url, incident.reference)
