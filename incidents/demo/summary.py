"""What the demo holds, counted from the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agencies.defaults import CENTRE_CODE
from incidents.demo.period import AMBON_TZ, DEMO_DAYS, DemoPeriod, demo_period
from incidents.demo.roster import demo_logins
from incidents.demo.texts import AMBULANCE_REQUEST_PREFIX
from incidents.models import Call, CallOutcome, Incident, IncidentStatus

if TYPE_CHECKING:
    from incidents.querysets import CallQuerySet


def _centre_usernames() -> list[str]:
    return [login.username for login in demo_logins() if login.agency_code == CENTRE_CODE]


def _demo_calls() -> CallQuerySet:
    return Call.objects.filter(operator__username__in=_centre_usernames())


def demo_activity_exists() -> bool:
    """Whether the demo's months were recorded, for whatever days: a second run records none."""
    return _demo_calls().exists()


def recorded_period(now: datetime) -> DemoPeriod | None:
    """The days the demo's months were recorded for (an earlier run's), from their first call:
    the first day's pranks make one all but certain."""
    first = _demo_calls().order_by("answered_at").values_list("answered_at", flat=True).first()
    if first is None:
        return None
    first_day = first.astimezone(AMBON_TZ).date()
    return demo_period(first_day + timedelta(days=DEMO_DAYS - 1), now=now)


@dataclass(frozen=True)
class DemoSummary:
    cases: int
    ambulance_requests: int
    by_category: list[tuple[str, int]]
    by_kecamatan: list[tuple[str, int]]
    open_by_status: list[tuple[str, int]]
    other_calls: list[tuple[str, int]]
    pranks_first_three_weeks: int


def demo_summary(period: DemoPeriod) -> DemoSummary:
    """What the demo holds in the period's days, counted from the database (most frequent
    first)."""
    calls = _demo_calls().filter(answered_at__gte=period.start, answered_at__lt=period.end)
    cases = Incident.objects.filter(
        operator__username__in=_centre_usernames(),
        received_at__gte=period.start,
        received_at__lt=period.end,
    )
    rows = list(cases.values_list("category__code", "kecamatan", "status", "description"))
    other = calls.exclude(outcome=CallOutcome.INCIDENT)
    three_weeks = period.start + timedelta(weeks=3)
    open_statuses = Counter(
        status
        for _c, _k, status, _d in rows
        if status not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)
    )
    return DemoSummary(
        cases=len(rows),
        ambulance_requests=sum(d.startswith(AMBULANCE_REQUEST_PREFIX) for *_rest, d in rows),
        by_category=Counter(code for code, *_rest in rows).most_common(),
        by_kecamatan=Counter(kecamatan for _c, kecamatan, *_rest in rows).most_common(),
        open_by_status=open_statuses.most_common(),
        other_calls=Counter(other.values_list("outcome", flat=True)).most_common(),
        pranks_first_three_weeks=other.filter(
            outcome=CallOutcome.PRANK, answered_at__lt=three_weeks
        ).count(),
    )
