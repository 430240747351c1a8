"""A partner's key: shown once, stored hashed, bound to its agency, expiring, revocable,
rate-limited, its last use recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from agencies.models import ApiKey
from agencies.services import api_key_create, api_key_revoke
from cc112.errors import ActionForbidden
from tests.api.conftest import KeyClient, issue_key
from tests.factories import make_dispatched_incident

pytestmark = pytest.mark.django_db


def test_the_secret_is_not_stored_and_the_key_acts_as_its_agency(world):
    api_key, secret = api_key_create(agency=world.police, name="SIM Polresta", actor=None)
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret not in str(stored.__dict__)
    assert stored.hashed_key.startswith("sha512$$")
    assert stored.account.memberships.get().agency == world.police
    assert not stored.account.has_usable_password()  # the key's account cannot log in


def test_no_key_a_wrong_key_or_a_malformed_header_is_401(world):
    for client in (
        KeyClient("nope.nope"),
        KeyClient("AbCdEfGh.wrongsecretwrongsecretwrongsecret"),
    ):
        assert client.get("/api/v1/incidents/").status_code == 401
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/incidents/").status_code == 401
    malformed = APIClient(HTTP_AUTHORIZATION="Api-Key")
    assert malformed.get("/api/v1/incidents/").status_code == 401


def test_an_expired_key_is_refused(world):
    import time_machine

    _api_key, client = issue_key(world.police, expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/v1/incidents/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        answer = client.get("/api/v1/incidents/")
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Kunci API ini telah kedaluwarsa."


def test_a_revoked_key_stops_at_once_and_leaves_a_record(world):
    make_dispatched_incident(world.operator, [world.police])
    api_key, client = issue_key(world.police)
    assert len(client.get("/api/v1/incidents/").json()["results"]) == 1
    api_key_revoke(api_key=api_key, actor=world.coordinator, reason="Server dicuri")
    assert client.get("/api/v1/incidents/").status_code == 401
    api_key.refresh_from_db()
    assert api_key.revoked and api_key.revoked_by == world.coordinator
    assert api_key.history.first().history_change_reason == "API key revoked: Server dicuri"


def test_only_administrators_and_the_coordinator_issue_or_revoke_keys(world):
    for actor in (world.operator, world.supervisor, world.police_head):
        with pytest.raises(ActionForbidden):
            api_key_create(agency=world.police, name="x", actor=actor)
    api_key, _ = api_key_create(agency=world.police, name="x", actor=world.coordinator)
    with pytest.raises(ActionForbidden):
        api_key_revoke(api_key=api_key, actor=world.police_head)


def test_the_last_use_is_recorded_to_the_minute(world):
    api_key, client = issue_key(world.police)
    assert api_key.last_used_at is None
    client.get("/api/v1/categories/")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None
    client.get("/api/v1/categories/")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first  # not a write per request


def test_over_its_rate_a_key_gets_429_with_retry_after(world):
    cache.clear()
    _, client = issue_key(world.police, requests_per_minute=3)
    _, neighbour = issue_key(world.health, requests_per_minute=3)
    assert [client.get("/api/v1/categories/").status_code for _ in range(3)] == [200] * 3
    over = client.get("/api/v1/categories/")
    assert over.status_code == 429
    assert 0 < int(over["Retry-After"]) <= 60
    # Each key has its own allowance.
    assert neighbour.get("/api/v1/categories/").status_code == 200


def test_a_session_in_the_portal_uses_csrf(world):
    from rest_framework.test import APIClient

    make_dispatched_incident(world.operator, [world.police])
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.police_staff)
    assert len(browser.get("/api/v1/incidents/").json()["results"]) == 1
    note = browser.post("/api/v1/incidents/1/notes/", {"body": "x"}, format="json")
    assert note.status_code == 403
    assert "CSRF" in note.json()["detail"]


def test_the_coordinator_finds_the_keys_in_the_sidebar_and_issues_one_shown_once(world):
    from django.test import Client

    coordinator = Client()
    coordinator.force_login(world.coordinator)
    assert "/admin/agencies/apikey/" in coordinator.get("/admin/", follow=True).content.decode()
    issued = coordinator.post(
        "/admin/agencies/apikey/add/",
        {"agency": world.police.pk, "name": "SIM Polresta", "requests_per_minute": 120},
    )
    assert issued.status_code == 200
    assert "no-store" in issued["Cache-Control"]
    api_key = ApiKey.objects.get(name="SIM Polresta")
    secret = issued.context["secret"]
    assert secret.startswith(api_key.prefix + ".")
    assert KeyClient(secret).get("/api/v1/incidents/").status_code == 200
    again = coordinator.get(f"/admin/agencies/apikey/{api_key.pk}/change/").content.decode()
    assert secret not in again

    operator = Client()
    operator.force_login(world.operator)
    assert "/admin/agencies/apikey/" not in operator.get("/admin/", follow=True).content.decode()


def test_a_key_is_looked_up_without_the_cache_server(world):
    """The cache may be down (a Redis restart): who a key is comes from the database."""
    from django.core.cache import cache
    from django.test import override_settings
    from redis.exceptions import ConnectionError as RedisDown
    from rest_framework.test import APIRequestFactory

    from cc112.api.authentication import ApiKeyAuthentication

    api_key, client = issue_key(world.police)
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    dead["default"]["LOCATION"] = "redis://127.0.0.1:1/0"  # nothing listens there
    with override_settings(CACHES=dead):
        with pytest.raises(RedisDown):
            cache.get("anything")  # the cache server is really down
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Api-Key {client.secret}")
        user, used = ApiKeyAuthentication().authenticate(request)
    assert (user, used) == (api_key.account, api_key)


def test_a_key_revoked_elsewhere_stops_at_the_next_request_here(transactional_db, world):
    """Nothing of a key outlives the request: a revocation made by another process (here
    another connection, in a thread) is seen by this one at once."""
    import threading

    from django.db import connection

    from tests.servers import require_postgres

    require_postgres()
    api_key, client = issue_key(world.police)
    assert client.get("/api/v1/incidents/").status_code == 200

    def revoke() -> None:
        try:
            api_key_revoke(api_key=api_key, actor=world.coordinator, reason="Bocor")
        finally:
            connection.close()

    thread = threading.Thread(target=revoke)
    thread.start()
    thread.join()
    assert client.get("/api/v1/incidents/").status_code == 401


def test_the_coordinator_issues_a_key_on_a_form_in_indonesian(world):
    from django.test import Client

    coordinator = Client()  # the portal's language, Indonesian
    coordinator.force_login(world.coordinator)
    api_key, _secret = api_key_create(agency=world.police, name="SIM", actor=world.coordinator)

    form = coordinator.get("/admin/agencies/apikey/add/").content.decode()
    shown = coordinator.get(f"/admin/agencies/apikey/{api_key.pk}/change/").content.decode()

    for label in ("Instansi", "Nama", "Berakhir pada", "Permintaan per menit"):
        assert f">{label}<" in form.replace("\n", "").replace("  ", "")
    assert "Sistem instansi mana yang memakai kunci ini" in form
    for label in ("Awalan", "Diterbitkan pada", "Dicabut", "Dibuat oleh"):
        assert label in shown
    for english in ("A free-form name", "Expires", ">Prefix<", ">Created<", ">Revoked<"):
        assert english not in form and english not in shown
