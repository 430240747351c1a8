"""The portal's pages work under its Content-Security-Policy: in Chromium, the board, the call
screen, the inbox, a report's charts, a case and the API docs load and run their scripts with
no policy violation (README "Security")."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.browser import expect, log_in
from tests.factories import PASSWORD, make_dispatched_incident

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium reports each refused script, style, image or connection as a
# "securitypolicyviolation" event (and a console error); the page keeps them for the test.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watched(page: Any) -> list[str]:
    """Console lines about the policy, collected as the page runs."""
    said: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            said.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return said


def violations(page: Any, said: list[str]) -> list[str]:
    page.wait_for_load_state("networkidle")
    return said + page.evaluate("window.__cspViolations || []")


def test_the_centres_pages_run_under_the_policy(page, world):  # type: ignore[no-untyped-def]
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    said = watched(page)
    log_in(page, world.supervisor)

    board = page.goto(reverse("admin:incidents_board"))
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in board.headers["content-security-policy"].split(";")
        if directive.strip()
    )
    assert "'unsafe-inline'" not in policy["script-src"]
    expect(page.locator("#live")).to_be_attached()
    assert violations(page, said) == [], "board"

    page.goto(reverse("admin:incidents_answer"))
    expect(page.locator("#call-screen")).to_be_visible()
    assert violations(page, said) == [], "call screen"

    page.goto(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert violations(page, said) == [], "case page"

    page.goto(reverse("admin:sla_period_report"))
    expect(page.locator("canvas").first).to_be_attached()
    assert violations(page, said) == [], "report charts"
    for name in ("admin:sla_scorecard", "admin:sla_agency_report", "admin:sla_breaches"):
        page.goto(reverse(name))
        assert violations(page, said) == [], name

    page.goto(reverse("admin:mfa_totp"))
    expect(page.locator("#mfa-qr svg")).to_be_visible()
    assert violations(page, said) == [], "second factor"


def test_an_agencys_inbox_runs_under_the_policy(page, world):  # type: ignore[no-untyped-def]
    make_dispatched_incident(world.operator, [world.police])
    said = watched(page)
    log_in(page, world.police_staff)
    page.goto(reverse("admin:incidents_inbox"))
    expect(page.locator("#live")).to_be_attached()
    assert violations(page, said) == []


def test_the_api_docs_run_under_the_policy(page, world):  # type: ignore[no-untyped-def]
    said = watched(page)
    log_in(page, world.operator)
    page.goto(reverse("api:docs"))
    # Swagger UI has rendered the schema: its script ran (served as a file, not inline).
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    assert violations(page, said) == []


def test_the_login_page_runs_under_the_policy(page, world):  # type: ignore[no-untyped-def]
    said = watched(page)
    page.goto(reverse("admin:login"))
    expect(page.locator("#id_otp_token")).to_be_visible()
    assert violations(page, said) == []


def test_a_supervisor_sets_up_the_second_factor_then_logs_in_with_it(page, world, settings):  # type: ignore[no-untyped-def]
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.CC112_MFA_ENFORCED = True
    said = watched(page)
    log_in(page, world.supervisor)
    # Sent to set up an authenticator before anything else.
    expect(page.locator("#mfa-qr svg")).to_be_visible()
    device = TOTPDevice.objects.get(user=world.supervisor)
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    page.locator("#id_otp_token").fill(code)
    page.locator("#mfa-form [type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert violations(page, said) == []

    # The next login asks for the code.
    page.context.clear_cookies()
    page.goto(reverse("admin:login"))
    form = page.locator("#login-form")
    form.locator("[name=username]").fill("supervisor")
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("[type=submit]").click()
    expect(page.locator("#login-form")).to_be_visible()  # refused without the code
    form.locator("[name=password]").fill(PASSWORD)
    # Half a minute on: the app shows the next code (a code is good once).
    with time_machine.travel(time.time() + 31, tick=True):
        code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
        form.locator("[name=otp_token]").fill(code)
        with page.expect_navigation():
            form.locator("[type=submit]").click()
        expect(page.locator("#live")).to_be_attached()  # the board
