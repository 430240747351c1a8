"""The case list and the dispatch queue in a real browser: rows written as strings
(cc112.admin_rows) read as unfold's own table did, on a wide and a narrow screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import expect, log_in
from tests.factories import CategoryFactory, make_dispatched_incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 800])
def test_the_police_read_their_case_list_and_queue_with_badges(page, world, screenshot, width):  # type: ignore[no-untyped-def]
    fire = CategoryFactory(code="KBK", name_id="Kebakaran", name_en="Fire")
    case, _ = make_dispatched_incident(world.operator, [world.police, world.health], category=fire)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, world.police_staff, next_url=reverse("admin:incidents_incident_changelist"))

    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text(case.reference)
    expect(row.locator(".field-status_label span.rounded-default")).to_have_count(1)
    expect(row.locator(".field-dispatched_to")).to_contain_text(world.health.short_name)
    screenshot(page, f"cases-{width}")
    row.locator("a", has_text=case.reference).click()
    expect(page).to_have_url(reverse("admin:incidents_incident_change", args=(case.pk,)))

    page.goto(reverse("admin:incidents_dispatch_changelist"))
    queue = page.locator("#result_list tbody tr")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text(case.reference)
    screenshot(page, f"queue-{width}")
