"""Shares: a supervisor lets another agency, or one person, see a case; and revokes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from agencies.access import may_share_cases
from cc112.admin_errors import action_page
from incidents.admin.base import ScopedAdmin, person, stamp
from incidents.forms import ReasonForm
from incidents.models import Share
from incidents.services import share_revoke


def may_share(request: HttpRequest) -> bool:
    return may_share_cases(request.user)


@admin.register(Share)
class ShareAdmin(ScopedAdmin):
    list_display = ("incident", "shared_with", "reason", "created", "expires_at", "state")
    list_select_related = ("incident", "agency", "user", "created_by")
    search_fields = ("incident__reference", "reason")
    readonly_fields = (
        "incident",
        "agency",
        "user",
        "reason",
        "expires_at",
        "created",
        "revoked",
        "revoke_reason",
    )
    fields = readonly_fields
    actions_detail = ["revoke_share"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shares start from the case page, where the case is known

    def has_change_permission(self, request: HttpRequest, obj: Share | None = None) -> bool:
        return False

    @display(description=_("shared with"))
    def shared_with(self, obj: Share) -> str:
        return obj.agency.short_name if obj.agency_id else person(obj.user)

    @display(description=_("shared"))
    def created(self, obj: Share) -> str:
        return stamp(obj.created_at, obj.created_by)

    @display(description=_("revoked"))
    def revoked(self, obj: Share) -> str:
        return stamp(obj.revoked_at, obj.revoked_by)

    @display(description=_("state"), label={"active": "success", "ended": "info"})
    def state(self, obj: Share) -> tuple[str, Any]:
        return ("active", _("In force")) if obj.is_active else ("ended", _("Ended"))

    def has_revoke_share_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return may_share(request)

    @action(
        description=_("Revoke"),
        url_path="revoke",
        permissions=["revoke_share"],
        icon="link_off",
        variant=ActionVariant.DANGER,
    )
    def revoke_share(self, request: HttpRequest, object_id: str) -> HttpResponse:
        share = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            share,
            form=ReasonForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: share_revoke(
                share=share, actor=request.user, reason=cleaned["reason"]
            ),
            title=_("Revoke share"),
            submit_label=_("Revoke"),
            success_message=_("The share was revoked."),
            back_url=reverse("admin:incidents_incident_change", args=(share.incident_id,)),
        )
