"""The baselines of ``bench/api.py``, served by the same gunicorn workers as the API.

``gunicorn bench.api_site:application`` with ``DJANGO_SETTINGS_MODULE=cc112.settings`` serves the
product unchanged (its settings, middleware and every URL of ``cc112.urls``) plus two views that
list the same 50 cases as the first page of ``GET /api/v1/incidents/`` for one agency:

- ``/bench/bare/incidents/?agency=<code>``: a function view, one query, ``JsonResponse`` of
  ``.values()`` rows of the API's summary columns. No DRF.
- ``/bench/drf-model/incidents/?agency=<code>``: a plain DRF ``ListAPIView`` with a
  ``ModelSerializer`` of the same columns (the category as ``SlugRelatedField`` on ``code``,
  with ``select_related`` so that it is one query, not 51). DRF's defaults, except no
  authentication or permission; no pagination class: the queryset is sliced to the first 50,
  which are the rows of the API's first page. The rows are whole model instances, as a plain
  ``ModelSerializer`` list reads them. This measures what the API's ``values()`` rows and
  summary dicts are compared with: serialization, one query each.
- ``/bench/drf-model-paged/incidents/?agency=<code>``: the same list paged by DRF's stock
  ``LimitOffsetPagination`` (50 a page), as a plain DRF list is usually paged: the same rows,
  plus the ``COUNT(*)`` of the agency's cases that this pagination runs on every page.

All scope with the SQL that ``Incident.objects.visible_to`` gives an agency member who holds no
personal grant, through the same expression (``incidents.querysets.Granted``: ``EXISTS`` the
agency group's object permission ``incidents.view_incident``). The agency's group id is read
once per process.

The product's URLs are not touched: ``BenchHandler`` sets ``request.urlconf`` (Django's
per-request URLconf) to this module, whose ``urlpatterns`` put the two views beside
``cc112.urls``. Only what the bench process and gunicorn import this module for runs here.
"""

from __future__ import annotations

import functools
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings")
django.setup(set_prefix=False)

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402
from rest_framework.pagination import LimitOffsetPagination  # noqa: E402

from agencies.models import Agency  # noqa: E402
from incidents.api.serializers import SUMMARY_COLUMNS  # noqa: E402
from incidents.models import Incident, IncidentGroupObjectPermission  # noqa: E402
from incidents.querysets import Granted  # noqa: E402

PAGE = 50
BARE_PATH = "/bench/bare/incidents/"
DRF_MODEL_PATH = "/bench/drf-model/incidents/"
DRF_MODEL_PAGED_PATH = "/bench/drf-model-paged/incidents/"
DRF_MODEL_ALL_PATH = "/bench/drf-model-all/incidents/"


@functools.cache
def _group_id(code: str) -> int:
    return Agency.objects.values_list("group_id", flat=True).get(code=code)


def agency_cases(code: str):  # type: ignore[no-untyped-def]
    """The cases an agency's member without personal grants sees, with ``visible_to``'s SQL."""
    return Incident.objects.filter(Granted(IncidentGroupObjectPermission, "group", _group_id(code)))


def bare_incidents(request: HttpRequest) -> JsonResponse:
    """Baseline A. ``offset`` is only for the bench's check of a deep page's rows."""
    offset = int(request.GET.get("offset", 0))
    cases = agency_cases(request.GET.get("agency", "polresta")).order_by("-received_at")
    rows = list(cases.values(*SUMMARY_COLUMNS)[offset : offset + PAGE])
    return JsonResponse({"results": rows})


class IncidentModelSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Incident
        fields = [column.removesuffix("__code") for column in SUMMARY_COLUMNS]


class IncidentModelList(generics.ListAPIView):
    """Baseline B: the first 50, sliced."""

    serializer_class = IncidentModelSerializer
    authentication_classes = []
    permission_classes = []
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        cases = agency_cases(self.request.query_params.get("agency", "polresta"))
        return cases.select_related("category").order_by("-received_at")[:PAGE]


class IncidentAllFieldsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = "__all__"


class IncidentAllFieldsList(IncidentModelList):
    """Baseline B as most DRF projects write it: ``fields = "__all__"`` (every column, the
    category as its id), the same 50 cases, sliced."""

    serializer_class = IncidentAllFieldsSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        cases = agency_cases(self.request.query_params.get("agency", "polresta"))
        return cases.order_by("-received_at")[:PAGE]


class FiftyAPage(LimitOffsetPagination):
    default_limit = PAGE


class IncidentModelPagedList(IncidentModelList):
    """Baseline B, paged as DRF pages out of the box (a count and a slice)."""

    pagination_class = FiftyAPage

    def get_queryset(self):  # type: ignore[no-untyped-def]
        cases = agency_cases(self.request.query_params.get("agency", "polresta"))
        return cases.select_related("category").order_by("-received_at")


urlpatterns = [
    path(BARE_PATH.lstrip("/"), bare_incidents),
    path(DRF_MODEL_PATH.lstrip("/"), IncidentModelList.as_view()),
    path(DRF_MODEL_PAGED_PATH.lstrip("/"), IncidentModelPagedList.as_view()),
    path(DRF_MODEL_ALL_PATH.lstrip("/"), IncidentAllFieldsList.as_view()),
    path("", include("cc112.urls")),
]


class BenchHandler(WSGIHandler):
    """cc112's WSGI handler, resolving with this module's URLconf."""

    def get_response(self, request):  # type: ignore[no-untyped-def]
        request.urlconf = __name__
        return super().get_response(request)


application = BenchHandler()
