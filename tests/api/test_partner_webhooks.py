"""The whole partner story the docs page tells: subscribe with the key, be told of a new
dispatch by a signed webhook, fetch the case, acknowledge it, be told of that too."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings

from agencies.models import WebhookSubscription
from cc112.api.authentication import KEYWORD
from incidents.services import incident_dispatch
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

EVENTS = ["dispatch.created", "incident.updated", "incident.closed", "dispatch.escalated"]


def verifier_from_the_guide():  # type: ignore[no-untyped-def]
    """The signature check as printed on the docs page, run as a partner would paste it."""
    guide = (django_settings.BASE_DIR / "cc112" / "api" / "guide.md").read_text()
    code = re.search(r"\n(    import hashlib.*?)\n\n", guide, re.S).group(1)
    namespace: dict = {}
    exec("\n".join(line[4:] for line in code.splitlines()), namespace)
    return namespace["genuine"]


def test_a_partner_subscribes_is_told_fetches_and_acknowledges(
    world, police_api, partner, django_capture_on_commit_callbacks
):
    endpoint = partner(200)
    subscribed = police_api.post(
        "/api/v1/webhooks/", {"url": endpoint.url, "events": EVENTS}, format="json"
    )
    assert subscribed.status_code == 201, subscribed.json()
    secret = subscribed.json()["secret"]
    listed = police_api.get("/api/v1/webhooks/").json()
    assert [s["id"] for s in listed] == [subscribed.json()["id"]]
    assert "secret" not in listed[0]  # shown once

    case = make_incident(world.operator, caller_name="Budi Santoso")
    with django_capture_on_commit_callbacks(execute=True):
        incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)

    genuine = verifier_from_the_guide()
    # The case moved to "dispatched" (incident.updated) and the police got a dispatch.
    assert [r.headers["X-Cc112-Event"] for r in endpoint.requests] == [
        "incident.updated",
        "dispatch.created",
    ]
    told = endpoint.requests[-1]
    assert genuine(
        secret, told.headers["X-Cc112-Timestamp"], told.body, told.headers["X-Cc112-Signature"]
    )
    assert not genuine(
        "whsec_wrong",
        told.headers["X-Cc112-Timestamp"],
        told.body,
        told.headers["X-Cc112-Signature"],
    )
    assert b"Budi Santoso" not in told.body

    event = told.json
    whole = police_api.get(event["incident"]["url"]).json()
    assert whole["caller_name"] == "Budi Santoso"
    with django_capture_on_commit_callbacks(execute=True):
        acknowledged = police_api.post(event["dispatch"]["url"] + "acknowledge/", {}, format="json")
    assert acknowledged.status_code == 200
    assert endpoint.requests[-1].headers["X-Cc112-Event"] == "incident.updated"
    assert endpoint.requests[-1].json["incident"]["status"] == "in_progress"
    deliveries = police_api.get(f"/api/v1/webhooks/{subscribed.json()['id']}/deliveries/").json()
    assert {d["status"] for d in deliveries["results"]} == {"delivered"}


def test_a_partner_is_never_told_of_another_agencys_case(
    world, police_api, health_api, partner, django_capture_on_commit_callbacks
):
    endpoint = partner(200)
    police_api.post("/api/v1/webhooks/", {"url": endpoint.url, "events": EVENTS}, format="json")
    case = make_incident(world.operator)
    with django_capture_on_commit_callbacks(execute=True):
        incident_dispatch(incident=case, agencies=[world.health], actor=world.operator)
    assert endpoint.requests == []
    # Nor can it see or stop the other agency's subscriptions.
    health_api.post("/api/v1/webhooks/", {"url": endpoint.url, "events": EVENTS}, format="json")
    theirs = WebhookSubscription.objects.get(agency=world.health)
    assert police_api.get(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert police_api.delete(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert police_api.get(f"/api/v1/webhooks/{theirs.pk}/deliveries/").status_code == 404


def test_unsubscribing_stops_the_events(
    world, police_api, partner, django_capture_on_commit_callbacks
):
    endpoint = partner(200)
    made = police_api.post(
        "/api/v1/webhooks/", {"url": endpoint.url, "events": EVENTS}, format="json"
    ).json()
    assert police_api.delete(f"/api/v1/webhooks/{made['id']}/").status_code == 204
    case = make_incident(world.operator)
    with django_capture_on_commit_callbacks(execute=True):
        incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    assert endpoint.requests == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "http://127.0.0.1:9/x", "events": ["dispatch.created"]}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data", "events": EVENTS}, "url"),
        ({"url": "ftp://example.org/x", "events": EVENTS}, "url"),
        ({"url": "https://example.org/x", "events": []}, "events"),
        ({"url": "https://example.org/x", "events": ["case.stolen"]}, "events"),
    ],
)
def test_bad_or_internal_targets_are_400(world, police_api, body, field):
    answer = police_api.post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not WebhookSubscription.objects.exists()


def test_the_centres_operators_and_outsiders_cannot_subscribe(world, centre_api):
    answer = centre_api.post(
        "/api/v1/webhooks/", {"url": "https://example.org/x", "events": EVENTS}, format="json"
    )
    assert answer.status_code == 403
    assert KEYWORD == "Api-Key"
