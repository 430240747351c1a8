"""An operator's shift on the call screen, in Chromium, by keyboard alone.

Three calls in a row, as a fluent operator takes them: a number that has pranked the centre
before (its history shows as it is typed; one key records the prank), a traffic accident
(the place from the gazetteer, the category's agencies ticked, one submit opens the case and
dispatches it to both), and a second caller about the same accident (the screen hints the open
case; one key joins the call to it). The mouse is never used. The test counts the keys that
are not text and the seconds of the story, and prints them (``-s``) for the call screen's
benchmark note.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Call, CallOutcome, Dispatch, Incident, Priority
from incidents.services import areas_load, call_record
from sla.models import Clock, ClockKind
from tests.browser import expect, log_in
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

PRANKSTER = "0812 7777 1234"


class Keyboard:
    """The operator's hands: text typed, and the other keys (Tab, Enter, Alt+I...) counted."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.keys = 0
        self.characters = 0

    def type(self, text: str) -> None:
        self.characters += len(text)
        self.page.keyboard.type(text, delay=15)

    def press(self, *keys: str) -> None:
        for key in keys:
            self.keys += 1
            self.page.keyboard.press(key)

    def answer(self) -> dt.datetime:
        """F2 from wherever the operator is: the screen opens, the number has focus. Returns
        the server's moment just before the key, to bound the screen's T0."""
        before = timezone.now()
        with self.page.expect_navigation():
            self.press("F2")
        expect(self.page.locator("#id_caller_phone")).to_be_focused()
        return before


def no_mouse(page) -> int:  # type: ignore[no-untyped-def]
    """Pointer events a person's mouse made on this page (keys make none)."""
    return page.evaluate("window.__pointer || 0")


COUNT_POINTER = """
    window.__pointer = 0;
    for (const kind of ["pointerdown", "mousedown", "wheel"]) {
        addEventListener(kind, (e) => { if (e.isTrusted) window.__pointer += 1; }, true);
    }
"""


