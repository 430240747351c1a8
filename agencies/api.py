"""The API's agency-side resources: partners' webhook subscriptions and their delivery log."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.access import agency_of
from agencies.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from agencies.webhooks import webhook_subscribe, webhook_unsubscribe
from cc112.api.idempotency import idempotent
from cc112.api.pagination import NewestCreatedCursor
from cc112.errors import ActionForbidden
from incidents.api.serializers import StrictInput, UtcDateTimeField
from incidents.api.views import ScopedViewSet


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "agency", "url", "events", "is_active", "created_at"]
        read_only_fields = fields


class WebhookSubscribedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: shown in this answer only."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscribeSerializer(StrictInput):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    incident = serializers.PrimaryKeyRelatedField(read_only=True)
    next_attempt_at = UtcDateTimeField(read_only=True, allow_null=True)
    delivered_at = UtcDateTimeField(read_only=True, allow_null=True)
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "incident",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_response_status",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Your agency's webhook subscriptions"),
    retrieve=extend_schema(summary="One subscription"),
    create=extend_schema(
        summary="Subscribe an endpoint to events (the secret is in this answer only)",
        request=WebhookSubscribeSerializer,
        responses={201: WebhookSubscribedSerializer},
    ),
    destroy=extend_schema(summary="Stop a subscription; what waits to be sent is dropped"),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    serializer_class = WebhookSubscriptionSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = WebhookSubscription.objects.visible_to(self.request.user)
        return queryset.select_related("agency").order_by("-created_at", "-id")

    @idempotent
    def create(self, request: Request) -> Response:
        agency = agency_of(request.user)
        if agency is None:
            raise ActionForbidden(_("Only an agency's staff or systems subscribe to its events."))
        data = self.run(WebhookSubscribeSerializer, request)
        subscription, secret = webhook_subscribe(
            agency=agency, url=data["url"], events=data["events"], actor=request.user
        )
        answer = WebhookSubscribedSerializer(subscription).data
        answer["secret"] = secret
        return Response(answer, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhook_unsubscribe(subscription=instance, actor=self.request.user)

    @extend_schema(
        summary="What was sent to this subscription, newest first",
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=NewestCreatedCursor)
    def deliveries(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        deliveries = WebhookDelivery.objects.visible_to(request.user).filter(
            subscription=subscription
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
