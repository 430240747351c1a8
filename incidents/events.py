"""What partners' webhooks and the live pages hear of a case, and the calls the case services
make to say it.

Payloads are thin: the case's reference, status, priority and category, never the caller, the
description or the location. A partner fetches the rest through the API with its own key, which
scopes what it gets. Every function here runs inside the transaction of the change it reports
and costs one small query when nobody subscribes to the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.utils import timezone

from agencies.models import WebhookEvent
from agencies.webhooks import (
    Occurrence,
    Subscriber,
    utc_iso,
    webhook_subscribers,
    webhook_subscriptions,
    webhooks_emit_occurrences,
)
from cc112.reads import read_once
from incidents.models import Dispatch, Incident, IncidentGroupObjectPermission
from incidents.pulse import pulse_bump
from incidents.querysets import _view_incident_permission

if TYPE_CHECKING:
    from sla.models import Clock, Escalation

API_PREFIX = "/api/v1"


class IncidentPart(TypedDict):
    id: int
    reference: str
    status: str
    priority: int
    category: str
    updated_at: str
    url: str


class DispatchPart(TypedDict):
    id: int
    agency: str
    status: str
    url: str


class EscalationPart(TypedDict):
    level: int
    percent: int
    clock: str


def incident_part(incident: Incident) -> IncidentPart:
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "status": incident.status,
        "priority": incident.priority,
        "category": incident.category.code,
        "updated_at": utc_iso(incident.updated_at),
        "url": f"{API_PREFIX}/incidents/{incident.pk}/",
    }


def dispatch_part(dispatch: Dispatch) -> DispatchPart:
    return {
        "id": dispatch.pk,
        "agency": dispatch.agency.code,
        "status": dispatch.status,
        "url": f"{API_PREFIX}/dispatches/{dispatch.pk}/",
    }


def occurrence_of(
    event: str,
    incident: Incident,
    *,
    dispatch: Dispatch | None = None,
    detail: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Occurrence:
    body: dict[str, Any] = {"incident": incident_part(incident)}
    if dispatch is not None:
        body["dispatch"] = dispatch_part(dispatch)
    body |= detail or {}
    only = dispatch.agency_id if dispatch is not None and event.startswith("dispatch.") else None
    return Occurrence(incident.pk, body, occurred_at or timezone.now(), only)


def cases_seen_by_groups(
    incident_ids: Iterable[int], group_ids: Iterable[int]
) -> set[tuple[int, int]]:
    """(case id, group id) for each of these agencies' groups that sees each of these cases.

    The agency branch of ``Incident.objects.visible_to`` (guardian's view_incident row for the
    agency's group), asked for many cases and agencies in one query.
    """
    return set(
        IncidentGroupObjectPermission.objects.filter(
            content_object_id__in=list(incident_ids),
            group_id__in=list(group_ids),
            permission_id=_view_incident_permission(),
        ).values_list("content_object_id", "group_id")
    )


def _subscribers(event: str) -> list[Subscriber]:
    """``webhook_subscribers``, with the subscriptions read once inside ``reads_shared()`` (the
    call screen's submit tells incident.updated and dispatch.created)."""
    return webhook_subscribers(event, read_once("webhook-subscriptions", webhook_subscriptions))


# --- Called by the case services -----------------------------------------------------------------


def emit_dispatches_created(dispatches: list[Dispatch]) -> None:
    """dispatch.created for each new dispatch, to its agency and the centre; the board and
    those agencies' inboxes change."""
    pulse_bump(agencies=[dispatch.agency_id for dispatch in dispatches])
    subscribers = _subscribers(WebhookEvent.DISPATCH_CREATED)
    if not subscribers or not dispatches:
        return
    occurrences = [
        occurrence_of(
            WebhookEvent.DISPATCH_CREATED,
            dispatch.incident,
            dispatch=dispatch,
            occurred_at=dispatch.dispatched_at,
        )
        for dispatch in dispatches
    ]
    webhooks_emit_occurrences(WebhookEvent.DISPATCH_CREATED, occurrences, subscribers=subscribers)


def emit_case_changed(
    incident: Incident, *, closed: bool = False, agencies: Iterable[int] | None = None
) -> None:
    """incident.closed when the case was just closed, incident.updated for any other change
    (its status, or a correction of its details). The board changes, and so do the inboxes
    of the agencies still working on the case (``agencies``, when the caller has them)."""
    if agencies is None:
        agencies = incident.dispatches.open().values_list("agency_id", flat=True)
    pulse_bump(agencies=agencies)
    event = WebhookEvent.INCIDENT_CLOSED if closed else WebhookEvent.INCIDENT_UPDATED
    subscribers = _subscribers(event)
    if subscribers:
        webhooks_emit_occurrences(event, [occurrence_of(event, incident)], subscribers=subscribers)


def emit_case_opened(incident: Incident) -> None:
    """A new case is on the board (no agency has it yet: no webhook, no inbox)."""
    pulse_bump()


def emit_dispatch_changed(dispatch: Dispatch) -> None:
    """An agency's step on its dispatch, or the centre's cancelling of it: the board and that
    agency's inbox change, whether or not the case's own status moved with it."""
    pulse_bump(agencies=[dispatch.agency_id])


def emit_escalations(fired: Iterable[tuple[Escalation, Clock]]) -> None:
    """dispatch.escalated for the rungs fired on dispatches' clocks, a sweep's batch at once:
    no query without such a rung, one when nobody subscribes, four when someone does. The board
    shows the level reached, and each agency's inbox its own clocks': their markers move once
    for the batch."""
    fired = list(fired)
    if fired:
        pulse_bump(agencies=[clock.agency_id for _escalation, clock in fired])
    rungs = [(escalation, clock) for escalation, clock in fired if clock.dispatch_id is not None]
    if not rungs:
        return
    event = WebhookEvent.DISPATCH_ESCALATED
    subscribers = webhook_subscribers(event)
    if not subscribers:
        return
    dispatches = Dispatch.objects.select_related("agency", "incident__category").in_bulk(
        {clock.dispatch_id for _escalation, clock in rungs}
    )
    occurrences = []
    for escalation, clock in rungs:
        dispatch = dispatches[clock.dispatch_id]
        detail: dict[str, EscalationPart] = {
            "escalation": {
                "level": escalation.level,
                "percent": escalation.percent,
                "clock": clock.kind,
            }
        }
        occurrences.append(
            occurrence_of(
                event,
                dispatch.incident,
                dispatch=dispatch,
                detail=detail,
                occurred_at=escalation.fired_at,
            )
        )
    webhooks_emit_occurrences(event, occurrences, subscribers=subscribers)
