"""Why a clock breached: recorded once, by whoever answers for it, with history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import agency_of, answers_for_agency, supervises_centre
from cc112.errors import ActionForbidden, DomainError
from cc112.history import attribute
from incidents.pulse import pulse_bump
from incidents.services._common import event_time
from sla.models import BreachCause, BreachReason, Clock, ClockState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# A breach still unexplained this long after its moment is listed for the supervisor.
EXPLAIN_WITHIN = timedelta(hours=24)


def answers_for(user: AbstractBaseUser | AnonymousUser, clock: Clock) -> bool:
    """An agency's clock is explained by its duty officer or head; the centre's own (the
    operator's, the case's) by a 112 supervisor or the coordinator."""
    if clock.agency_id is not None:
        return answers_for_agency(user, clock.agency_id)
    return supervises_centre(user)


def may_explain(user: AbstractBaseUser | AnonymousUser, clock: Clock) -> bool:
    """Offered the form: answers for this breach, and nobody has explained it yet."""
    return (
        answers_for(user, clock)
        and is_breached(clock)
        and not BreachReason.objects.filter(clock=clock).exists()
    )


def is_breached(clock: Clock, now=None) -> bool:  # type: ignore[no-untyped-def]
    """Stopped late, or still running past its due time."""
    now = now or timezone.now()
    return clock.state == ClockState.BREACHED or (
        clock.state == ClockState.RUNNING and clock.due_at < now
    )


def breach_explain(
    *,
    clock: Clock,
    actor: AbstractBaseUser,
    cause: str,
    explanation: str = "",
    at: datetime | None = None,
) -> BreachReason:
    """Record why ``clock`` breached.

    1. Only whoever answers for the clock may (403 otherwise).
    2. Only a breach (a met or withdrawn clock has nothing to explain), and only once.
    3. A cause from the coded list; "other" needs its words.
    ``at``: when it was recorded, for a record made after the fact (not before the breach).
    """
    if not answers_for(actor, clock):
        raise ActionForbidden(
            _("Only whoever answers for this clock may explain its breach: %(whose)s.")
            % {
                "whose": _("the agency's duty officer or head")
                if clock.agency_id
                else _("a 112 supervisor")
            }
        )
    explanation = explanation.strip()
    if cause not in BreachCause.values:
        raise ValidationError({"cause": _("Choose a cause from the list.")})
    if cause == BreachCause.OTHER and not explanation:
        raise ValidationError({"explanation": _("Say what happened when the cause is “Other”.")})
    with transaction.atomic():
        clock = Clock.objects.select_for_update(of=("self",)).get(pk=clock.pk)
        # A record made after the fact cannot be dated before the breach; one made now that
        # falls before it is simply not a breach (yet).
        at = event_time(at, not_before=clock.due_at, field="at") if at else timezone.now()
        if not is_breached(clock, at):
            raise DomainError(
                _("This clock did not breach its target: there is nothing to explain.")
            )
        if BreachReason.objects.filter(clock=clock).exists():
            raise DomainError(_("The reason for this breach has already been recorded."))
        reason = BreachReason(
            clock=clock,
            cause=cause,
            explanation=explanation,
            recorded_by=actor,
            recorded_at=at,
        )
        reason.full_clean(exclude=["clock"])
        attribute(reason, actor=actor, reason=f"breach explained: {cause}")
        try:
            with transaction.atomic():
                reason.save()
        except IntegrityError as twice:  # a concurrent explanation won the unique key
            raise DomainError(_("The reason for this breach has already been recorded.")) from twice
        # Those who answer for breaches count one fewer unexplained (their sidebars).
        pulse_bump(agencies=[clock.agency_id])
    return reason


def unexplained_breaches(user: AbstractBaseUser | AnonymousUser, now=None) -> QuerySet:  # type: ignore[no-untyped-def]
    """The breaches ``user`` answers for that nobody has explained EXPLAIN_WITHIN after they
    fell due, oldest first: every one for the centre's supervisors, an agency's own for its
    duty officer and head."""
    now = now or timezone.now()
    explained = BreachReason.objects.filter(clock=OuterRef("pk"))
    clocks = Clock.objects.visible_to(user).filter(
        Q(state=ClockState.BREACHED) | Q(state=ClockState.RUNNING),
        due_at__lt=now - EXPLAIN_WITHIN,
    )
    clocks = clocks.filter(~Exists(explained))
    if supervises_centre(user):
        return clocks.order_by("due_at", "pk")
    agency = agency_of(user)
    if agency is None or not answers_for_agency(user, agency.pk):
        return clocks.none()
    return clocks.filter(agency=agency).order_by("due_at", "pk")
