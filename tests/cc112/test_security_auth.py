"""Logging in safely: lockout after wrong passwords, the second factor by role, sessions that
end with the account's access, and the headers every page carries (README "Security")."""

from __future__ import annotations

import time

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Membership
from agencies.services import membership_end
from cc112.mfa import recovery_codes_issue
from tests.factories import PASSWORD

LOGIN = "/admin/login/"
BOARD = "/admin/board/"


@pytest.fixture
def enforced(settings):  # type: ignore[no-untyped-def]
    """MFA enforced as in production (the suite's settings turn it off for force_login)."""
    settings.CC112_MFA_ENFORCED = True
    return settings


def log_in(client: Client, username: str, password: str = PASSWORD, code: str = "") -> object:
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": code})


def code_of(device: TOTPDevice, *, offset: int = 0) -> str:
    """The six digits the person's authenticator app shows now."""
    number = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{number:0{device.digits}d}"


def authenticator_for(user: object) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


# --- Lockout ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_supervisor_out_until_an_administrator_unlocks(
    world, settings, caplog
):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    for _ in range(5):
        log_in(client, "supervisor", "salah-sandi-112")

    # Now even the right password is refused, with the lockout page.
    refused = log_in(client, "supervisor", PASSWORD)
    assert refused.status_code == 429
    assert b"locked-out" in refused.content
    assert AccessAttempt.objects.filter(username="supervisor").exists()
    assert "locked_out user=supervisor" in caplog.text
    assert caplog.text.count("login_failed user=supervisor") >= 5

    # The administrator unlocks the account with axes' command.
    call_command("axes_reset_username", "supervisor")
    assert log_in(Client(), "supervisor", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="supervisor").exists()  # axes' access log


def test_the_lockout_ends_by_itself_after_the_cool_off(world, settings):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    with time_machine.travel("2026-03-01 08:00 +0000", tick=False) as clock:
        for _ in range(3):
            log_in(Client(), "operator", "salah-sandi-112")
        assert log_in(Client(), "operator").status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME * 3600 + 60)
        assert log_in(Client(), "operator").status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(world, settings):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("operator", "supervisor", "coordinator"):
        log_in(client, name, "salah-sandi-112")
    assert log_in(client, "police", PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="203.0.113.10"), "police").status_code == 302


# --- The second factor by role ---------------------------------------------------------------


def test_a_supervisor_without_an_authenticator_is_sent_to_set_one_up(world, enforced):  # type: ignore[no-untyped-def]
    client = Client()
    assert log_in(client, "supervisor").status_code == 302

    board = client.get(BOARD)
    assert board.status_code == 302
    assert board["Location"] == reverse("admin:mfa_totp")
    assert client.get(reverse("api:incident-list")).status_code == 403

    # Setting up: the page shows a QR code; the app's code confirms it.
    setup = client.get(reverse("admin:mfa_totp"))
    assert b"<svg" in setup.content
    device = TOTPDevice.objects.get(user=world.supervisor, confirmed=False)
    assert client.post(reverse("admin:mfa_totp"), {"otp_token": "000000"}).status_code == 200
    # django-otp makes a device wait after a wrong code (a second here, doubling each time).
    with time_machine.travel(time.time() + 5, tick=False):
        done = client.post(reverse("admin:mfa_totp"), {"otp_token": code_of(device)})
    assert b"recovery-codes" in done.content
    assert client.get(BOARD).status_code == 200


@pytest.mark.parametrize("persona", ["supervisor", "coordinator"])
def test_those_who_must_use_a_second_factor_log_in_with_its_code(world, enforced, persona):  # type: ignore[no-untyped-def]
    device = authenticator_for(getattr(world, persona))

    without = log_in(Client(), persona)
    assert without.status_code == 200  # the form again, asking for the code
    assert b'id="id_otp_token"' in without.content
    assert without.context["form"].errors
    assert log_in(Client(), persona, code="123456").status_code == 200

    client = Client()
    with time_machine.travel(time.time() + 5, tick=False):
        assert log_in(client, persona, code=code_of(device)).status_code == 302
    assert client.get(BOARD).status_code == 200


def test_an_administrator_must_set_up_a_second_factor(world, enforced):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    UserFactory(username="admin112", is_staff=True, is_superuser=True)
    client = Client()
    log_in(client, "admin112")
    assert client.get("/admin/?all=1")["Location"] == reverse("admin:mfa_totp")


def test_a_recovery_code_logs_in_once(world, enforced):  # type: ignore[no-untyped-def]
    authenticator_for(world.supervisor)
    code = recovery_codes_issue(world.supervisor)[0]

    assert log_in(Client(), "supervisor", code=code).status_code == 302
    assert not StaticToken.objects.filter(token=code).exists()
    assert log_in(Client(), "supervisor", code=code).status_code == 200


def test_a_session_that_skipped_the_code_is_ended(world, enforced):  # type: ignore[no-untyped-def]
    authenticator_for(world.supervisor)
    client = Client()
    client.force_login(world.supervisor)  # no code given
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_second_factor_is_optional_for_operators(world, enforced):  # type: ignore[no-untyped-def]
    client = Client()
    assert log_in(client, "operator").status_code == 302
    assert client.get(BOARD).status_code == 200
    # ...who may still set one up, and then need its code.
    device = authenticator_for(world.operator)
    assert log_in(Client(), "operator").status_code == 200
    with time_machine.travel(time.time() + 5, tick=False):
        assert log_in(Client(), "operator", code=code_of(device)).status_code == 302


