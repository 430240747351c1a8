"""Case endpoints. Every read starts from a ``visible_to`` queryset (out of scope is 404, like
missing); every write is one service call (the services decide who may act: 403 or 409)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency
from cc112.api.errors import JSONParser
from cc112.api.filtering import FilterBackend
from cc112.api.idempotency import idempotent
from cc112.api.pagination import DispatchCursor, NewestFirstCursor, NoteCursor
from incidents import services
from incidents.api import serializers as s
from incidents.api.filters import MAX_ID, DispatchFilter, IncidentFilter
from incidents.models import AccessChannel, Category, Dispatch, Incident, Note
from incidents.services.privacy import personal_data_seen
from sla.models import CASE_KINDS, BreachReason, Clock


class ScopedViewSet(viewsets.GenericViewSet):
    """Looks objects up only among what ``get_queryset`` (a ``visible_to``) returns."""

    lookup_value_regex = "[^/]+"
    parser_classes = [JSONParser]

    def get_object(self):  # type: ignore[no-untyped-def]
        pk = self.kwargs[self.lookup_field]
        # isascii: "²" is a digit to str.isdigit() but not to int(); 19 digits: int() of a
        # 5,000-digit string raises ValueError (Python's limit), and none is an id anyway.
        if not (pk.isascii() and pk.isdigit()) or len(pk) > 19 or int(pk) > MAX_ID:
            raise NotFound()
        return super().get_object()

    def run(self, serializer_class, request: Request):  # type: ignore[no-untyped-def]
        """Validate a request body: a dict of clean values, or a 400 with field messages."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def case_with_dispatches(queryset):  # type: ignore[no-untyped-def]
    return queryset.select_related("category", "operator", "reported_by_agency").prefetch_related(
        Prefetch("dispatches", queryset=Dispatch.objects.select_related("agency", "incident"))
    )


