"""The browser harness's first tests (tests/browser.py): people log in through the portal's real
login form in Chromium and read the pages the live server renders, in Indonesian, styled.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from tests.browser import expect, log_in
from tests.factories import CategoryFactory, make_dispatched_incident

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_logs_in_through_the_form_and_lands_in_the_portal(  # type: ignore[no-untyped-def]
    page, world, screenshot
):
    log_in(page, world.operator)

    # The login page opened directly (no ?next=) lands on the operator's home: the case board,
    # with the call screen's key in view.
    assert urlparse(page.url).path == reverse("admin:incidents_board")
    expect(page.locator("#answer-call")).to_contain_text("F2")
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar).to_contain_text("Call Center 112")
    expect(sidebar).to_contain_text("Penanganan kasus")  # the sidebar in Indonesian
    expect(sidebar).to_contain_text(world.operator.get_full_name())
    # unfold's stylesheet and its bundled font arrived: an unstyled page would use the
    # browser's default serif font and a full-width, unpositioned sidebar.
    assert "Inter" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert sidebar.evaluate("element => getComputedStyle(element).position") == "fixed"
    screenshot(page, "home-1280")
    screenshot(page, "home-800", width=800)


def test_police_staff_see_only_the_cases_sent_to_the_police(  # type: ignore[no-untyped-def]
    page, world, screenshot
):
    theft = CategoryFactory(code="CURI", name_id="Pencurian", name_en="Theft")
    sick = CategoryFactory(code="SAKIT", name_id="Orang sakit", name_en="Sick person")
    police_case, _ = make_dispatched_incident(world.operator, [world.police], category=theft)
    health_case, _ = make_dispatched_incident(world.operator, [world.health], category=sick)

    log_in(page, world.police_staff)
    # A sidebar link's name starts with its icon's ligature ("emergency Kasus").
    page.locator("#nav-sidebar").get_by_role("link", name=re.compile(r"\bKasus$")).click()

    assert urlparse(page.url).path == reverse("admin:incidents_incident_changelist")
    cases = page.locator("#result_list")
    expect(cases).to_contain_text(police_case.reference)
    expect(cases).to_contain_text("Pencurian")
    expect(cases).not_to_contain_text(health_case.reference)
    expect(cases).not_to_contain_text("Orang sakit")
    expect(page.locator("#main")).to_contain_text("1 kasus")  # the paginator
    screenshot(page, "cases-1280")
    screenshot(page, "cases-800", width=800)


def test_after_the_browser_tests_the_suite_is_synchronous_again():
    # Playwright's sync API marks its event loop as running in this thread; tests/browser.py
    # keeps the mark to browser tests, or Django and asyncio would take every later test for
    # async code. (Runs after the tests above.)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    asyncio.run(asyncio.sleep(0))
