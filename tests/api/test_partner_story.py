"""A partner's system, with nothing but its key and the docs: fetch, acknowledge, report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import DispatchStatus, Incident, IncidentStatus, Priority
from incidents.services import dispatch_acknowledge, dispatch_resolve, incident_close
from sla.models import Clock, ClockKind
from tests.factories import CategoryFactory, make_dispatched_incident, make_incident

pytestmark = pytest.mark.django_db


def test_the_police_fetch_their_case_and_acknowledge_it(world, police_api):
    case, (dispatch,) = make_dispatched_incident(
        world.operator, [world.police], caller_name="Ibu Sari"
    )
    make_dispatched_incident(world.operator, [world.health])  # not the police's

    waiting = police_api.get("/api/v1/dispatches/", {"status": "pending"})
    assert waiting.status_code == 200
    assert [d["id"] for d in waiting.json()["results"]] == [dispatch.pk]

    listed = police_api.get("/api/v1/incidents/").json()
    assert [c["reference"] for c in listed["results"]] == [case.reference]
    assert "caller_name" not in listed["results"][0]  # lists carry no caller details

    whole = police_api.get(listed["results"][0]["url"]).json()
    assert whole["caller_name"] == "Ibu Sari"
    assert whole["received_at"].endswith("Z")

    acknowledged = police_api.post(
        f"/api/v1/dispatches/{dispatch.pk}/acknowledge/", {}, format="json"
    )
    assert acknowledged.status_code == 200, acknowledged.json()
    assert acknowledged.json()["status"] == DispatchStatus.ACKNOWLEDGED
    assert acknowledged.json()["acknowledged_at"]

    on_scene = police_api.post(f"/api/v1/dispatches/{dispatch.pk}/on-scene/", {}, format="json")
    assert on_scene.json()["status"] == DispatchStatus.ON_SCENE
    resolved = police_api.post(
        f"/api/v1/dispatches/{dispatch.pk}/resolve/",
        {"resolution": "Pelaku diamankan"},
        format="json",
    )
    assert resolved.json()["status"] == DispatchStatus.RESOLVED
    assert (
        police_api.get(f"/api/v1/incidents/{case.pk}/").json()["status"] == IncidentStatus.RESOLVED
    )

    history = police_api.get(f"/api/v1/incidents/{case.pk}/history/").json()
    reasons = [entry["reason"] for entry in history if entry["entity"] == "dispatch"]
    assert reasons == ["dispatched", "acknowledged", "on scene", "resolved"]
    actors = {entry["actor"] for entry in history if entry["reason"] == "acknowledged"}
    assert actors == {"SIM Polresta (API)"}


@pytest.mark.parametrize("ordering", ["-received_at", "received_at", "-updated_at"])
def test_a_sync_job_walks_every_page_and_sees_each_of_its_cases_once(world, police_api, ordering):
    """Cases received at the same instant (a batch from a partner) straddle page ends."""
    same_instant = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    moments = [same_instant] * 5 + [
        same_instant + dt.timedelta(microseconds=1),
        same_instant - dt.timedelta(seconds=1),  # stored without a fraction
        same_instant + dt.timedelta(minutes=3, microseconds=250000),
    ]
    ours = {
        make_dispatched_incident(world.operator, [world.police], received_at=at)[0].pk
        for at in moments
    }
    make_dispatched_incident(world.operator, [world.health], received_at=same_instant)

    seen, pages = [], 0
    answer = police_api.get("/api/v1/incidents/", {"page_size": 2, "ordering": ordering}).json()
    while True:
        pages += 1
        seen += [case["id"] for case in answer["results"]]
        if not answer["next"]:
            break
        answer = police_api.get(answer["next"]).json()

    assert sorted(seen) == sorted(ours)
    assert pages == 4
    key = ordering.lstrip("-")
    listed = {
        case["id"]: case[key] for case in police_api.get("/api/v1/incidents/").json()["results"]
    }
    in_order = [listed[pk] for pk in seen]
    assert in_order == sorted(in_order, reverse=ordering.startswith("-"))

    back = []
    while answer["previous"]:
        answer = police_api.get(answer["previous"]).json()
        back = [case["id"] for case in answer["results"]] + back
    assert back == seen[: len(back)] and len(back) == len(seen) - 2


def test_a_refused_step_is_409_and_another_agencys_dispatch_is_403(world, police_api):
    _case, dispatches = make_dispatched_incident(world.operator, [world.police, world.health])
    police_dispatch = next(d for d in dispatches if d.agency == world.police)
    health_dispatch = next(d for d in dispatches if d.agency == world.health)

    early = police_api.post(
        f"/api/v1/dispatches/{police_dispatch.pk}/resolve/", {"resolution": "x"}, format="json"
    )
    assert early.status_code == 409
    assert early.json()["code"] == "transition_refused"
    assert early.json()["current"] == "pending"

    theirs = police_api.post(
        f"/api/v1/dispatches/{health_dispatch.pk}/acknowledge/", {}, format="json"
    )
    assert theirs.status_code == 403

    no_reason = police_api.post(
        f"/api/v1/dispatches/{police_dispatch.pk}/decline/", {}, format="json"
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()


def test_out_of_scope_answers_like_missing(world, police_api):
    other, (other_dispatch,) = make_dispatched_incident(world.operator, [world.health])
    undispatched = make_incident(world.operator)
    for path in (
        f"/api/v1/incidents/{other.pk}/",
        f"/api/v1/incidents/{undispatched.pk}/",
        f"/api/v1/incidents/{other.pk}/history/",
        f"/api/v1/incidents/{other.pk}/notes/",
        f"/api/v1/incidents/{other.pk}/clocks/",
        f"/api/v1/incidents/{other.pk}/dispatches/",
        f"/api/v1/dispatches/{other_dispatch.pk}/",
        "/api/v1/incidents/99999999/",
        "/api/v1/incidents/abc/",
        "/api/v1/incidents/999999999999999999999999/",
    ):
        answer = police_api.get(path)
        assert answer.status_code == 404, path
        assert answer.json() == {"detail": "Data tidak ditemukan.", "code": "not_found"}, path
    acting = police_api.post(
        f"/api/v1/dispatches/{other_dispatch.pk}/acknowledge/", {}, format="json"
    )
    assert acting.status_code == 404
    assert (
        police_api.post(
            f"/api/v1/incidents/{other.pk}/notes/", {"body": "x"}, format="json"
        ).status_code
        == 404
    )


def test_the_centre_creates_and_dispatches_through_the_api(world, centre_api):
    category = CategoryFactory(code="KTB")
    created = centre_api.post(
        "/api/v1/incidents/",
        {
            "category": "KTB",
            "location_text": "Jl. Sultan Hairun",
            "kecamatan": "Sirimau",
            "description": "Perkelahian antar pemuda",
            "caller_phone": "081234567890",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    case = created.json()
    assert case["status"] == IncidentStatus.RECEIVED
    assert case["priority"] == category.default_priority
    dispatched = centre_api.post(
        f"/api/v1/incidents/{case['id']}/dispatches/", {"agencies": ["polresta"]}, format="json"
    )
    assert dispatched.status_code == 201, dispatched.json()
    assert [d["agency"] for d in dispatched.json()] == ["polresta"]
    again = centre_api.post(
        f"/api/v1/incidents/{case['id']}/dispatches/", {"agencies": ["polresta"]}, format="json"
    )
    assert again.status_code == 400
    assert "agencies" in again.json()


def test_agencies_cannot_create_unless_allowed_and_then_keep_seeing_their_report(world, police_api):
    from agencies.services import agency_update

    CategoryFactory(code="KTB")
    body = {"category": "KTB", "location_text": "Pos Batu Merah", "description": "Laporan"}
    assert police_api.post("/api/v1/incidents/", body, format="json").status_code == 403

    agency_update(agency=world.police, actor=None, changes={"may_report_cases": True})
    created = police_api.post("/api/v1/incidents/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["channel"] == "partner"
    assert created.json()["reported_by_agency"] == "polresta"
    assert created.json()["operator"] is None
    assert police_api.get(created.json()["url"]).status_code == 200


def test_agencies_may_not_correct_a_case(world, police_api):
    case, _ = make_dispatched_incident(world.operator, [world.police])
    answer = police_api.patch(f"/api/v1/incidents/{case.pk}/", {"priority": 1}, format="json")
    assert answer.status_code == 403


def test_the_centre_corrects_a_case_and_unknown_fields_are_refused(world, centre_api):
    case = make_incident(world.operator)
    answer = centre_api.patch(f"/api/v1/incidents/{case.pk}/", {"priority": 1}, format="json")
    assert answer.status_code == 200
    assert answer.json()["priority"] == 1
    refused = centre_api.patch(f"/api/v1/incidents/{case.pk}/", {"status": "closed"}, format="json")
    assert refused.status_code == 400
    assert "status" in refused.json()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"category": "NOPE", "location_text": "x", "description": "y"},
        {"category": "KTB", "location_text": "", "description": "y"},
        {"category": "KTB", "location_text": "x", "description": "y", "latitude": "91"},
        {"category": "KTB", "location_text": "x", "description": "y", "priority": 9},
        {
            "category": "KTB",
            "location_text": "x",
            "description": "y",
            "received_at": "2999-01-01T00:00:00Z",
        },
        {"category": "KTB", "location_text": "x\x00", "description": "y"},
        {"category": "KTB", "location_text": "x", "description": "y", "caller_phone": "abc"},
        ["not", "an", "object"],
    ],
)
def test_bad_input_is_400_with_field_messages_and_writes_nothing(world, centre_api, body):
    from incidents.models import Incident

    CategoryFactory(code="KTB")
    answer = centre_api.post("/api/v1/incidents/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()
    assert not Incident.objects.exists()


def test_malformed_json_is_400(world, centre_api):
    answer = centre_api.generic(
        "POST", "/api/v1/incidents/", "{not json", content_type="application/json"
    )
    assert answer.status_code == 400


def test_a_forged_cursor_or_filter_shows_nothing_beyond_the_agencys_cases(world, police_api):
    import base64

    own, _ = make_dispatched_incident(world.operator, [world.police])
    make_dispatched_incident(world.operator, [world.health])
    make_incident(world.operator)
    for position in ("9999-12-31T00:00:00+00:00", "2000-01-01T00:00:00+00:00"):
        for reverse in ("0", "1"):
            forged = base64.b64encode(f"o=0&r={reverse}&p={position}".encode()).decode()
            answer = police_api.get("/api/v1/incidents/", {"cursor": forged})
            assert answer.status_code in (200, 404)  # 404: a cursor the API could not have made
            rows = answer.json().get("results", [])
            assert {c["id"] for c in rows} <= {own.pk}
    for query in (
        {"agency": "dinkes"},
        {"status": "received"},
        {"updated_since": "2000-01-01T00:00Z"},
    ):
        rows = police_api.get("/api/v1/incidents/", query).json()["results"]
        assert {c["id"] for c in rows} <= {own.pk}, query


def test_a_partners_t0_is_the_moment_the_clocks_and_reports_count_from(world, centre_api):
    """The telephony answered the call 3 minutes before the report reached the API: the case,
    its operator's clock and its handling time all start then, not at the POST."""
    CategoryFactory(code="MED")
    answered = timezone.now() - dt.timedelta(minutes=3)

    created = centre_api.post(
        "/api/v1/incidents/",
        {
            "category": "MED",
            "location_text": "Pasar Mardika",
            "description": "Pingsan",
            "received_at": answered.isoformat(),
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    case = Incident.objects.get(pk=created.json()["id"])
    assert case.received_at == answered
    clocks = Clock.objects.filter(incident=case)
    assert {c.kind: c.started_at for c in clocks} == {
        ClockKind.DISPATCH: answered,
        ClockKind.HANDLING: answered,
        ClockKind.CLOSURE: answered,
    }


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (dt.timedelta(minutes=10), "future"),
        (dt.timedelta(hours=-25), "24"),
        (None, "zone"),
    ],
)
def test_a_partners_t0_in_the_future_a_day_old_or_without_zone_is_refused(
    world, centre_api, moment, message
):
    CategoryFactory(code="MED")
    naive = "2025-12-16T10:00:00"
    received_at = naive if moment is None else (timezone.now() + moment).isoformat()

    refused = centre_api.post(
        "/api/v1/incidents/",
        {"category": "MED", "location_text": "X", "description": "Y", "received_at": received_at},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert refused.status_code == 400
    assert message in " ".join(refused.json()["received_at"]), refused.json()
    assert not Incident.objects.exists()


def test_the_centre_reads_a_cases_handling_time_an_agency_does_not(world, centre_api, police_api):
    incident, [police] = make_dispatched_incident(
        world.operator, [world.police], priority=Priority.P1
    )
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="Aman")

    handling = centre_api.get(f"/api/v1/incidents/{incident.pk}/").json()["handling"]

    assert handling["resolved"]["state"] == "met"
    assert handling["resolved"]["within_target"] is True
    assert handling["resolved"]["target_seconds"] == 2 * 3600
    assert handling["closed"] == {
        "state": "running",
        "target_seconds": 4 * 3600,
        "elapsed_seconds": None,
        "within_target": None,
    }
    assert police_api.get(f"/api/v1/incidents/{incident.pk}/").json()["handling"] is None
    incident_close(incident=incident, actor=world.supervisor)
    closed = centre_api.get(f"/api/v1/incidents/{incident.pk}/").json()["handling"]["closed"]
    assert closed["state"] == "met"
