"""Partners' webhooks in the portal: subscriptions and the delivery log, for the 112
coordinator and administrators (``may_manage_partner_systems``), who see every case. Every write
is a service."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from agencies.access import may_manage_partner_systems
from agencies.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from agencies.webhooks import (
    webhook_delivery_replay,
    webhook_subscribe,
    webhook_unsubscribe,
)
from cc112.admin_errors import (
    ConfirmForm,
    ReadOnlyHistoryMixin,
    ServiceAdminMixin,
    ServiceModelForm,
    action_page,
    submit,
)

DELIVERY_STATUS_COLOURS = {
    WebhookDeliveryStatus.PENDING: "warning",
    WebhookDeliveryStatus.SENDING: "warning",
    WebhookDeliveryStatus.DELIVERED: "success",
    WebhookDeliveryStatus.FAILED: "danger",
    WebhookDeliveryStatus.WITHDRAWN: "",
}


def may_open_webhooks(request: HttpRequest) -> bool:
    """The sidebar's links to these pages."""
    return may_manage_partner_systems(request.user)


class WebhookManagersOnly:
    """Read by the coordinator and administrators, whatever their model permissions; written
    only through the services (so no add, change or delete of rows here but the subscribe
    form)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_partner_systems(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_partner_systems(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Subscriptions -------------------------------------------------------------------------------


def _https_by_default(field: models.Field, **kwargs: Any) -> forms.Field | None:
    # An address typed without a scheme is taken as https (Django 6's default already).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class WebhookSubscribeForm(ServiceModelForm):
    """A new subscription, made by ``webhook_subscribe`` (which checks the address)."""

    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    class Meta:
        model = WebhookSubscription
        fields = ("agency", "url", "events")
        formfield_callback = _https_by_default

    def call_service(self) -> WebhookSubscription:
        data = self.cleaned_data
        subscription, _secret = webhook_subscribe(
            agency=data["agency"], url=data["url"], events=data["events"], actor=self.actor
        )
        return subscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(
    WebhookManagersOnly, ServiceAdminMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin
):
    """A subscription is made here and switched off here; to change its address or events,
    make a new one (the partner gets a new secret) and switch the old one off."""

    form = WebhookSubscribeForm
    list_display = ("agency", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active", "agency")
    list_select_related = ("agency",)
    search_fields = ("url", "agency__short_name", "agency__code")
    fields = ("agency", "url", "event_list", "is_active", "created_by", "created_at")
    readonly_fields = fields
    add_fieldsets = ((None, {"fields": ("agency", "url", "events")}),)
    actions_detail = ["deactivate"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return may_manage_partner_systems(request.user)

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The secret on a page of its own: a message would keep it in the message cookie."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Webhook subscribed"),
            "subscription": obj,
            "secret": obj.secret,
            "back_url": reverse("admin:agencies_webhooksubscription_change", args=(obj.pk,)),
        }
        response = TemplateResponse(
            request, "admin/agencies/webhooksubscription/subscribed.html", context
        )
        response["Cache-Control"] = "no-store"
        return response

    @display(description=_("events"))
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events)

    def has_deactivate_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return may_manage_partner_systems(request.user)

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        actions = super().get_actions_detail(request, object_id)
        subscription = self.get_object(request, object_id)
        return actions if subscription is not None and subscription.is_active else []

    @action(
        description=_("Switch off"),
        url_path="deactivate",
        permissions=["deactivate"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def deactivate(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self.get_object(request, object_id)
        if subscription is None:
            raise Http404
        return action_page(
            request,
            self,
            subscription,
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: webhook_unsubscribe(
                subscription=subscription, actor=request.user
            ),
            title=_("Switch off the webhook"),
            submit_label=_("Switch off"),
            success_message=_("The webhook was switched off."),
            back_url=reverse("admin:agencies_webhooksubscription_change", args=(subscription.pk,)),
            intro=_(
                "Deliveries still waiting are withdrawn; nothing more is sent to this address."
            ),
        )


# --- Deliveries ----------------------------------------------------------------------------------


class WebhookAttemptInline(TabularInline):
    model = WebhookAttempt
    fields = ("started_at", "duration_ms", "response_status", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_partner_systems(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WebhookManagersOnly, ModelAdmin):
    """The outbox and its log; a delivery that failed (or went through but was lost on the
    partner's side) can be replayed with the same event id."""

    list_display = (
        "created_at",
        "event",
        "agency",
        "case",
        "status_label",
        "attempts",
        "last_response_status",
        "next_attempt_at",
    )
    list_filter = ("status", "event", "subscription__agency")
    list_select_related = ("subscription__agency", "incident")
    search_fields = ("incident__reference", "=event_id")
    fields = (
        "event",
        "event_id",
        "agency",
        "url",
        "case",
        "status_label",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_response_status",
        "last_error",
        "replay_of",
        "requested_by",
        "created_at",
        "payload_text",
    )
    readonly_fields = fields
    inlines = (WebhookAttemptInline,)
    actions = ["replay_selected"]
    actions_detail = ["replay"]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # No visible_to here: only those who act for the centre open these pages, and they
        # see every case.
        return super().get_queryset(request).select_related("subscription__agency", "incident")

    @display(description=_("agency"), ordering="subscription__agency__short_name")
    def agency(self, obj: WebhookDelivery) -> str:
        return str(obj.subscription.agency)

    @display(description=_("URL"))
    def url(self, obj: WebhookDelivery) -> str:
        return obj.subscription.url

    @display(description=_("case"))
    def case(self, obj: WebhookDelivery) -> str:
        link = reverse("admin:incidents_incident_change", args=(obj.incident_id,))
        return format_html('<a class="text-primary-600" href="{}">{}</a>', link, obj.incident)

    @display(description=_("status"), label=DELIVERY_STATUS_COLOURS)
    def status_label(self, obj: WebhookDelivery) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("payload"))
    def payload_text(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_replay_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return may_manage_partner_systems(request.user)

    @admin.action(description=_("Replay the selected deliveries"), permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        replayed = 0
        for delivery in queryset:
            if submit(
                request, lambda d=delivery: webhook_delivery_replay(delivery=d, actor=request.user)
            ):
                replayed += 1
        if replayed:
            messages.success(request, _("%(count)d sent again.") % {"count": replayed})

    @action(
        description=_("Replay"),
        url_path="replay",
        permissions=["replay"],
        icon="replay",
    )
    def replay(self, request: HttpRequest, object_id: str) -> HttpResponse:
        delivery = self.get_object(request, object_id)
        if delivery is None:
            raise Http404
        back_url = reverse("admin:agencies_webhookdelivery_change", args=(delivery.pk,))
        return action_page(
            request,
            self,
            delivery,
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: webhook_delivery_replay(delivery=delivery, actor=request.user),
            title=_("Replay the delivery"),
            submit_label=_("Replay"),
            success_message=_("The event is sent again, with the same event id."),
            back_url=back_url,
            intro=_("The partner receives the same payload and event id once more."),
        )
