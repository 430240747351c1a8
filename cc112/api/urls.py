"""/api/v1/: the resources, the OpenAPI schema and the interactive docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.routers import SimpleRouter

from agencies.api import WebhookSubscriptionViewSet
from incidents.api.views import AgencyViewSet, CategoryViewSet, DispatchViewSet, IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("dispatches", DispatchViewSet, basename="dispatch")
router.register("categories", CategoryViewSet, basename="category")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, rest):  # type: ignore[no-untyped-def]
    """Unknown API paths answer in JSON like the rest of the API."""
    raise NotFound()


app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    re_path(r"^(?P<rest>.*)$", not_found, name="not-found"),
]
