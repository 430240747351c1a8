"""The period report a city presents at its evaluation meeting, counted by the database.

Every figure comes from grouped queries over an indexed range of the record (calls by
``answered_at``, cases by ``received_at``, dispatches and agency clocks by T1); hours, days and
shifts are read in the centre's zone. The previous period of the same length stands beside it.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from cc112.aggregates import report_memory
from cc112.moments import utc_text
from incidents.models import Call, CallOutcome, Category, Dispatch, Incident, IncidentStatus
from sla.models import BreachCause, Clock, ClockKind, ClockState
from sla.scorecards import CLOCK_DISTRIBUTION, Period, distribution, ranked_causes

NO_BREACHES: dict[str, Any] = {"causes": [], "unexplained": 0}

# The centre's three shifts (DOMAIN.md: 07–14, 14–21, 21–07 in the centre's zone).
SHIFTS = (("morning", 7, 14), ("afternoon", 14, 21), ("night", 21, 7))


def shift_labels() -> dict[str, str]:
    return {
        "morning": _("Morning (07–14)"),
        "afternoon": _("Afternoon (14–21)"),
        "night": _("Night (21–07)"),
    }


def service_level_labels() -> dict[str, str]:
    return {
        ClockKind.DISPATCH: _("T0→T1 dispatched (operator)"),
        ClockKind.ACKNOWLEDGE: _("T1→T2 acknowledged (agencies)"),
        ClockKind.ON_SCENE: _("T1→T3 on scene (agencies)"),
        ClockKind.RESOLVE: _("T1→T4 resolved (agencies)"),
        ClockKind.HANDLING: _("T0→T4 handling time (the case, to the last field report)"),
        ClockKind.CLOSURE: _("T0→closed (the case)"),
    }


def shift_of_hour(hour: int) -> str:
    for name, start, end in SHIFTS:
        if (start <= hour < end) if start < end else (hour >= start or hour < end):
            return name
    raise ValueError(hour)


def _cases(period: Period) -> Any:
    return Incident.objects.filter(received_at__gte=period.start, received_at__lt=period.end)


def _calls(period: Period) -> Any:
    return Call.objects.filter(answered_at__gte=period.start, answered_at__lt=period.end)


def _totals(period: Period, calls: dict[str, int] | None = None) -> dict[str, Any]:
    """The counts compared with the previous period (``calls`` by outcome when known)."""
    if calls is None:
        calls = dict(_calls(period).order_by().values_list("outcome").annotate(n=Count("*")))
    cases = dict(_cases(period).order_by().values_list("status").annotate(n=Count("*")))
    categories = dict(
        _cases(period).order_by().values_list("category__code").annotate(n=Count("*"))
    )
    return {
        "calls": sum(calls.values()),
        "calls_by_outcome": {outcome.value: calls.get(outcome.value, 0) for outcome in CallOutcome},
        "cases": sum(cases.values()),
        "cases_by_status": {status.value: cases.get(status.value, 0) for status in IncidentStatus},
        "cases_by_category": categories,
    }


def _by_day(rows: Any, other: str) -> tuple[dict[date, int], dict[Any, int]]:
    """Counts grouped by (day, ``other``) summed both ways: one scan for two tables."""
    days: dict[date, int] = defaultdict(int)
    others: dict[Any, int] = defaultdict(int)
    for day, value, n in rows.order_by().values_list("day", other).annotate(n=Count("*")):
        days[day] += n
        others[value] += n
    return days, others


def _compliance(period: Period) -> dict[int | None, dict[str, dict[str, Any]]]:
    """Per agency (``None``: the centre's own T0→T1) and clock kind: the distribution of the
    clocks started in the period that stopped."""
    rows = (
        Clock.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
        .order_by()
        .values("agency_id", "kind")
        .annotate(**CLOCK_DISTRIBUTION)
    )
    figures: dict[int | None, dict[str, dict[str, Any]]] = {}
    for row in rows:
        figures.setdefault(row["agency_id"], {})[row["kind"]] = distribution(row)
    return figures


# The period's service levels in the order the city reads them: the operator's dispatch, each
# agency's steps over every agency, and the case's whole handling time (waktu penanganan).
SERVICE_LEVELS = (
    ClockKind.DISPATCH,
    ClockKind.ACKNOWLEDGE,
    ClockKind.ON_SCENE,
    ClockKind.RESOLVE,
    ClockKind.HANDLING,
    ClockKind.CLOSURE,
)


def _service_levels(period: Period) -> dict[str, dict[str, Any] | None]:
    """Per kind of clock, over every agency: the distribution of the clocks started in the
    period that stopped (one index-only scan of ``clock_kind_started``)."""
    rows = (
        Clock.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
        .order_by()
        .values("kind")
        .annotate(**CLOCK_DISTRIBUTION)
    )
    found = {row["kind"]: distribution(row) for row in rows}
    return {kind.value: found.get(kind.value) for kind in SERVICE_LEVELS}


def _breach_reasons_by_agency(period: Period) -> dict[int | None, dict[str, Any]]:
    """Per agency (``None``: the centre's own clocks and the cases'), the breaches of clocks
    started in the period by cause."""
    rows = (
        Clock.objects.filter(
            started_at__gte=period.start, started_at__lt=period.end, state=ClockState.BREACHED
        )
        .order_by()
        .values_list("agency_id", "breach_reason__cause")
        .annotate(n=Count("*"))
    )
    found: dict[int | None, dict[str | None, int]] = defaultdict(dict)
    for agency_id, cause, n in rows:
        found[agency_id][cause] = n
    return {agency_id: ranked_causes(counts) for agency_id, counts in found.items()}


def _change(current: int, previous: int) -> float | None:
    return None if previous == 0 else (current - previous) / previous


def period_report(period: Period) -> dict[str, Any]:
    """Everything the city's evaluation table shows for ``period``."""
    with report_memory():
        return _period_report(period)


def _period_report(period: Period) -> dict[str, Any]:
    zone = timezone.get_default_timezone()
    days_calls, calls = _by_day(
        _calls(period).annotate(day=TruncDate("answered_at", tzinfo=zone)), "outcome"
    )
    days_cases, hours = _by_day(
        _cases(period).annotate(
            day=TruncDate("received_at", tzinfo=zone),
            hour=ExtractHour("received_at", tzinfo=zone),
        ),
        "hour",
    )
    now, before = _totals(period, dict(calls)), _totals(period.previous)

    names = {
        code: (name_id, name_en)
        for code, name_id, name_en in Category.objects.values_list("code", "name_id", "name_en")
    }
    ranked = sorted(now["cases_by_category"].items(), key=lambda item: (-item[1], item[0]))
    categories = [
        {
            "code": code,
            "name_id": names.get(code, ("", ""))[0],
            "name_en": names.get(code, ("", ""))[1],
            "cases": n,
            "share": n / now["cases"],
            "previous": before["cases_by_category"].get(code, 0),
        }
        for code, n in ranked
    ]

    kecamatan = list(
        _cases(period)
        .order_by()
        .values_list("kecamatan")
        .annotate(n=Count("*"))
        .order_by("-n", "kecamatan")
    )
    by_hour = [hours.get(hour, 0) for hour in range(24)]
    shifts = {name: 0 for name, _start, _end in SHIFTS}
    for hour, n in enumerate(by_hour):
        shifts[shift_of_hour(hour)] += n

    # Every day of the period, the quiet ones at zero: the chart's axis is the calendar, and
    # leaving out a day without calls drew a line straight over it.
    first = timezone.localtime(period.start, zone).date()
    last = timezone.localtime(period.end - timedelta(microseconds=1), zone).date()
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    trend = [
        {"day": day.isoformat(), "cases": days_cases.get(day, 0), "calls": days_calls.get(day, 0)}
        for day in sorted(days | set(days_cases) | set(days_calls))
    ]

    sent = {
        row["agency_id"]: row
        for row in Dispatch.objects.filter(
            dispatched_at__gte=period.start, dispatched_at__lt=period.end
        )
        .order_by()
        .values("agency_id")
        .annotate(cases=Count("incident_id", distinct=True), dispatches=Count("*"))
    }
    compliance = _compliance(period)
    reasons = _breach_reasons_by_agency(period)
    agencies = [
        {
            "code": agency.code,
            "name": agency.name,
            "cases": sent.get(agency.pk, {}).get("cases", 0),
            "dispatches": sent.get(agency.pk, {}).get("dispatches", 0),
            "acknowledge": compliance.get(agency.pk, {}).get(ClockKind.ACKNOWLEDGE),
            "on_scene": compliance.get(agency.pk, {}).get(ClockKind.ON_SCENE),
            "resolve": compliance.get(agency.pk, {}).get(ClockKind.RESOLVE),
            "breach_reasons": reasons.get(agency.pk, NO_BREACHES),
        }
        for agency in Agency.objects.filter(pk__in=set(sent) | set(compliance) - {None})
    ]
    agencies.sort(key=lambda row: (-row["cases"], row["code"]))

    return {
        "period": {"start": utc_text(period.start), "end": utc_text(period.end)},
        "previous_period": {
            "start": utc_text(period.previous.start),
            "end": utc_text(period.previous.end),
        },
        "calls": {
            "total": now["calls"],
            "previous": before["calls"],
            "change": _change(now["calls"], before["calls"]),
            "by_outcome": now["calls_by_outcome"],
        },
        "cases": {
            "total": now["cases"],
            "previous": before["cases"],
            "change": _change(now["cases"], before["cases"]),
            "by_status": now["cases_by_status"],
        },
        "categories": categories,
        "agencies": agencies,
        "kecamatan": [{"kecamatan": name, "cases": n} for name, n in kecamatan],
        "hours": by_hour,
        "shifts": shifts,
        "trend": trend,
        "dispatching": compliance.get(None, {}).get(ClockKind.DISPATCH),
        "service_levels": _service_levels(period),
        "centre_breach_reasons": reasons.get(None, NO_BREACHES),
    }


# --- Exports ------------------------------------------------------------------------------------


def report_tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as titled tables (title, header, rows): one sheet each in XLSX, one block
    each in CSV."""

    def seconds(figures: dict[str, Any] | None, key: str) -> Any:
        return None if figures is None else figures[key]

    levels = report["service_levels"]
    return [
        (
            _("Summary"),
            [_("Figure"), _("This period"), _("Previous period"), _("Change")],
            [
                [_("Calls"), report["calls"]["total"], report["calls"]["previous"],
                 report["calls"]["change"]],
                [_("Cases"), report["cases"]["total"], report["cases"]["previous"],
                 report["cases"]["change"]],
            ],
        ),
        (
            _("Calls by outcome"),
            [_("Outcome"), _("Calls")],
            [[str(CallOutcome(k).label), v] for k, v in report["calls"]["by_outcome"].items()],
        ),
        (
            _("Cases by status"),
            [_("Status"), _("Cases")],
            [[str(IncidentStatus(k).label), v] for k, v in report["cases"]["by_status"].items()],
        ),
        (
            _("Categories"),
            [
                _("Rank"), _("Code"), _("Category"), _("Cases"), _("Share of cases"),
                _("Previous period"),
            ],
            [
                [rank, row["code"], row["name_id"], row["cases"], row["share"], row["previous"]]
                for rank, row in enumerate(report["categories"], start=1)
            ],
        ),
        (
            _("Service levels"),
            [
                _("Interval"), _("Measured"), _("Within target"), _("Median (s)"),
                _("90th percentile (s)"),
            ],
            [
                [
                    str(service_level_labels()[kind]),
                    seconds(levels[kind], "measured") or 0,
                    seconds(levels[kind], "within_target"),
                    seconds(levels[kind], "median_seconds"),
                    seconds(levels[kind], "p90_seconds"),
                ]
                for kind in levels
            ],
        ),
        (
            _("Agencies"),
            [
                _("Agency"), _("Cases"), _("Dispatches"),
                _("Acknowledged within target"), _("T1→T2 median (s)"), _("T1→T2 p90 (s)"),
                _("On scene within target"), _("T1→T3 median (s)"), _("T1→T3 p90 (s)"),
                _("Resolved within target"), _("T1→T4 median (s)"), _("T1→T4 p90 (s)"),
            ],
            [
                [
                    row["name"], row["cases"], row["dispatches"],
                    seconds(row["acknowledge"], "within_target"),
                    seconds(row["acknowledge"], "median_seconds"),
                    seconds(row["acknowledge"], "p90_seconds"),
                    seconds(row["on_scene"], "within_target"),
                    seconds(row["on_scene"], "median_seconds"),
                    seconds(row["on_scene"], "p90_seconds"),
                    seconds(row["resolve"], "within_target"),
                    seconds(row["resolve"], "median_seconds"),
                    seconds(row["resolve"], "p90_seconds"),
                ]
                for row in report["agencies"]
            ],
        ),
        (
            _("Breach reasons"),
            [_("Whose"), _("Cause"), _("Breaches")],
            period_breach_rows(report),
        ),
        (
            _("Kecamatan"),
            [_("Kecamatan"), _("Cases")],
            [[row["kecamatan"] or _("(not given)"), row["cases"]] for row in report["kecamatan"]],
        ),
        (
            _("Hour of day"),
            [_("Hour"), _("Cases")],
            [[f"{hour:02d}:00", n] for hour, n in enumerate(report["hours"])],
        ),
        (
            _("Shifts"),
            [_("Shift"), _("Cases")],
            [[shift_labels()[name], n] for name, n in report["shifts"].items()],
        ),
        (
            _("Cases and calls by day"),
            [_("Day"), _("Cases"), _("Calls")],
            [[row["day"], row["cases"], row["calls"]] for row in report["trend"]],
        ),
    ]  # fmt: skip


def period_breach_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The period report's breaches by cause: the centre's, then each agency's."""
    return breach_reason_rows(
        [
            (_("112 centre"), report["centre_breach_reasons"]),
            *((agency["name"], agency["breach_reasons"]) for agency in report["agencies"]),
        ]
    )


def breach_reason_rows(sides: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
    """[whose, cause, breaches] for each (whose, ``ranked_causes``): causes ranked, then what
    is not explained yet."""
    rows: list[list[Any]] = []
    for whose, reasons in sides:
        rows += [
            [whose, str(BreachCause(row["cause"]).label), row["breaches"]]
            for row in reasons["causes"]
        ]
        if reasons["unexplained"]:
            rows.append([whose, _("(not explained yet)"), reasons["unexplained"]])
    return rows


def report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for title, header, rows in report_tables(report):
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return out.getvalue()


def report_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in report_tables(report):
        sheet = book.create_sheet(title=title[:31])  # Excel's limit on a sheet's name
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
