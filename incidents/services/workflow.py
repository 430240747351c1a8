"""A case's own status: following its dispatches, closing, cancelling, reopening."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cc112.errors import DomainError
from cc112.history import attribute
from incidents.events import emit_case_changed, emit_dispatch_changed
from incidents.models import (
    OPEN_DISPATCH_STATUSES,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
)
from incidents.services._common import event_time, lock_incident, require_centre
from incidents.services.access import access_sync_agency
from incidents.services.notes import note_add
from incidents.services.privacy import callers_release
from incidents.transitions import check_dispatch_transition, check_incident_transition
from incidents.transitions import status_from_dispatches as derive
from sla.services import (
    clocks_follow_case,
    clocks_follow_dispatch,
    clocks_hold,
    clocks_stop_dispatch_clock,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _move(
    incident: Incident,
    target: str,
    *,
    actor: AbstractBaseUser,
    reason: str,
    open_agencies: Iterable[int] | None = None,
) -> None:
    check_incident_transition(incident.status, target)
    previous, incident.status = incident.status, target
    attribute(incident, actor=actor, reason=reason)
    incident.save()
    clocks_follow_case(incident, previous)
    emit_case_changed(incident, closed=target == IncidentStatus.CLOSED, agencies=open_agencies)


def incident_follow_dispatches(
    *,
    incident: Incident,
    actor: AbstractBaseUser,
    at: datetime,
    reason: str,
    dispatches: Iterable[tuple[int, str]] | None = None,
) -> bool:
    """Bring a locked, open case's status in line with its dispatches; True if it moved.

    ``dispatches``: the case's (agency id, status) pairs, when the caller has just read them
    under the case's lock (the dispatch service), so they are not read again."""
    if not incident.is_open:
        return False
    if dispatches is None:
        statuses = list(incident.dispatches.values_list("status", flat=True))
        open_agencies = None
    else:
        pairs = list(dispatches)
        statuses = [status for _agency, status in pairs]
        open_agencies = [a for a, status in pairs if status in OPEN_DISPATCH_STATUSES]
    target = derive(statuses)
    if target == incident.status:
        return False
    incident.resolved_at = None
    if target == IncidentStatus.RESOLVED:
        # The last field report, not the step that made the case resolved (a late decline or
        # cancel of another agency's dispatch must not move the case's T4).
        incident.resolved_at = incident.dispatches.filter(status=DispatchStatus.RESOLVED).aggregate(
            last=Max("resolved_at")
        )["last"]
    _move(incident, target, actor=actor, reason=reason, open_agencies=open_agencies)
    return True


@transaction.atomic
def incident_close(
    *, incident: Incident, actor: AbstractBaseUser, note: str = "", at: datetime | None = None
) -> Incident:
    """The centre closes a case once no agency is still working on it."""
    require_centre(actor, _("close cases"))
    incident = lock_incident(incident.pk)
    open_agencies = [
        d.agency.short_name for d in incident.dispatches.open().select_related("agency")
    ]
    if open_agencies:
        raise DomainError(
            _("The case cannot be closed while these agencies are still handling it: %(names)s.")
            % {"names": ", ".join(open_agencies)}
        )
    if incident.status == IncidentStatus.RECEIVED and not note.strip():
        raise ValidationError(
            {"note": _("Say how the case was handled: it was never resolved by an agency.")}
        )
    check_incident_transition(incident.status, IncidentStatus.CLOSED)
    clocks_hold(incident=incident)
    incident.closed_at = event_time(at, not_before=incident.received_at, field="at")
    incident.closed_by = actor
    # Handled without any agency (advice on the phone): the operator's clock is withdrawn.
    clocks_stop_dispatch_clock(incident, incident.closed_at, answered=False)
    reason = f"closed: {note.strip()}" if note.strip() else "closed"
    _move(incident, IncidentStatus.CLOSED, actor=actor, reason=reason)
    callers_release(incident=incident, at=incident.closed_at)
    if note.strip():
        note_add(incident=incident, author=actor, body=note, at=incident.closed_at)
    return incident


@transaction.atomic
def incident_cancel(
    *, incident: Incident, actor: AbstractBaseUser, reason: str, at: datetime | None = None
) -> Incident:
    """Cancel a case (a duplicate, a false report) and every dispatch still open on it."""
    require_centre(actor, _("cancel cases"))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the case is cancelled.")})
    incident = lock_incident(incident.pk)
    check_incident_transition(incident.status, IncidentStatus.CANCELLED)
    clocks_hold(incident=incident)
    at = event_time(at, not_before=incident.received_at, field="at")
    cancelled = []
    for dispatch in (
        incident.dispatches.open().select_for_update(of=("self",)).select_related("agency")
    ):
        cancelled.append(dispatch)
        check_dispatch_transition(dispatch.status, DispatchStatus.CANCELLED)
        dispatch.status = DispatchStatus.CANCELLED
        dispatch.closed_at = at
        dispatch.closed_by = actor
        dispatch.closed_reason = reason.strip()
        attribute(dispatch, actor=actor, reason="cancelled with the case")
        dispatch.save()
        access_sync_agency(incident=incident, agency=dispatch.agency)
        clocks_follow_dispatch(dispatch, at)
    clocks_stop_dispatch_clock(incident, at, answered=False)
    incident.closed_at = at
    incident.closed_by = actor
    _move(incident, IncidentStatus.CANCELLED, actor=actor, reason="cancelled: " + reason.strip())
    callers_release(incident=incident, at=at)
    for dispatch in cancelled:  # gone from each agency's inbox
        emit_dispatch_changed(dispatch)
    return incident


@transaction.atomic
def incident_reopen(*, incident: Incident, actor: AbstractBaseUser, reason: str) -> Incident:
    """Reopen a closed case; it returns to the status its dispatches give it."""
    require_centre(actor, _("reopen cases"))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the case is reopened.")})
    incident = lock_incident(incident.pk)
    statuses = list(Dispatch.objects.filter(incident=incident).values_list("status", flat=True))
    target = derive(statuses)
    check_incident_transition(incident.status, target)
    incident.closed_at = None
    incident.closed_by = None
    _move(incident, target, actor=actor, reason="reopened: " + reason.strip())
    callers_release(incident=incident, at=None)
    return incident
