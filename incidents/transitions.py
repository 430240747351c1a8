"""The allowed status changes of cases and dispatches. Anything not listed is refused."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cc112.errors import TransitionRefused
from incidents.models import DispatchStatus, IncidentStatus

S = IncidentStatus
D = DispatchStatus

INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.DISPATCHED, S.CLOSED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.RECEIVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.DISPATCHED, S.RESOLVED, S.RECEIVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.DISPATCHED, S.IN_PROGRESS, S.CLOSED}),
    # Reopening a closed case puts it back where its dispatches stand.
    S.CLOSED: frozenset({S.RECEIVED, S.RESOLVED}),
    S.CANCELLED: frozenset(),
}

DISPATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    D.PENDING: frozenset({D.ACKNOWLEDGED, D.DECLINED, D.CANCELLED}),
    D.ACKNOWLEDGED: frozenset({D.EN_ROUTE, D.ON_SCENE, D.RESOLVED, D.CANCELLED}),
    D.EN_ROUTE: frozenset({D.ON_SCENE, D.RESOLVED, D.CANCELLED}),
    D.ON_SCENE: frozenset({D.RESOLVED, D.CANCELLED}),
    D.RESOLVED: frozenset(),
    D.DECLINED: frozenset(),
    D.CANCELLED: frozenset(),
}


def _refuse_unless_allowed(
    entity: str, table: dict[str, frozenset[str]], labels: type, current: str, target: str
) -> None:
    if target in table[current]:
        return
    names = {"current": labels(current).label, "target": labels(target).label}
    if entity == "incident":
        message = _("A case that is “%(current)s” cannot become “%(target)s”.") % names
    else:
        message = _("A dispatch that is “%(current)s” cannot become “%(target)s”.") % names
    raise TransitionRefused(entity, current, target, message)


def check_incident_transition(current: str, target: str) -> None:
    _refuse_unless_allowed("incident", INCIDENT_TRANSITIONS, S, current, target)


def check_dispatch_transition(current: str, target: str) -> None:
    _refuse_unless_allowed("dispatch", DISPATCH_TRANSITIONS, D, current, target)


def status_from_dispatches(statuses: list[str]) -> str:
    """The status an open case follows from its dispatches.

    1. No dispatch still in play (none, or all declined/cancelled): back to received, so the
       centre sends it elsewhere.
    2. Every dispatch in play resolved: resolved.
    3. Any agency has acknowledged or moved: in progress.
    4. Otherwise: dispatched, waiting for acknowledgement.
    """
    in_play = [s for s in statuses if s not in (D.DECLINED, D.CANCELLED)]
    if not in_play:
        return S.RECEIVED
    if all(s == D.RESOLVED for s in in_play):
        return S.RESOLVED
    if any(s != D.PENDING for s in in_play):
        return S.IN_PROGRESS
    return S.DISPATCHED