def test_an_operator_takes_three_calls_by_keyboard_alone(page, world, screenshot):  # type: ignore[no-untyped-def]
    accident = CategoryFactory(
        code="LAKA", name_id="Kecelakaan lalu lintas", default_priority=Priority.P1
    )
    accident.suggested_agencies.set([world.police, world.health])
    areas_load()  # Kota Ambon's kecamatan and kelurahan, as every centre starts
    for outcome, days in ((CallOutcome.PRANK, 2), (CallOutcome.GHOST, 1)):
        moment = timezone.now() - dt.timedelta(days=days)
        call_record(
            operator=world.operator,
            outcome=outcome,
            answered_at=moment,
            ended_at=moment + dt.timedelta(seconds=20),
            callback_number=PRANKSTER,
        )
    page.add_init_script(COUNT_POINTER)
    log_in(page, world.operator)
    hands = Keyboard(page)
    started = time.monotonic()

    # 1. The prankster again: the history shows as the number is typed; Alt+I records it.
    opened = hands.answer()
    hands.type(PRANKSTER)
    history = page.locator("#caller-known")
    expect(history).to_contain_text("2 panggilan")
    expect(page.locator("#caller-pranks")).to_contain_text("2")
    screenshot(page, "prankster-history")
    with page.expect_navigation():
        hands.press("Alt+i")
    expect(page.locator("#main")).to_contain_text("Tercatat")
    prank = Call.objects.filter(outcome=CallOutcome.PRANK).latest("answered_at")
    assert opened <= prank.answered_at <= prank.ended_at
    assert prank.caller.key == "6281277771234"

    # 2. A traffic accident at Batu Merah: opened and sent to both agencies by one submit.
    opened = hands.answer()
    screen_ready = timezone.now()
    hands.type("0813 4444 5555")
    hands.press("Tab")
    hands.type("batu mer")
    options = page.locator("#kelurahan-options")
    expect(options).to_contain_text("Batu Merah")
    hands.press("Enter")
    expect(page.locator("#id_kecamatan")).to_have_value("Sirimau")
    hands.press("Tab")
    hands.type("Depan Masjid Raya Al-Fatah")
    hands.press("Tab")
    hands.type("LAKA")
    expect(page.locator("#id_priority")).to_have_value(str(Priority.P1))
    police = page.locator(f'input[name="agencies"][value="{world.police.pk}"]')
    health = page.locator(f'input[name="agencies"][value="{world.health.pk}"]')
    expect(police).to_be_checked()
    expect(health).to_be_checked()
    hands.press("Tab", "Tab")  # past the priority the category chose
    hands.type("Motor dan angkot bertabrakan, dua orang luka")
    screenshot(page, "accident-filled")
    screenshot(page, "accident-filled-800", width=800)
    sent = timezone.now()
    with page.expect_navigation():
        hands.press("Control+Enter")
    expect(page.locator("#main")).to_contain_text("Polresta")

    incident = Incident.objects.get(category=accident)
    dispatches = Dispatch.objects.filter(incident=incident)
    assert sorted(d.agency_id for d in dispatches) == sorted([world.police.pk, world.health.pk])
    # T0 is the moment the screen opened, not the submit; T1 is the submit.
    assert opened <= incident.received_at <= screen_ready
    assert incident.call.answered_at == incident.received_at
    assert sent <= incident.first_dispatched_at <= timezone.now()
    assert (incident.kelurahan, incident.kecamatan) == ("Batu Merah", "Sirimau")
    operator_clock = Clock.objects.get(incident=incident, kind=ClockKind.DISPATCH)
    assert operator_clock.elapsed == incident.first_dispatched_at - incident.received_at
    assert operator_clock.elapsed >= dt.timedelta(seconds=1)  # the typing, not a stamp at Save

    # 3. A second caller about the same accident: the open case is hinted; Alt+G joins it.
    hands.answer()
    hands.type("0852 1111 2222")
    hands.press("Tab")
    hands.type("batu mer")
    expect(options).to_contain_text("Batu Merah")
    hands.press("Enter", "Tab", "Tab")
    hands.type("LAKA")
    hint = page.locator(f"#hint-{incident.pk}")
    expect(hint).to_contain_text(incident.reference)
    screenshot(page, "duplicate-hint")
    with page.expect_navigation():
        hands.press("Alt+g")
    expect(page.locator("#main")).to_contain_text(incident.reference)
    seconds = time.monotonic() - started

    joined = Call.objects.get(outcome=CallOutcome.ATTACHED)
    assert joined.attached_to == incident
    assert Incident.objects.count() == 1
    assert no_mouse(page) == 0

    page.goto(reverse("admin:incidents_incident_change", args=(incident.pk,)))
    expect(page.locator("#case-calls")).to_contain_text("2 panggilan")
    screenshot(page, "case-with-two-calls")

    story = {
        "calls": 3,
        "keys_not_text": hands.keys,
        "characters_typed": hands.characters,
        "seconds": round(seconds, 1),
        "operator_t0_t1_seconds": round(operator_clock.elapsed.total_seconds(), 1),
    }
    print("call-screen story:", json.dumps(story))
    folder = os.environ.get("CC112_SCREENSHOTS")
    if folder:
        Path(folder, "call-screen-story.json").write_text(json.dumps(story))


@pytest.mark.parametrize("width", [1280, 800])
def test_the_screen_fits_without_sideways_scrolling(page, world, screenshot, width):  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, world.operator)
    page.goto(reverse("admin:incidents_answer"))
    expect(page.locator("#id_caller_phone")).to_be_focused()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    screenshot(page, f"screen-{width}")
    assert overflow <= 0
    # The map drew (Leaflet's panes inside a box of its own height), tiles or not.
    map_box = page.locator("#map")
    expect(map_box.locator(".leaflet-map-pane")).to_have_count(1)
    assert map_box.bounding_box()["height"] >= 150
    # The caller's history is in view beside the form, level with the number being typed.
    history = page.locator("#caller-history").bounding_box()
    phone = page.locator("#id_caller_phone").bounding_box()
    assert history["x"] > phone["x"] + phone["width"] - 1
    assert history["y"] < page.locator("#id_description").bounding_box()["y"]