def test_agency_staff_reach_their_inbox_without_a_second_factor(world, enforced):  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, "police")
    assert client.get(reverse("admin:incidents_inbox")).status_code == 200


# --- Sessions --------------------------------------------------------------------------------


def sessions_of(user: object) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_deactivating_a_person_ends_their_sessions_for_good(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.operator)
    assert sessions_of(world.operator) == 1

    world.operator.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        world.operator.save()
    assert sessions_of(world.operator) == 0

    # Reactivated, the old cookie does not come back to life.
    world.operator.is_active = True
    world.operator.save()
    assert client.get(BOARD).status_code == 302


def test_ending_a_membership_ends_the_members_sessions(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.police_staff)
    membership = Membership.objects.get(user=world.police_staff, is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=membership, actor=world.coordinator)
    assert sessions_of(world.police_staff) == 0
    assert client.get(reverse("admin:incidents_inbox")).status_code == 302


def test_a_new_password_ends_the_other_sessions(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    elsewhere = Client()
    elsewhere.force_login(world.supervisor)
    here = Client()
    here.force_login(world.supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        changed = here.post(
            reverse("admin:password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Sandi-baru-panjang-112",
                "new_password2": "Sandi-baru-panjang-112",
            },
        )
    assert changed.status_code == 302
    assert elsewhere.get(BOARD).status_code == 302
    assert here.get(BOARD).status_code == 200
    assert sessions_of(world.supervisor) == 1


def test_an_idle_session_ends_but_a_working_shift_does_not(world, settings):  # type: ignore[no-untyped-def]
    settings.CC112_SESSION_IDLE_MINUTES = 60
    settings.CC112_SESSION_ABSOLUTE_HOURS = 12
    board = BOARD
    with time_machine.travel("2026-03-01 08:00 +0000", tick=False) as clock:
        client = Client()
        log_in(client, "operator")
        # A 7-hour shift with a request at least every 50 minutes: never logged out.
        for _ in range(8):
            clock.shift(50 * 60)
            assert client.get(board).status_code == 200
        # Then 61 minutes away from the console.
        clock.shift(61 * 60)
        assert client.get(board).status_code == 302


def test_a_session_ends_after_its_absolute_lifetime(world, settings):  # type: ignore[no-untyped-def]
    settings.CC112_SESSION_IDLE_MINUTES = 60
    settings.CC112_SESSION_ABSOLUTE_HOURS = 12
    board = BOARD
    with time_machine.travel("2026-03-01 08:00 +0000", tick=False) as clock:
        client = Client()
        log_in(client, "operator")
        for _ in range(24):  # busy all along: 12 hours in steps of 30 minutes
            clock.shift(30 * 60)
            assert client.get(board).status_code == 200
        clock.shift(60)
        assert client.get(board).status_code == 302


# --- Passwords and headers -------------------------------------------------------------------


def test_short_and_common_passwords_are_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        validate_password("ambon112", world.operator)
    with pytest.raises(ValidationError):
        validate_password("password1234", world.operator)
    validate_password("Kapal-Banda-Neira-9", world.operator)


PAGES = {
    "login": ("outsider", LOGIN),
    "board": ("operator", "/admin/board/"),
    "call screen": ("operator", "/admin/answer/"),
    "inbox": ("police_staff", "/admin/inbox/"),
    "changelist": ("operator", "/admin/incidents/incident/"),
    "report chart": ("supervisor", "/admin/reports/period/"),
    "second factor": ("supervisor", "/admin/mfa/authenticator/"),
    "API docs": ("operator", "/api/v1/docs/"),
    "API": ("operator", "/api/v1/incidents/"),
}


@pytest.mark.parametrize("kind", PAGES)
def test_every_kind_of_page_carries_the_csp_and_hsts(world, settings, kind):  # type: ignore[no-untyped-def]
    settings.SECURE_HSTS_SECONDS = 31536000
    persona, url = PAGES[kind]
    client = Client()
    if persona != "outsider":
        client.force_login(getattr(world, persona))
    response = client.get(url, secure=True, follow=False)
    assert response.status_code in (200, 302), (kind, response.status_code)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp or "script-src 'self' 'unsafe-eval'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_production_check_finds_the_second_factor_switched_off(settings):  # type: ignore[no-untyped-def]
    from cc112.auth import second_factor_enforced_check

    settings.CC112_MFA_ENFORCED = False
    assert [w.id for w in second_factor_enforced_check()] == ["cc112.W016"]
    settings.CC112_MFA_ENFORCED = True
    assert second_factor_enforced_check() == []


def test_an_administrator_resets_a_lost_second_factor(world, enforced):  # type: ignore[no-untyped-def]
    authenticator_for(world.supervisor)
    recovery_codes_issue(world.supervisor)
    call_command("mfa_reset", "supervisor")

    client = Client()
    assert log_in(client, "supervisor").status_code == 302  # no code asked any more...
    assert client.get(BOARD)["Location"] == reverse("admin:mfa_totp")  # ...but a new one is