@extend_schema_view(
    list=extend_schema(summary="List the cases you may see", responses=s.IncidentSummarySerializer),
    retrieve=extend_schema(summary="A whole case with its dispatches"),
    create=extend_schema(
        summary="Open a case (the 112 centre, and agencies allowed to report)",
        request=s.IncidentCreateSerializer,
        responses={201: s.IncidentSerializer},
    ),
    partial_update=extend_schema(
        summary="Correct a case's details (the 112 centre)",
        request=s.IncidentUpdateSerializer,
        responses=s.IncidentSerializer,
    ),
)
class IncidentViewSet(ScopedViewSet):
    serializer_class = s.IncidentSerializer
    pagination_class = NewestFirstCursor
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["received_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Incident.objects.visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        rows = s.summary_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([s.incident_summary(row) for row in page])

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._case(self.get_object().pk))

    @idempotent
    def create(self, request: Request) -> Response:
        data = self.run(s.IncidentCreateSerializer, request)
        incident = services.incident_create(actor=request.user, **data)
        return Response(self._case(incident.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        changes = self.run(s.IncidentUpdateSerializer, request)
        services.incident_update(incident=incident, actor=request.user, changes=changes)
        return Response(self._case(incident.pk))

    def _case(self, pk: int) -> dict:
        incident = case_with_dispatches(self.get_queryset().select_related("caller")).get(pk=pk)
        # A whole case carries the caller's full name and number: who read them is logged.
        personal_data_seen(
            user=self.request.user,
            channel=AccessChannel.API,
            identities=[incident.caller],
            incident=incident,
        )
        case_clocks = {
            clock.kind: clock
            for clock in Clock.objects.visible_to(self.request.user).filter(
                incident=incident, kind__in=CASE_KINDS
            )
        }
        return s.IncidentSerializer(incident, context={"case_clocks": case_clocks}).data

    @extend_schema(summary="The case's dispatches", responses=s.DispatchSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def dispatches(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        rows = Dispatch.objects.visible_to(request.user).filter(incident=incident)
        rows = rows.select_related("agency", "incident").order_by("dispatched_at", "id")
        return Response(s.DispatchSerializer(rows, many=True).data)

    @extend_schema(
        summary="Dispatch the case to one or more agencies (the 112 centre)",
        request=s.DispatchCreateSerializer,
        responses={201: s.DispatchSerializer(many=True)},
    )
    @dispatches.mapping.post
    @idempotent
    def dispatch_to(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self.run(s.DispatchCreateSerializer, request)
        created = services.incident_dispatch(
            incident=incident,
            agencies=data["agencies"],
            actor=request.user,
            instructions=data.get("instructions", ""),
        )
        rows = Dispatch.objects.filter(pk__in=[d.pk for d in created])
        rows = rows.select_related("agency", "incident").order_by("id")
        return Response(s.DispatchSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The case's timeline notes", responses=s.NoteSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=NoteCursor, filter_backends=[])
    def notes(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        notes = Note.objects.visible_to(request.user).filter(incident=incident)
        page = self.paginate_queryset(notes.select_related("author", "agency"))
        return self.get_paginated_response(s.NoteSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a note to the case",
        request=s.NoteCreateSerializer,
        responses={201: s.NoteSerializer},
    )
    @notes.mapping.post
    @idempotent
    def add_note(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self.run(s.NoteCreateSerializer, request)
        note = services.note_add(incident=incident, author=request.user, **data)
        return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The case's service-level clocks", responses=s.ClockSerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def clocks(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        clocks = Clock.objects.visible_to(request.user).filter(incident=incident)
        clocks = list(clocks.select_related("agency").order_by("started_at", "id"))
        reasons = {
            reason.clock_id: reason
            for reason in BreachReason.objects.visible_to(request.user).filter(clock__in=clocks)
        }
        context = {"breach_reasons": reasons}
        return Response(s.ClockSerializer(clocks, many=True, context=context).data)

    @extend_schema(
        summary="Who changed the case and its dispatches, when and why",
        responses=s.HistoryEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        entries = [
            *self._history("incident", Incident.history.filter(id=incident.pk)),
            *self._history(
                "dispatch",
                Dispatch.history.filter(
                    incident_id=incident.pk,
                    id__in=Dispatch.objects.visible_to(request.user).values("pk"),
                ).select_related("agency"),
            ),
        ]
        entries.sort(key=lambda entry: (entry["at"], entry["entity"], entry["object_id"]))
        return Response(s.HistoryEntrySerializer(entries, many=True).data)

    @staticmethod
    def _history(entity: str, rows) -> list[dict]:  # type: ignore[no-untyped-def]
        changes = {"+": "created", "~": "changed", "-": "deleted"}
        return [
            {
                "at": row.history_date,
                "entity": entity,
                "object_id": row.id,
                "change": changes[row.history_type],
                "status": row.status,
                "agency": row.agency.code if entity == "dispatch" else None,
                "reason": row.history_change_reason,
                "actor": (
                    (row.history_user.get_full_name() or row.history_user.username)
                    if row.history_user
                    else None
                ),
            }
            for row in rows.select_related("history_user").order_by("history_date")
        ]

    @extend_schema(
        summary="Close the case (the 112 centre)",
        request=s.CloseSerializer,
        responses=s.IncidentSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def close(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self.run(s.CloseSerializer, request)
        services.incident_close(incident=incident, actor=request.user, **data)
        return Response(self._case(incident.pk))

    @extend_schema(
        summary="Cancel the case and its open dispatches (the 112 centre)",
        request=s.ReasonSerializer,
        responses=s.IncidentSerializer,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self.run(s.ReasonSerializer, request)
        services.incident_cancel(incident=incident, actor=request.user, **data)
        return Response(self._case(incident.pk))


def _step_action(name: str, service: str, serializer_class, summary: str, url_path=None):  # type: ignore[no-untyped-def]
    """One endpoint per dispatch step; the service checks who acts and the transition."""

    @idempotent
    def step(self, request: Request, pk: str) -> Response:  # type: ignore[no-untyped-def]
        dispatch = self.get_object()
        data = self.run(serializer_class, request)
        getattr(services, service)(dispatch=dispatch, actor=request.user, **data)
        return Response(s.DispatchSerializer(self._fresh(dispatch.pk)).data)

    step.__name__ = name
    # extend_schema goes on after action(), which replaces the function's ``kwargs`` where
    # extend_schema keeps its schema (the steps had lost their request body and summary).
    routed = action(detail=True, methods=["post"], url_path=url_path)(step)
    return extend_schema(summary=summary, request=serializer_class, responses=s.DispatchSerializer)(
        routed
    )


@extend_schema_view(
    list=extend_schema(summary="List the dispatches you may see (your agency's and its cases')"),
    retrieve=extend_schema(summary="One dispatch"),
)
class DispatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = s.DispatchSerializer
    pagination_class = DispatchCursor
    filter_backends = [FilterBackend]
    filterset_class = DispatchFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Dispatch.objects.visible_to(self.request.user).select_related("agency", "incident")

    def _fresh(self, pk: int) -> Dispatch:
        return self.get_queryset().get(pk=pk)

    acknowledge = _step_action(
        "acknowledge", "dispatch_acknowledge", s.StepSerializer, "Acknowledge: we take it (T2)"
    )
    en_route = _step_action(
        "en_route",
        "dispatch_mark_en_route",
        s.StepSerializer,
        "The team is on its way",
        url_path="en-route",
    )
    on_scene = _step_action(
        "on_scene",
        "dispatch_mark_on_scene",
        s.StepSerializer,
        "The team has arrived (T3)",
        url_path="on-scene",
    )
    resolve = _step_action(
        "resolve", "dispatch_resolve", s.ResolveSerializer, "Resolved, with the field report"
    )
    decline = _step_action(
        "decline", "dispatch_decline", s.ReasonSerializer, "Not ours: decline with a reason"
    )
    cancel = _step_action(
        "cancel", "dispatch_cancel", s.ReasonSerializer, "Withdraw the dispatch (112 centre)"
    )


@extend_schema_view(list=extend_schema(summary="Emergency categories"))
class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CategorySerializer
    pagination_class = None
    queryset = Category.objects.prefetch_related("suggested_agencies").order_by(
        "sort_order", "code"
    )


@extend_schema_view(list=extend_schema(summary="Agencies of the 112 network"))
class AgencyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AgencySerializer
    pagination_class = None
    queryset = Agency.objects.active().order_by("-is_centre", "short_name")
