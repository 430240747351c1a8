"""The evaluation meeting from the portal: the supervisor's period report with charts and
exports, each operator's own scorecard, each agency's own report; nobody sees beyond."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from agencies.models import Role
from incidents.services import dispatch_acknowledge
from tests.factories import CategoryFactory, make_dispatched_incident, make_member

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2025-12-01", "end": "2025-12-31"}
REPORT, SCORECARD, AGENCY = (
    "admin:sla_period_report",
    "admin:sla_scorecard",
    "admin:sla_agency_report",
)


def as_user(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def december(world, time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2025-12-16 10:00+09:00", tick=False)
    kamtibmas = CategoryFactory(code="KTB", name_id="Kamtibmas")
    for _ in range(2):
        make_dispatched_incident(world.operator, [world.police], category=kamtibmas)
    make_dispatched_incident(
        world.operator, [world.health], category=CategoryFactory(code="MED", name_id="Kesehatan")
    )
    time_machine.move_to("2026-01-05 10:00+09:00", tick=True)


def test_the_supervisor_reads_the_period_report_and_takes_it_away(world, december):
    supervisor = as_user(world.supervisor)

    page = supervisor.get(reverse(REPORT), PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="cases-total">3<' in html
    assert "Kamtibmas" in html and html.index("Kamtibmas") < html.index("Kesehatan")
    assert html.count('class="chart"') == 3  # trend, categories ranked, hours

    exported = supervisor.get(reverse(REPORT), {**PERIOD, "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    assert 'filename="laporan-112-2025-12-01-2025-12-31.csv"' in exported["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert next(cell for cell in rows if cell[:1] == ["1"])[:4] == ["1", "KTB", "Kamtibmas", "2"]

    workbook = supervisor.get(reverse(REPORT), {**PERIOD, "format": "xlsx"})
    sheets = load_workbook(io.BytesIO(workbook.content))
    assert sheets.worksheets[0]["B2"].value == 3  # calls this period


@pytest.mark.parametrize(
    "period",
    [
        {"start": "2025-12-31", "end": "2025-12-01"},
        {"start": "kemarin", "end": "2025-12-01"},
        {"start": "2024-01-01", "end": "2025-12-31"},  # longer than 400 days
        {"start": "2025-12-01"},
    ],
)
def test_a_bad_period_is_a_form_error_not_a_crash(world, period):
    page = as_user(world.supervisor).get(reverse(REPORT), period)

    assert page.status_code == 200
    assert 'id="period-errors"' in page.content.decode()


def test_an_operator_reads_only_their_own_scorecard(world, december):
    other = make_member(world.centre, Role.OPERATOR, username="budi")
    operator = as_user(world.operator)

    own = operator.get(reverse(SCORECARD), PERIOD)
    assert own.status_code == 200
    assert 'id="scorecard"' in own.content.decode()
    assert "Panggilan iseng" in own.content.decode()  # outcomes by name, in Indonesian
    assert "budi" not in own.content.decode()  # not even offered
    assert operator.get(reverse(SCORECARD), {**PERIOD, "operator": other.pk}).status_code == 404
    assert operator.get(reverse(REPORT), PERIOD).status_code == 404
    assert operator.get(reverse(AGENCY), PERIOD).status_code == 404

    supervisor = as_user(world.supervisor)
    theirs = supervisor.get(reverse(SCORECARD), {**PERIOD, "operator": world.operator.pk})
    assert 'id="scorecard"' in theirs.content.decode()
    assert supervisor.get(reverse(SCORECARD), {**PERIOD, "operator": "99999"}).status_code == 404


@pytest.mark.parametrize(("shift", "cases"), [("morning", 3), ("afternoon", 0), ("night", 0)])
def test_a_scorecard_for_one_shift(world, december, shift, cases):
    """The three cases came in at 10:00 WIT on 16 December: the morning shift (07–14)."""
    asked = {"start": "2025-12-16", "end": "2025-12-16", "shift": shift}

    page = as_user(world.supervisor).get(
        reverse(SCORECARD), {**asked, "operator": world.operator.pk}
    )

    assert page.context["card"]["own"]["cases_created"] == cases
    period = page.context["card"]["period"]
    hours = 10 if shift == "night" else 7
    assert period["end"] - period["start"] == dt.timedelta(hours=hours)


def test_an_agency_reads_only_its_own_report(world, december):
    police = as_user(world.police_staff)

    own = police.get(reverse(AGENCY), PERIOD)
    assert own.status_code == 200
    assert 'id="cases-received">2<' in own.content.decode()
    assert "Dinkes" not in own.content.decode()
    assert police.get(reverse(AGENCY), {**PERIOD, "agency": "dinkes"}).status_code == 404
    assert police.get(reverse(REPORT), PERIOD).status_code == 404
    assert police.get(reverse(SCORECARD), PERIOD).status_code == 404

    health = as_user(world.health_staff).get(reverse(AGENCY), PERIOD)
    assert 'id="cases-received">1<' in health.content.decode()
    supervisor = as_user(world.supervisor).get(reverse(AGENCY), {**PERIOD, "agency": "dinkes"})
    assert 'id="cases-received">1<' in supervisor.content.decode()


def test_people_outside_the_portal_are_sent_to_the_login(world):
    for url in (reverse(REPORT), reverse(SCORECARD), reverse(AGENCY)):
        assert Client().get(url)["Location"].startswith(reverse("admin:login"))


def test_every_chart_names_its_axes_with_their_units_and_shows_a_legend(world, december):
    supervisor = Client()  # in Indonesian, the portal's language
    supervisor.force_login(world.supervisor)

    page = supervisor.get(reverse(REPORT), PERIOD).content.decode()

    charts = re.findall(
        r'<canvas class="chart" data-options="([^"]*)" data-type="\w+" '
        r'data-value="([^"]*)"',
        page,
    )
    assert len(charts) == 3
    axes = []
    for options, data in charts:
        options, data = json.loads(html.unescape(options)), json.loads(html.unescape(data))
        assert options["plugins"]["legend"]["display"] is True
        assert all(dataset["label"] for dataset in data["datasets"])
        axes.append(
            (options["scales"]["x"]["title"]["text"], options["scales"]["y"]["title"]["text"])
        )
    assert axes == [
        ("Tanggal (WIT)", "Jumlah per hari (kasus, panggilan)"),
        ("Kategori", "Jumlah kasus"),
        ("Jam (WIT)", "Jumlah kasus"),
    ]
    trend = json.loads(html.unescape(charts[0][1]))
    # Every day of December, the quiet ones too, in the portal's date format (not 2025-12-01).
    assert len(trend["labels"]) == 31
    assert (trend["labels"][0], trend["labels"][-1]) == ("01-12-2025", "31-12-2025")
    assert [d["label"] for d in trend["datasets"]] == ["Kasus", "Panggilan"]


def test_the_agencies_service_levels_read_as_durations_not_seconds(world, december, time_machine):
    time_machine.move_to("2025-12-20 10:00+09:00", tick=False)
    _case, (dispatch,) = make_dispatched_incident(world.operator, [world.police])
    time_machine.move_to("2025-12-20 10:04:12+09:00", tick=False)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    time_machine.move_to("2026-01-05 10:00+09:00", tick=False)
    supervisor = Client()
    supervisor.force_login(world.supervisor)

    page = supervisor.get(reverse(REPORT), PERIOD).content.decode()
    agencies = page[
        page.index('id="agencies"') : page.index("</table>", page.index('id="agencies"'))
    ]

    assert "(s)" not in agencies and "(detik)" not in agencies
    assert "4 mnt 12 dtk / 4 mnt 12 dtk" in agencies  # T1→T2 median / 90th percentile
    # Shares read one way across the page, as the service levels write them: "100%".
    assert re.search(r">100%<", agencies) and not re.search(r"\d %", page)
