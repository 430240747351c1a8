"""The period report the city presents: every figure recomputable by hand from the record."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from incidents.models import CallOutcome, Priority
from incidents.services import (
    call_record,
    dispatch_acknowledge,
    dispatch_resolve,
    incident_close,
    incident_dispatch,
)
from sla.reports import period_report, report_csv, shift_of_hour
from sla.scorecards import Period
from tests.factories import CategoryFactory, make_incident
from tests.sla.frozen import WIT

pytestmark = pytest.mark.django_db

WEEK = Period.of_days(dt.date(2025, 12, 15), dt.date(2025, 12, 21))  # Monday to Sunday, WIT


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 12, day, hour, minute, tzinfo=WIT)


@pytest.fixture
def week(world, time_machine):  # type: ignore[no-untyped-def]
    """A week in Ambon, in WIT. Kamtibmas 3 (Sirimau 2, Nusaniwe 1), health 2 (Sirimau), fire
    1 (no kecamatan). Cases at 08:00, 08:30, 15:00, 22:00, 23:00 and 03:00 (Sunday night);
    a prank and a dropped call. The week before: 2 kamtibmas cases. Police acknowledge
    kamtibmas in 2 and 8 min (P2 target 5 min)."""
    ktb = CategoryFactory(code="KTB", name_id="Kamtibmas")
    med = CategoryFactory(code="MED", name_id="Kesehatan")
    kbk = CategoryFactory(code="KBK", name_id="Kebakaran")
    plan = [
        (at(15, 8), ktb, "Sirimau", 2),
        (at(15, 8, 30), ktb, "Sirimau", 8),
        (at(16, 15), ktb, "Nusaniwe", None),
        (at(17, 22), med, "Sirimau", None),
        (at(18, 23), med, "Sirimau", None),
        (at(21, 3), kbk, "", None),
        (at(8, 10), ktb, "Sirimau", None),  # the week before
        (at(9, 10), ktb, "Sirimau", None),
        (at(22, 1), med, "Sirimau", None),  # Monday after: outside
    ]
    for received_at, category, kecamatan, acknowledged_after in plan:
        time_machine.move_to(received_at, tick=False)
        case = make_incident(
            world.operator, category=category, kecamatan=kecamatan, priority=Priority.P2
        )
        if acknowledged_after is not None:
            time_machine.move_to(received_at + dt.timedelta(minutes=1), tick=False)
            [dispatch] = incident_dispatch(
                incident=case, agencies=[world.police], actor=world.operator
            )
            time_machine.move_to(
                received_at + dt.timedelta(minutes=1 + acknowledged_after), tick=False
            )
            dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    time_machine.move_to(at(19, 12), tick=False)
    call_record(operator=world.operator, outcome=CallOutcome.PRANK)
    call_record(operator=world.operator, outcome=CallOutcome.DROPPED)


def test_the_weeks_report_matches_the_hand_count(week):
    report = period_report(WEEK)

    assert report["cases"]["total"] == 6
    assert (report["cases"]["previous"], report["cases"]["change"]) == (2, 2.0)
    # Every phone case has its call; plus the prank and the dropped call.
    assert report["calls"]["total"] == 8
    assert report["calls"]["by_outcome"][CallOutcome.PRANK] == 1
    assert [(row["code"], row["cases"], row["previous"]) for row in report["categories"]] == [
        ("KTB", 3, 2),
        ("MED", 2, 0),
        ("KBK", 1, 0),
    ]
    assert report["categories"][0]["share"] == pytest.approx(0.5)
    assert report["kecamatan"] == [
        {"kecamatan": "Sirimau", "cases": 4},
        {"kecamatan": "", "cases": 1},
        {"kecamatan": "Nusaniwe", "cases": 1},
    ]
    hours = report["hours"]
    assert (hours[8], hours[15], hours[22], hours[23], hours[3], sum(hours)) == (2, 1, 1, 1, 1, 6)
    assert report["shifts"] == {"morning": 2, "afternoon": 1, "night": 3}
    assert [row["day"] for row in report["trend"]][:2] == ["2025-12-15", "2025-12-16"]
    assert report["trend"][0] == {"day": "2025-12-15", "cases": 2, "calls": 2}
    assert report["trend"][-1]["day"] == "2025-12-21"  # 03:00 WIT is still Saturday in UTC
    [police] = report["agencies"]
    assert (police["code"], police["cases"], police["dispatches"]) == ("polresta", 2, 2)
    assert police["acknowledge"]["median_seconds"] == 300.0  # (2 + 8) / 2 min
    assert police["acknowledge"]["within_target"] == 0.5
    assert report["dispatching"]["measured"] == 2


def test_a_zero_duration_is_a_measurement_not_a_missing_one(world, time_machine):
    """An office on opening hours acknowledges at once a case that came in while it was closed:
    its clock counted no working time."""
    time_machine.move_to(at(15, 9), tick=False)
    case = make_incident(world.operator, category=CategoryFactory(code="KTB"))
    [dispatch] = incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)  # the same instant

    [police] = period_report(WEEK)["agencies"]

    assert police["acknowledge"]["median_seconds"] == 0.0
    assert police["acknowledge"]["p90_seconds"] == 0.0


def test_the_whole_handling_time_of_the_cases_is_reported_with_its_exports(world, time_machine):
    """Two P1 cases (dispatch 1 min; resolve 90 min; handling 2 h; closing 4 h). The first is
    dispatched at 1 min, resolved by the police at 61 min and closed at 70 min; the second is
    dispatched at 2 min and resolved at 3 h 2 min (both late), still open.
    T1→T4: 60 and 180 min: median 120, 90th 60 + 0.9 × 120 = 168 min, half within target.
    T0→T4: 61 and 182 min: median 121.5, 90th 61 + 0.9 × 121 = 169.9 min, half within.
    T0→closed: 70 min, the only one measured, within target."""
    for start, dispatched, resolved, closed in ((at(16, 8), 1, 61, 70), (at(16, 9), 2, 182, None)):
        time_machine.move_to(start, tick=False)
        case = make_incident(world.operator, priority=Priority.P1)
        time_machine.move_to(start + dt.timedelta(minutes=dispatched), tick=False)
        [sent] = incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
        dispatch_acknowledge(dispatch=sent, actor=world.police_staff)
        time_machine.move_to(start + dt.timedelta(minutes=resolved), tick=False)
        dispatch_resolve(dispatch=sent, actor=world.police_staff, resolution="Selesai")
        if closed:
            time_machine.move_to(start + dt.timedelta(minutes=closed), tick=False)
            incident_close(incident=case, actor=world.supervisor)

    report = period_report(WEEK)

    levels = report["service_levels"]
    minutes = 60.0
    assert levels["resolve"] == {
        "median_seconds": 120 * minutes,
        "p90_seconds": pytest.approx(168 * minutes),
        "measured": 2,
        "within_target": 0.5,
        "breaches": 1,
    }
    assert levels["handling"] == {
        "median_seconds": 121.5 * minutes,
        "p90_seconds": pytest.approx(169.9 * minutes),
        "measured": 2,
        "within_target": 0.5,
        "breaches": 1,
    }
    assert levels["closure"]["measured"] == 1 and levels["closure"]["within_target"] == 1.0
    [police] = report["agencies"]
    assert police["resolve"]["median_seconds"] == 120 * minutes
    with translation.override("en"):
        table = list(csv.reader(io.StringIO(report_csv(report))))
    handling = next(row for row in table if row and row[0].startswith("T0→T4"))
    assert [float(value) for value in handling[1:]] == pytest.approx([2, 0.5, 7290, 10194])
    resolving = next(row for row in table if row and row[0].startswith("T1→T4"))
    assert [float(value) for value in resolving[1:]] == pytest.approx([2, 0.5, 7200, 10080])


def test_shifts_follow_the_centres_day():
    assert [shift_of_hour(hour) for hour in (6, 7, 13, 14, 20, 21, 0)] == [
        "night", "morning", "morning", "afternoon", "afternoon", "night", "night",
    ]  # fmt: skip


def test_the_report_leaves_the_command_line_as_json_csv_and_xlsx(week, tmp_path):
    out = io.StringIO()
    call_command("evaluation_report", start="2025-12-15", end="2025-12-21", stdout=out)
    assert json.loads(out.getvalue())["categories"][0]["code"] == "KTB"

    out = io.StringIO()
    call_command(
        "evaluation_report", start="2025-12-15", end="2025-12-21", format="csv", stdout=out
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == list(csv.reader(io.StringIO(report_csv(period_report(WEEK)))))
    assert rows[rows.index(next(r for r in rows if r[:1] == ["1"]))][:2] == ["1", "KTB"]

    path = tmp_path / "laporan.xlsx"
    call_command(
        "evaluation_report", start="2025-12-15", end="2025-12-21", format="xlsx", output=str(path)
    )
    book = load_workbook(path)
    categories = book.worksheets[3]
    assert [cell.value for cell in categories[2]][:4] == [1, "KTB", "Kamtibmas", 3]


@pytest.mark.parametrize(
    "options",
    [
        {"start": "2025-12-21", "end": "2025-12-15"},
        {"start": "15-12-2025", "end": "2025-12-21"},
        {"start": "2025-12-15", "end": "2025-12-21", "format": "xlsx"},  # no --output
    ],
)
def test_the_command_refuses_what_it_cannot_do(db, options):
    with pytest.raises(CommandError):
        call_command("evaluation_report", **options)
