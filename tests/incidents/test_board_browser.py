"""The live board and the agency inbox in a real browser (tests/browser.py): an operator's
dispatch rings the police inbox within two seconds, a board countdown turns red at its breach
by the server's clock whatever the browser's says, and agency staff never see another agency's
case, on the board or in the inbox."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Priority
from sla.models import ClockKind
from sla.models import Target as ServiceTarget
from tests.browser import expect, log_in
from tests.factories import CategoryFactory, make_dispatched_incident

pytestmark = pytest.mark.django_db(transaction=True)
BOARD = reverse("admin:incidents_board")
INBOX = reverse("admin:incidents_inbox")


def test_an_operators_dispatch_rings_the_police_inbox_within_two_seconds(  # type: ignore[no-untyped-def]
    new_page, world, screenshot
):
    CategoryFactory(code="CURI", name_id="Pencurian", name_en="Theft")
    earlier, _ = make_dispatched_incident(world.operator, [world.police])
    police = new_page(permissions=["notifications"])
    log_in(police, world.police_staff, next_url=INBOX)
    expect(police.locator("#inbox")).to_contain_text(earlier.reference)
    # Allowing alerts is a click (browsers ask for a gesture); the permission is granted already.
    police.locator("#enable-alerts").click()
    expect(police.locator("#alerts-state")).to_have_attribute("data-permission", "granted")

    operator = new_page()
    log_in(operator, world.operator, next_url=reverse("admin:incidents_answer"))
    operator.locator("#id_caller_phone").fill("0812 7777 1234")
    operator.locator("#id_location_text").fill("Jl. Sultan Hasanudin, depan toko")
    operator.locator("#id_category").select_option(label="CURI — Pencurian")
    operator.locator("#id_priority").select_option("1")
    operator.locator("#id_description").fill("Pencurian motor, pelaku lari ke arah pelabuhan")
    operator.locator("#agency-choice").get_by_label(re.compile("Polresta")).check()
    with operator.expect_navigation():
        operator.locator("#dispatch").click()
    committed = time.monotonic()
    case = Incident.objects.latest("pk")
    assert case.reference != earlier.reference

    police.wait_for_function("window.cc112Alerts.length > 0", timeout=4000)
    seen_after = time.monotonic() - committed
    alert: dict[str, Any] = police.evaluate("window.cc112Alerts[0]")
    assert seen_after <= 2.0, f"the police inbox rang {seen_after:.2f} s after the dispatch"
    assert alert["reference"] == case.reference
    assert alert["notified"] is True  # the desktop notification was raised
    assert "Pencurian" in alert["summary"]
    row = police.locator(f"#dispatch-{alert['dispatch']}")
    expect(row).to_have_class(re.compile(r"\bis-new\b"))
    expect(row).to_contain_text("Pencurian motor")
    # The earlier case was in the inbox when it opened: no alert for it.
    assert police.evaluate("window.cc112Alerts.length") == 1
    screenshot(police, "inbox-1280")
    screenshot(police, "inbox-800", width=800)

    # Acknowledged with one key: the row is chosen (j) and acknowledged (a).
    police.keyboard.press("j")
    police.keyboard.press("a")
    expect(row.locator(".cc112-ack")).to_have_count(0)
    case.dispatches.get().refresh_from_db()
    assert case.dispatches.get().acknowledged_by == world.police_staff
    # ... and the police's notifications count it.
    expect(police.locator("#nav-sidebar")).to_contain_text("Notifikasi")


def test_a_board_countdown_turns_red_at_its_breach_by_the_servers_clock(  # type: ignore[no-untyped-def]
    page, world, screenshot
):
    # The police acknowledge P1 cases within 6 s here, so the breach comes during the test.
    ServiceTarget.objects.create(
        kind=ClockKind.ACKNOWLEDGE,
        priority=Priority.P1,
        agency=world.police,
        target=dt.timedelta(seconds=6),
    )
    fire = CategoryFactory(code="KBK", name_id="Kebakaran", name_en="Fire")
    case, dispatches = make_dispatched_incident(
        world.operator,
        [world.police, world.health],
        category=fire,
        priority=Priority.P1,
        latitude="-3.695400",
        longitude="128.181400",
        kelurahan="Batu Merah",
        kecamatan="Sirimau",
    )
    dispatch = next(d for d in dispatches if d.agency == world.police)
    due = dispatch.dispatched_at + dt.timedelta(seconds=6)
    # The browser's own clock is ten minutes fast: the countdown must follow the server's.
    page.clock.set_system_time(timezone.now() + dt.timedelta(minutes=10))
    log_in(page, world.supervisor, next_url=BOARD)
    clock = page.locator(f"#case-{case.pk} .cc112-clock").filter(has_text="Polresta").first
    expect(clock).to_have_attribute("data-state", "ok", timeout=3000)
    expect(page.locator("#board-map .leaflet-interactive")).to_have_count(1)
    # Two agencies' clocks (six) fit their column at 1280 px: nothing clipped or scrolled.
    table = page.locator("#board-table > div")
    assert table.evaluate("box => box.scrollWidth - box.clientWidth") <= 0
    screenshot(page, "board-1280")
    screenshot(page, "board-800", width=800)

    expect(clock).to_have_attribute("data-state", "amber", timeout=8000)
    expect(clock).to_have_attribute("data-state", "late", timeout=8000)
    turned = timezone.now()
    assert turned >= due - dt.timedelta(milliseconds=300), "red before the breach"
    assert turned <= due + dt.timedelta(seconds=1.5), f"red {turned - due} after the breach"
    expect(page.locator(f"#case-{case.pk}")).to_have_class(re.compile("is-late"))
    screenshot(page, "board-breached-1280")


def test_agency_staff_never_see_another_agencys_case_on_the_board_or_in_the_inbox(  # type: ignore[no-untyped-def]
    page, world
):
    police_case, _ = make_dispatched_incident(world.operator, [world.police])
    health_case, _ = make_dispatched_incident(world.operator, [world.health])
    log_in(page, world.police_staff, next_url=INBOX)
    inbox = page.locator("#inbox-table")
    expect(inbox).to_contain_text(police_case.reference)
    expect(inbox).not_to_contain_text(health_case.reference)
    # The sidebar offers the inbox, not the board; the board's address is not found.
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar.locator(f'a[href="{INBOX}"]')).to_have_count(1)
    expect(sidebar.locator(f'a[href="{BOARD}"]')).to_have_count(0)
    assert page.goto(BOARD).status == 404
    assert page.goto(reverse("admin:incidents_board_rows")).status == 404

    # A new case for health while the police inbox is open: nothing shows, nothing rings.
    page.goto(INBOX)
    later, _ = make_dispatched_incident(
        world.operator, [world.health], description="Rahasia dinkes"
    )
    page.wait_for_timeout(2500)
    expect(inbox).not_to_contain_text(later.reference)
    expect(inbox).not_to_contain_text("Rahasia dinkes")
    assert page.evaluate("window.cc112Alerts.length") == 0
