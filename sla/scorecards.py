"""An operator's scorecard over a period, beside the centre's: every figure is counted by the
database from the recorded calls, cases, clocks and history (nothing kept on the side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from cc112.aggregates import PercentileCont, report_memory
from incidents.models import Call, CallOutcome, Dispatch, Incident
from sla.models import Clock, ClockKind, ClockState, Escalation

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from agencies.models import Agency


@dataclass(frozen=True)
class Period:
    """[start, end): aware moments, stored and compared in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's bounds are aware moments")
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """From the start of ``first`` to the end of ``last``, days in the centre's zone."""
        zone = timezone.get_default_timezone()
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        return cls(start, end)

    @classmethod
    def of_shift(cls, day: date, starts: int, ends: int) -> Period:
        """One shift of ``day`` in the centre's zone, from ``starts`` o'clock to ``ends``, the
        next morning when it ends at or before it starts (the night shift)."""
        zone = timezone.get_default_timezone()
        start = datetime.combine(day, time(starts), tzinfo=zone)
        end_day = day + timedelta(days=1) if ends <= starts else day
        return cls(start, datetime.combine(end_day, time(ends), tzinfo=zone))

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def seconds_of(duration: timedelta | None) -> float | None:
    """Seconds, or None for no measurement (a zero duration is a measurement: an office on
    opening hours acknowledging a case that came in while it was closed)."""
    return None if duration is None else duration.total_seconds()


def _figures(period: Period, operator_id: int | None) -> dict[str, Any]:
    """The scorecard's figures for one operator, or for the whole centre (``None``)."""
    mine = {} if operator_id is None else {"operator_id": operator_id}
    in_period = {"answered_at__gte": period.start, "answered_at__lt": period.end}
    calls = dict(
        Call.objects.filter(**mine, **in_period)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("*"))
    )
    cases = (
        Incident.objects.filter(**mine, received_at__gte=period.start, received_at__lt=period.end)
        .order_by()
        .aggregate(
            created=Count("id"),
            with_location=Count(
                "id", filter=Q(latitude__isnull=False, longitude__isnull=False) | ~Q(kecamatan="")
            ),
            with_category=Count("id", filter=Q(category__isnull=False)),
            with_callback=Count("id", filter=Q(caller__had_phone=True)),
        )
    )
    corrected = (
        Incident.history.filter(
            **mine,
            received_at__gte=period.start,
            received_at__lt=period.end,
            history_type="~",
            history_change_reason__startswith="corrected",
        )
        .order_by()
        .aggregate(corrections=Count("history_id"), cases=Count("id", distinct=True))
    )
    dispatching = _interval(
        Clock.objects.filter(**mine, started_at__gte=period.start, started_at__lt=period.end),
        ClockKind.DISPATCH,
    )
    created = cases["created"]
    return {
        "calls": {outcome.value: calls.get(outcome.value, 0) for outcome in CallOutcome},
        "calls_total": sum(calls.values()),
        "cases_created": created,
        "dispatch_median_seconds": dispatching["median_seconds"],
        "dispatch_p90_seconds": dispatching["p90_seconds"],
        "dispatch_measured": dispatching["measured"],
        "dispatch_within_target": dispatching["within_target"],
        "dispatch_breaches": dispatching["breaches"],
        "complete_location": _share(cases["with_location"], created),
        "complete_category": _share(cases["with_category"], created),
        "complete_callback": _share(cases["with_callback"], created),
        "corrections": corrected["corrections"],
        "cases_corrected": corrected["cases"],
    }


CENTRE_FIGURES_FOR_SECONDS = 300


def centre_figures(period: Period) -> dict[str, Any]:
    """The centre's figures for ``period``: its shares and durations over all its cases (not an
    average of averages), its counts per operator who took a call or created a case.

    Kept in the cache for five minutes: every card of an evaluation meeting stands beside the
    same figures, and they scan the whole period (a year at Jakarta's scale: bench/reports.py).
    """
    key = f"cc112:centre-figures:{period.start.isoformat()}:{period.end.isoformat()}"
    figures = cache.get(key)
    if figures is None:
        with report_memory():
            figures = _figures(period, None)
            staffed = (
                Call.objects.filter(answered_at__gte=period.start, answered_at__lt=period.end)
                .order_by()
                .values("operator_id")
                .union(
                    Incident.objects.filter(
                        received_at__gte=period.start,
                        received_at__lt=period.end,
                        operator_id__isnull=False,
                    )
                    .order_by()
                    .values("operator_id")
                )
                .count()
            )
        per_operator = max(staffed, 1)
        figures |= {
            "calls": {outcome: n / per_operator for outcome, n in figures["calls"].items()},
            "operators": staffed,
        } | {name: figures[name] / per_operator for name in PER_OPERATOR}
        cache.set(key, figures, CENTRE_FIGURES_FOR_SECONDS)
    return figures


