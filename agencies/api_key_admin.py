"""Partners' API keys in the portal: issued (the secret shown once), looked at, revoked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey as LibraryApiKey
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.enums import ActionVariant

from agencies.access import may_manage_partner_systems
from agencies.models import ApiKey
from agencies.services import api_key_create, api_key_revoke
from cc112.admin_errors import (
    ReadOnlyHistoryMixin,
    ServiceAdminMixin,
    ServiceModelForm,
    action_page,
)

# The library's own key model is unused (ours belongs to an agency); its admin would only
# offer keys that open nothing.
if admin.site.is_registered(LibraryApiKey):
    admin.site.unregister(LibraryApiKey)


def may_open_api_keys(request: HttpRequest) -> bool:
    """The sidebar's entry: for those who manage keys."""
    return may_manage_partner_systems(request.user)


class ApiKeyCreateForm(ServiceModelForm):
    class Meta:
        model = ApiKey
        fields = ("agency", "name", "expiry_date", "requests_per_minute")

    def call_service(self) -> ApiKey:
        data = self.cleaned_data
        api_key, secret = api_key_create(
            agency=data["agency"],
            name=data["name"],
            actor=self.actor,
            expires_at=data.get("expiry_date"),
            requests_per_minute=data.get("requests_per_minute"),
        )
        api_key.issued_secret = secret  # type: ignore[attr-defined]
        return api_key


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdminMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Administrators and the 112 coordinator issue and revoke keys; nobody edits one."""

    form = ApiKeyCreateForm
    list_display = (
        "name",
        "agency",
        "prefix",
        "created",
        "expiry_date",
        "last_used_at",
        "requests_per_minute",
        "revoked",
    )
    list_select_related = ("agency",)
    list_filter = ("agency", "revoked")
    search_fields = ("name", "prefix", "agency__short_name")
    fields = (
        ("name", "agency"),
        ("prefix", "account"),
        ("created", "created_by"),
        ("expiry_date", "last_used_at"),
        "requests_per_minute",
        ("revoked", "revoked_at", "revoked_by"),
    )
    add_fieldsets = ((None, {"fields": ("agency", "name", "expiry_date", "requests_per_minute")}),)
    actions_detail = ["revoke_key"]

    def _allowed(self, request: HttpRequest) -> bool:
        return may_manage_partner_systems(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return () if obj is None else [n for row in self.fields for n in _names(row)]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None):  # type: ignore[no-untyped-def]
        """The secret on a page of its own, never in a message or a redirect."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API key issued"),
            "api_key": obj,
            "secret": obj.issued_secret,  # type: ignore[attr-defined]
            "back_url": reverse("admin:agencies_apikey_change", args=(obj.pk,)),
        }
        response = TemplateResponse(request, "admin/agencies/apikey/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_revoke_key_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return self._allowed(request)

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        actions = super().get_actions_detail(request, object_id)
        api_key = self.get_object(request, object_id)
        return actions if api_key is not None and not api_key.revoked else []

    @action(
        description=_("Revoke key"),
        url_path="revoke",
        permissions=["revoke_key"],
        icon="key_off",
        variant=ActionVariant.DANGER,
    )
    def revoke_key(self, request: HttpRequest, object_id: str) -> HttpResponse:
        api_key = self.get_object(request, object_id)
        if api_key is None:
            raise Http404
        return action_page(
            request,
            self,
            api_key,
            form=RevokeForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: api_key_revoke(
                api_key=api_key, actor=request.user, reason=cleaned["reason"]
            ),
            title=_("Revoke key"),
            submit_label=_("Revoke key"),
            success_message=_("The key was revoked: it no longer opens anything."),
            back_url=reverse("admin:agencies_apikey_change", args=(api_key.pk,)),
            intro=_("The partner's system stops at its next request. This cannot be undone."),
        )


def _names(row: Any) -> tuple[str, ...]:
    return row if isinstance(row, tuple) else (row,)
