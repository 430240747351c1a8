"""A partner whose connection drops retries with the same Idempotency-Key: one case, always."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from incidents.models import Dispatch, Incident
from tests.api.conftest import KeyClient, issue_key
from tests.factories import CategoryFactory, make_dispatched_incident
from tests.servers import require_postgres

REPORT = {
    "category": "KTB",
    "location_text": "Jl. Sultan Hairun",
    "description": "Perkelahian antar pemuda",
}


@pytest.mark.django_db
def test_a_retried_create_returns_the_first_case_and_creates_no_second(world, centre_api):
    CategoryFactory(code="KTB")
    key = str(uuid.uuid4())
    first = centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(world, centre_api):
    CategoryFactory(code="KTB")
    key = str(uuid.uuid4())
    centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    other = {**REPORT, "description": "Kebakaran rumah"}
    refused = centre_api.post("/api/v1/incidents/", other, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_each_partner_and_a_failed_first_try_is_judged_again(world, centre_api):
    CategoryFactory(code="KTB")
    key = "retry-1"
    bad = centre_api.post(
        "/api/v1/incidents/",
        {**REPORT, "location_text": ""},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert bad.status_code == 400
    # The first answer was an error and kept nothing: the corrected retry goes through.
    good = centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert good.status_code == 201
    # Another system choosing the same key is not answered with this one's case.
    _, other_centre_system = issue_key(world.centre)
    theirs = other_centre_system.post(
        "/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != good.json()["id"]


@pytest.mark.django_db
def test_a_retried_step_answers_like_the_first_instead_of_409(world, police_api):
    _case, (dispatch,) = make_dispatched_incident(world.operator, [world.police])
    url = f"/api/v1/dispatches/{dispatch.pk}/acknowledge/"
    first = police_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="ack-1")
    retry = police_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="ack-1")
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    without_key = police_api.post(url, {}, format="json")
    assert without_key.status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ključ"])
def test_an_unusable_key_is_400(world, centre_api, key):
    CategoryFactory(code="KTB")
    answer = centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_case(world):
    """Eight retries of one request in flight at once, on PostgreSQL: one case, eight times
    the same answer."""
    require_postgres()
    CategoryFactory(code="KTB")
    _, secret_client = issue_key(world.centre)
    secret = secret_client.secret
    barrier = threading.Barrier(8)
    answers: list[tuple[int, object]] = []
    errors: list[BaseException] = []

    def retry() -> None:
        try:
            client = KeyClient(secret)
            barrier.wait()
            answer = client.post(
                "/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="storm-1"
            )
            answers.append((answer.status_code, answer.json()))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Incident.objects.count() == 1
    assert {status for status, _ in answers} == {201}
    assert len({body["id"] for _, body in answers}) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_a_dispatch_send_it_once(world):
    require_postgres()
    case, _ = make_dispatched_incident(world.operator, [world.health])
    _, secret_client = issue_key(world.centre)
    secret = secret_client.secret
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def retry() -> None:
        try:
            client = KeyClient(secret)
            barrier.wait()
            answer = client.post(
                f"/api/v1/incidents/{case.pk}/dispatches/",
                {"agencies": ["polresta"]},
                format="json",
                HTTP_IDEMPOTENCY_KEY="send-police",
            )
            statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 6
    assert Dispatch.objects.filter(incident=case, agency=world.police).count() == 1


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day(world, centre_api):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from incidents.models import IdempotentRequest
    from incidents.tasks import forget_idempotent_requests

    CategoryFactory(code="KTB")
    centre_api.post("/api/v1/incidents/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert forget_idempotent_requests() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert forget_idempotent_requests() == 1
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_a_replay_after_the_agencys_access_was_withdrawn_is_404(world, health_api):
    from incidents.services.access import incident_share, share_revoke

    incident, _dispatches = make_dispatched_incident(world.operator, [world.police])
    share = incident_share(
        incident=incident, actor=world.supervisor, reason="Korban dibawa ke RS", agency=world.health
    )
    key = str(uuid.uuid4())
    url = f"/api/v1/incidents/{incident.pk}/notes/"
    first = health_api.post(
        url, {"body": "Pasien diterima"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == 201
    share_revoke(share=share, actor=world.supervisor, reason="Selesai")
    replay = health_api.post(
        url, {"body": "Pasien diterima"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert replay.status_code == 404
    assert "Pasien diterima" not in replay.content.decode()
    missing = health_api.post(
        "/api/v1/incidents/999999/notes/", {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert replay.json() == missing.json()