PER_OPERATOR = (
    "calls_total",
    "cases_created",
    "dispatch_breaches",
    "corrections",
    "cases_corrected",
)


def operator_scorecard(operator: AbstractBaseUser, period: Period) -> dict[str, Any]:
    """One operator's figures for ``period`` and the centre's beside them."""
    with report_memory():
        own = _figures(period, operator.pk)
    return {
        "operator": {"id": operator.pk, "username": operator.get_username()},
        "period": {"start": period.start, "end": period.end},
        "own": own,
        "centre": centre_figures(period),
    }


_STOPPED = Q(state__in=[ClockState.MET, ClockState.BREACHED])

# A distribution of clocks, as aggregates: of stopped clocks only (a withdrawn one measured no
# one's work, a running one is not over yet). COUNT(state), not COUNT(id): the clock indexes
# include state and elapsed, so the scans are index-only (bench/reports.py).
CLOCK_DISTRIBUTION = {
    "measured": Count("state", filter=_STOPPED),
    "within": Count("state", filter=Q(state=ClockState.MET)),
    "breached": Count("state", filter=Q(state=ClockState.BREACHED)),
    "median": PercentileCont("elapsed", 0.5, filter=_STOPPED),
    "p90": PercentileCont("elapsed", 0.9, filter=_STOPPED),
}


def distribution(figures: dict[str, Any]) -> dict[str, Any]:
    """A row of ``CLOCK_DISTRIBUTION`` as the reports show it."""
    return {
        "median_seconds": seconds_of(figures["median"]),
        "p90_seconds": seconds_of(figures["p90"]),
        "measured": figures["measured"],
        "within_target": _share(figures["within"], figures["measured"]),
        "breaches": figures["breached"],
    }


def _interval(clocks: Any, kind: str) -> dict[str, Any]:
    """One kind of clock's distribution."""
    return distribution(clocks.filter(kind=kind).order_by().aggregate(**CLOCK_DISTRIBUTION))


def breach_reasons(clocks: Any) -> dict[str, Any]:
    """The breaches among ``clocks`` by recorded cause, most frequent first, and how many
    have no reason yet."""
    return ranked_causes(
        dict(
            clocks.filter(state=ClockState.BREACHED)
            .order_by()
            .values_list("breach_reason__cause")
            .annotate(n=Count("*"))
        )
    )


def ranked_causes(counts: dict[str | None, int]) -> dict[str, Any]:
    """Breaches by cause (``None``: no reason yet) as the reports show them."""
    counts = dict(counts)
    unexplained = counts.pop(None, 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "causes": [{"cause": cause, "breaches": n} for cause, n in ranked],
        "unexplained": unexplained,
    }


def agency_report(agency: Agency, period: Period) -> dict[str, Any]:
    """What an agency was sent in ``period`` (by dispatch time, T1) and how it answered: T1→T2
    (acknowledged), T1→T3 (on scene) and T1→T4 (resolved), the rungs of the ladder its clocks
    reached."""
    with report_memory():
        return _agency_figures(agency, period)


def _agency_figures(agency: Agency, period: Period) -> dict[str, Any]:
    dispatched = {"dispatched_at__gte": period.start, "dispatched_at__lt": period.end}
    received = (
        Dispatch.objects.filter(agency=agency, **dispatched)
        .order_by()
        .aggregate(dispatches=Count("id"), cases=Count("incident_id", distinct=True))
    )
    clocks = Clock.objects.filter(
        agency=agency,
        started_at__gte=period.start,  # an agency's clocks start at T1, the dispatch
        started_at__lt=period.end,
    )
    escalations = dict(
        Escalation.objects.filter(
            clock__agency=agency,
            clock__started_at__gte=period.start,
            clock__started_at__lt=period.end,
        )
        .order_by()
        .values_list("level")
        .annotate(n=Count("id"))
    )
    return {
        "agency": {"id": agency.pk, "code": agency.code},
        "period": {"start": period.start, "end": period.end},
        "cases_received": received["cases"],
        "dispatches_received": received["dispatches"],
        "acknowledge": _interval(clocks, ClockKind.ACKNOWLEDGE),
        "on_scene": _interval(clocks, ClockKind.ON_SCENE),
        "resolve": _interval(clocks, ClockKind.RESOLVE),
        "breach_reasons": breach_reasons(clocks),
        "escalations_by_level": dict(sorted(escalations.items())),
    }
