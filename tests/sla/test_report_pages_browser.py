"""The supervisor reads the period report's charts in a browser: each names what its axes
count, in which unit, and which line or bar is which."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.services import dispatch_acknowledge
from tests.browser import expect, log_in
from tests.factories import CategoryFactory, make_dispatched_incident

pytestmark = pytest.mark.django_db(transaction=True)

# What each chart says, in the page's order: (x axis, y axis, legend).
CHARTS = [
    ("Tanggal (WIT)", "Jumlah per hari (kasus, panggilan)", ["Kasus", "Panggilan"]),
    ("Kategori", "Jumlah kasus", ["Periode ini", "Periode sebelumnya"]),
    ("Jam (WIT)", "Jumlah kasus", ["Kasus"]),
]


def test_the_supervisor_reads_each_charts_axes_units_and_legend(  # type: ignore[no-untyped-def]
    page, world, screenshot, time_machine
):
    fire = CategoryFactory(code="KBK", name_id="Kebakaran")
    road = CategoryFactory(code="KLL", name_id="Kecelakaan lalu lintas")
    for day, hour, category in [(3, 8, fire), (3, 9, road), (9, 15, fire), (16, 22, fire)]:
        time_machine.move_to(f"2025-12-{day:02d} {hour:02d}:00+09:00", tick=False)
        _case, (dispatch,) = make_dispatched_incident(
            world.operator, [world.police], category=category
        )
        time_machine.move_to(f"2025-12-{day:02d} {hour:02d}:04:12+09:00", tick=False)
        dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    time_machine.move_to("2026-01-05 10:00+09:00", tick=True)

    log_in(page, world.supervisor)
    page.goto(reverse("admin:sla_period_report") + "?start=2025-12-01&end=2025-12-31")

    expect(page.locator("canvas.chart")).to_have_count(3)
    drawn = page.evaluate(
        """() => [...document.querySelectorAll("canvas.chart")].map((canvas) => {
            const chart = Chart.getChart(canvas);
            const legend = chart.legend.legendItems.map((item) => item.text);
            return [chart.scales.x.options.title.text, chart.scales.y.options.title.text,
                    chart.options.plugins.legend.display ? legend : []];
        })"""
    )
    assert [tuple(chart) for chart in drawn] == [(x, y, legend) for x, y, legend in CHARTS]
    expect(page.locator("#agencies")).to_contain_text("4 mnt 12 dtk / 4 mnt 12 dtk")
    screenshot(page, "period-report")
