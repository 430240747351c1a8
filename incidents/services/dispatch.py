"""Sending a case to agencies and each agency's progress on it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Agency
from cc112.errors import DomainError
from cc112.history import attribute
from cc112.reads import reads_shared
from incidents.events import emit_dispatch_changed, emit_dispatches_created
from incidents.models import OPEN_DISPATCH_STATUSES, Dispatch, DispatchStatus, Incident
from incidents.pulse import pulse_batch
from incidents.services._common import (
    event_time,
    lock_incident,
    require_centre,
    require_dispatch_agency,
)
from incidents.services.access import access_grant_dispatched, access_sync_agency
from incidents.services.workflow import incident_follow_dispatches
from incidents.transitions import check_dispatch_transition
from sla.services import (
    clocks_follow_dispatch,
    clocks_hold,
    clocks_start_for_dispatches,
    clocks_start_for_new_case_dispatched,
    clocks_stop_dispatch_clock,
    notifications_for_dispatches,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

D = DispatchStatus


@transaction.atomic
def incident_dispatch(
    *,
    incident: Incident,
    agencies: Iterable[Agency],
    actor: AbstractBaseUser,
    instructions: str = "",
    at: datetime | None = None,
) -> list[Dispatch]:
    """Send a case to one or more agencies at once (T1 for each)."""
    require_centre(actor, _("dispatch cases"))
    agencies = list(dict.fromkeys(agencies))
    if not agencies:
        raise ValidationError({"agencies": _("Choose at least one agency.")})
    incident = lock_incident(incident.pk)
    with reads_shared(), pulse_batch():
        return _dispatch(incident, agencies, actor=actor, instructions=instructions, at=at)


def dispatch_new_case(
    *,
    incident: Incident,
    agencies: Iterable[Agency],
    actor: AbstractBaseUser,
    instructions: str = "",
) -> list[Dispatch]:
    """``incident_dispatch`` of a case this transaction has just made (the call screen's
    submit) with ``start_clocks=False``, inside that transaction: nobody else can see the case
    yet, so it is not locked, it has no dispatches to read, and no sweep can hold its clocks,
    which start here with the dispatches'."""
    require_centre(actor, _("dispatch cases"))
    agencies = list(dict.fromkeys(agencies))
    if not agencies:
        raise ValidationError({"agencies": _("Choose at least one agency.")})
    with reads_shared(), pulse_batch():
        return _dispatch(
            incident, agencies, actor=actor, instructions=instructions, at=None, new_case=True
        )


def _dispatch(
    incident: Incident,
    agencies: list[Agency],
    *,
    actor: AbstractBaseUser,
    instructions: str,
    at: datetime | None,
    new_case: bool = False,
) -> list[Dispatch]:
    """1. Check the case is open and the agencies can take it and have no open dispatch on it
       (the case's dispatches read once, under its lock).
    2. Hold the operator's clock if this is the first dispatch, then stamp T1.
    3. Write the dispatches and their history, the agencies' grants, their clocks (a statement
       each, however many agencies); stop the operator's clock; let the case's status follow.
    4. Notify the agencies' members; tell webhooks and the live pages.
    """
    if not incident.is_open:
        raise DomainError(
            _("A case that is “%(status)s” cannot be dispatched.")
            % {"status": incident.get_status_display()}
        )
    unusable = [a.short_name for a in agencies if a.is_centre or not a.is_active]
    if unusable:
        raise ValidationError(
            {
                "agencies": _("These cannot receive cases: %(names)s.")
                % {"names": ", ".join(unusable)}
            }
        )
    existing: list[tuple[int, str]] = []
    if not new_case:
        existing = list(
            Dispatch.objects.filter(incident=incident).order_by().values_list("agency_id", "status")
        )
    still_open = {agency for agency, status in existing if status in OPEN_DISPATCH_STATUSES}
    already = [a.short_name for a in agencies if a.pk in still_open]
    if already:
        raise ValidationError(
            {
                "agencies": _("Already dispatched and still open: %(names)s.")
                % {"names": ", ".join(sorted(already))}
            }
        )
    held = None
    if incident.first_dispatched_at is None and not new_case:
        held = clocks_hold(incident=incident)  # the operator's clock, which this dispatch stops
    at = event_time(at, not_before=incident.received_at, field="at")

    dispatches = []
    for agency in agencies:
        dispatch = Dispatch(
            incident=incident,
            agency=agency,
            instructions=instructions.strip(),
            dispatched_at=at,
            dispatched_by=actor,
        )
        attribute(dispatch, actor=actor, reason="dispatched")
        dispatches.append(dispatch)
    # Dispatch has no save() of its own and no signal listens: bulk_create is its save, and the
    # history rows are the ones save() would write (actor and reason from ``attribute``).
    Dispatch.objects.bulk_create(dispatches)
    Dispatch.history.bulk_history_create(dispatches)
    access_grant_dispatched(incident=incident, agencies=agencies)

    reason = "dispatched to " + ", ".join(a.short_name for a in agencies)
    if new_case:
        incident.first_dispatched_at = at
        clocks_start_for_new_case_dispatched(incident, dispatches, at)
    else:
        clocks_start_for_dispatches(incident, dispatches)
    if incident.first_dispatched_at is None:
        incident.first_dispatched_at = at
        clocks_stop_dispatch_clock(incident, at, answered=True, held=held)
    # A first dispatch always moves the case from received, which saves first_dispatched_at.
    incident_follow_dispatches(
        incident=incident,
        actor=actor,
        at=at,
        reason=reason,
        dispatches=[*existing, *((d.agency_id, d.status) for d in dispatches)],
    )
    notifications_for_dispatches(dispatches)
    emit_dispatches_created(dispatches)
    return dispatches


