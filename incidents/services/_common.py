"""What every incident service shares: who may act, and when an event may be dated."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import acts_for_centre, works_for_agency
from cc112.errors import ActionForbidden
from cc112.moments import local_moment
from incidents.models import Incident

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from incidents.models import Dispatch

# Clocks on operators' PCs and partners' servers drift; an event a little in the future is the
# same moment, one further ahead is a typing mistake.
CLOCK_SKEW = timedelta(minutes=2)


def require_centre(actor: AbstractBaseUser, action: str) -> None:
    if not acts_for_centre(actor):
        raise ActionForbidden(_("Only 112 centre staff may %(action)s.") % {"action": action})


def require_dispatch_agency(actor: AbstractBaseUser, dispatch: Dispatch) -> None:
    """The dispatch's own agency acts on it; the centre may record what an agency radios in."""
    if not works_for_agency(actor, dispatch.agency_id):
        raise ActionForbidden(
            _("Only %(agency)s may update this dispatch.") % {"agency": dispatch.agency.short_name}
        )


def event_time(at: datetime | None, *, not_before: datetime | None, field: str) -> datetime:
    """When an event happened: now, or a time recorded after the fact that makes sense."""
    now = timezone.now()
    if at is None:
        at = now
    if timezone.is_naive(at):
        raise ValidationError({field: _("The time must include a time zone.")})
    if at > now + CLOCK_SKEW:
        raise ValidationError({field: _("The time cannot be in the future.")})
    if not_before is not None and at < not_before:
        raise ValidationError(
            {
                field: _("The time cannot be before %(earlier)s.")
                % {"earlier": local_moment(not_before)}
            }
        )
    return at


def lock_incident(incident_id: int) -> Incident:
    """Lock a case row. Every service that changes a case, its dispatches, its shares or who
    may see it locks the case first, so writers on one case queue instead of deadlocking or
    each deciding access from a state the other is changing.

    FOR NO KEY UPDATE: it excludes the other writers all the same, but not the key-share lock
    that a row pointing at the case takes when inserted, so the escalation sweep can write a
    notification on a case whose clock it holds while a service holds the case and waits for
    that clock (FOR UPDATE deadlocked there)."""
    return Incident.objects.select_for_update(no_key=True).get(pk=incident_id)