# target status -> (timestamp field, actor field) stamped by that step
_STEP_FIELDS = {
    D.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by"),
    D.EN_ROUTE: ("en_route_at", "en_route_by"),
    D.ON_SCENE: ("on_scene_at", "on_scene_by"),
    D.RESOLVED: ("resolved_at", "resolved_by"),
    D.DECLINED: ("closed_at", "closed_by"),
    D.CANCELLED: ("closed_at", "closed_by"),
}


def _latest_step_time(dispatch: Dispatch) -> datetime:
    times = [
        dispatch.dispatched_at,
        dispatch.acknowledged_at,
        dispatch.en_route_at,
        dispatch.on_scene_at,
    ]
    return max(t for t in times if t is not None)


def _step(
    dispatch: Dispatch,
    target: str,
    *,
    actor: AbstractBaseUser,
    at: datetime | None,
    reason: str,
    text_field: str | None = None,
    text: str = "",
) -> Dispatch:
    """Move one dispatch one step, under the case's lock, and let the case follow.

    1. Lock the case, then the dispatch (the order every workflow service uses).
    2. Check who acts and that the allowed-transitions table has this step.
    3. Stamp the step's time and actor, save with history, update the case's status.
    """
    incident = lock_incident(dispatch.incident_id)
    # of=self: locking the agency row too would queue every other step of that agency.
    dispatch = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=dispatch.pk)
    )
    if target == D.CANCELLED:
        require_centre(actor, _("cancel a dispatch"))
    else:
        require_dispatch_agency(actor, dispatch)
    check_dispatch_transition(dispatch.status, target)
    clocks_hold(incident=incident, dispatch=dispatch)
    at = event_time(at, not_before=_latest_step_time(dispatch), field="at")

    time_field, actor_field = _STEP_FIELDS[target]
    setattr(dispatch, time_field, at)
    setattr(dispatch, actor_field, actor)
    if text_field:
        setattr(dispatch, text_field, text.strip())
    dispatch.status = target
    attribute(dispatch, actor=actor, reason=reason)
    dispatch.save()
    if target == D.CANCELLED:
        access_sync_agency(incident=incident, agency=dispatch.agency)
    clocks_follow_dispatch(dispatch, at)
    incident_follow_dispatches(
        incident=incident,
        actor=actor,
        at=at,
        reason=f"{dispatch.agency.short_name}: {reason}",
    )
    emit_dispatch_changed(dispatch)
    return dispatch


@transaction.atomic
def dispatch_acknowledge(
    *, dispatch: Dispatch, actor: AbstractBaseUser, at: datetime | None = None
) -> Dispatch:
    """The agency has seen the case and takes it (T2)."""
    return _step(dispatch, D.ACKNOWLEDGED, actor=actor, at=at, reason="acknowledged")


@transaction.atomic
def dispatch_mark_en_route(
    *, dispatch: Dispatch, actor: AbstractBaseUser, at: datetime | None = None
) -> Dispatch:
    return _step(dispatch, D.EN_ROUTE, actor=actor, at=at, reason="en route")


@transaction.atomic
def dispatch_mark_on_scene(
    *, dispatch: Dispatch, actor: AbstractBaseUser, at: datetime | None = None
) -> Dispatch:
    """The agency's team has arrived (T3)."""
    return _step(dispatch, D.ON_SCENE, actor=actor, at=at, reason="on scene")


@transaction.atomic
def dispatch_resolve(
    *, dispatch: Dispatch, actor: AbstractBaseUser, resolution: str, at: datetime | None = None
) -> Dispatch:
    """The agency's field report: what was done (T4)."""
    if not resolution.strip():
        raise ValidationError({"resolution": _("Write a short field report of what was done.")})
    return _step(
        dispatch,
        D.RESOLVED,
        actor=actor,
        at=at,
        reason="resolved",
        text_field="resolution",
        text=resolution,
    )


@transaction.atomic
def dispatch_decline(
    *, dispatch: Dispatch, actor: AbstractBaseUser, reason: str, at: datetime | None = None
) -> Dispatch:
    """The agency says the case is not theirs; the centre then sends it elsewhere."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the agency declines the case.")})
    return _step(
        dispatch,
        D.DECLINED,
        actor=actor,
        at=at,
        reason="declined: " + reason.strip(),
        text_field="closed_reason",
        text=reason,
    )


@transaction.atomic
def dispatch_cancel(
    *, dispatch: Dispatch, actor: AbstractBaseUser, reason: str, at: datetime | None = None
) -> Dispatch:
    """The centre withdraws a dispatch (sent to the wrong agency, no longer needed)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the dispatch is cancelled.")})
    return _step(
        dispatch,
        D.CANCELLED,
        actor=actor,
        at=at,
        reason="cancelled: " + reason.strip(),
        text_field="closed_reason",
        text=reason,
    )
