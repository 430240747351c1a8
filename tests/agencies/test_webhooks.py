"""Partners' systems are told of their cases by signed webhooks, once, even when things break."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from agencies.models import (
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from agencies.services import api_key_create
from agencies.tasks import deliver_webhook, sweep_webhooks
from agencies.webhooks import (
    MAX_ATTEMPTS,
    STALE_CLAIM,
    TargetRefused,
    check_webhook_target,
    webhook_delivery_replay,
    webhook_delivery_send,
    webhook_outbox_due_ids,
    webhook_subscribe,
    webhook_unsubscribe,
)
from cc112.errors import ActionForbidden, DomainError
from incidents.models import Priority
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_resolve,
    incident_close,
    incident_dispatch,
    incident_update,
)
from sla.services import escalations_fire_due
from tests.factories import make_dispatched_incident, make_incident, make_member

S = WebhookDeliveryStatus
E = WebhookEvent
ALL_EVENTS = list(E.values)
PERSONAL = ("Budi Santoso", "081298765432", "Uraian-rahasia", "Jl. Rahasia 7", "Kec-Rahasia")
T0 = dt.datetime(2025, 12, 16, 1, 0, tzinfo=dt.UTC)


# --- A partner's endpoint ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A partner's webhook endpoint: a real HTTP server on 127.0.0.1 in a thread, answering
    with ``statuses`` in turn (the last one from then on)."""

    statuses: list[int]
    requests: list[Received] = field(default_factory=list)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                n = len(receiver.requests) - 1
                status = receiver.statuses[min(n, len(receiver.statuses) - 1)]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"partner trouble")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cc112/hook?token=x"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner(settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """``partner(200)``: a running endpoint; the SSRF guard allows 127.0.0.1 for these tests."""
    settings.CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    started: list[Receiver] = []

    def start(*statuses: int) -> Receiver:
        started.append(Receiver(list(statuses or (200,))).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """``with committed():`` runs what the services do after their commit (the enqueue)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker_down() -> Iterator[None]:
    """The broker refuses connections (a closed port): publishing fails as in an outage."""
    app = deliver_webhook.app
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.close()  # drop pooled connections, so the next publish connects to the new address
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    try:
        yield
    finally:
        app.close()
        app.conf.task_always_eager, app.conf.broker_url = saved


def signature_ok(request: Received, secret: str) -> bool:
    timestamp = request.headers["X-Cc112-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(request.headers["X-Cc112-Signature"], f"v1={expected}")


def deliveries(**filters: Any) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def personal_case(world, agencies):  # type: ignore[no-untyped-def]
    return make_dispatched_incident(
        world.operator,
        agencies,
        caller_name="Budi Santoso",
        caller_phone="081298765432",
        description="Uraian-rahasia",
        location_text="Jl. Rahasia 7",
        kecamatan="Kec-Rahasia",
        priority=Priority.P1,
    )


# --- Delivery ------------------------------------------------------------------------------------


def test_the_police_system_receives_a_signed_dispatch_without_personal_data(
    world, partner, committed
):
    endpoint = partner(200)
    subscription, secret = webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.police_staff
    )

    with committed():
        incident, [dispatch] = personal_case(world, [world.police])

    [request] = endpoint.requests
    assert request.path == "/cc112/hook?token=x"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "cc112-webhooks/1"
    assert request.headers["X-Cc112-Event"] == "dispatch.created"
    assert signature_ok(request, secret)
    assert not signature_ok(request, secret + "x")
    body = request.json
    assert request.headers["X-Cc112-Delivery"] == body["id"]
    assert body["type"] == "dispatch.created"
    assert body["occurred_at"].endswith("Z")
    assert body["incident"] == {
        "id": incident.pk,
        "reference": incident.reference,
        "status": "dispatched",
        "priority": 1,
        "category": incident.category.code,
        "updated_at": body["incident"]["updated_at"],
        "url": f"/api/v1/incidents/{incident.pk}/",
    }
    assert body["dispatch"] == {
        "id": dispatch.pk,
        "agency": "polresta",
        "status": "pending",
        "url": f"/api/v1/dispatches/{dispatch.pk}/",
    }
    assert not any(text.encode() in request.body for text in PERSONAL)
    [delivery] = deliveries(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        S.DELIVERED,
        1,
        200,
    )
    [attempt] = delivery.attempt_log.all()
    assert (attempt.response_status, attempt.error, attempt.response_excerpt) == (200, "", "ok")


def test_a_flaky_partner_gets_it_on_the_third_attempt_after_growing_waits(
    world, partner, committed, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = partner(500, 503, 200)
    subscription, _secret = webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    with committed():
        make_dispatched_incident(world.operator, [world.police])
    [delivery] = deliveries(subscription=subscription)
    waits = []
    for _retry in range(2):
        delivery.refresh_from_db()
        assert delivery.status == S.PENDING
        waits.append(delivery.next_attempt_at - timezone.now())
        time_machine.move_to(delivery.next_attempt_at - dt.timedelta(seconds=1), tick=False)
        assert sweep_webhooks.delay().get() == 0  # not due yet: the partner is left alone
        time_machine.move_to(delivery.next_attempt_at, tick=False)
        assert sweep_webhooks.delay().get() == 1

    delivery.refresh_from_db()
    assert delivery.status == S.DELIVERED
    assert [a.response_status for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert dt.timedelta(seconds=30) <= waits[0] < dt.timedelta(seconds=34)
    assert waits[1] >= 3 * waits[0]
    assert len({r.headers["X-Cc112-Delivery"] for r in endpoint.requests}) == 1


def test_a_partner_that_keeps_failing_is_given_up_on_after_the_last_attempt(
    world, partner, committed, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = partner(500)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    with committed():
        make_dispatched_incident(world.operator, [world.police])
    [delivery] = deliveries()
    while delivery.status == S.PENDING:
        time_machine.move_to(delivery.next_attempt_at, tick=False)
        sweep_webhooks.delay()
        delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts) == (S.FAILED, MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert (delivery.last_response_status, delivery.last_error) == (500, "HTTP 500")
    assert len(endpoint.requests) == MAX_ATTEMPTS == WebhookAttempt.objects.count()
    time_machine.shift(dt.timedelta(days=2))
    assert webhook_outbox_due_ids() == []


def test_an_unreachable_partner_is_logged_and_tried_again(world, partner, committed):
    partner()  # allows private targets
    port = closed_port()
    webhook_subscribe(
        agency=world.police,
        url=f"http://127.0.0.1:{port}/hook",
        events=[E.DISPATCH_CREATED],
        actor=world.police_staff,
    )
    with committed():
        make_dispatched_incident(world.operator, [world.police])

    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        S.PENDING,
        1,
        None,
    )
    [attempt] = delivery.attempt_log.all()
    assert attempt.response_status is None
    assert attempt.error.startswith("ConnectionRefusedError")


def test_running_the_task_twice_delivers_once(world, partner, committed):
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])  # not committed: no message yet
    [delivery] = deliveries()

    assert deliver_webhook.delay(delivery.pk).get() == S.DELIVERED
    assert deliver_webhook.delay(delivery.pk).get() == S.DELIVERED
    assert len(endpoint.requests) == 1
    assert webhook_delivery_send(987654) == "missing"


def test_a_delivery_committed_while_the_broker_is_down_is_sent_by_the_sweep(
    world, partner, committed, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    with broker_down(), committed():
        make_dispatched_incident(world.operator, [world.police])  # the case is saved all the same

    [delivery] = deliveries()
    assert delivery.status == S.PENDING
    assert endpoint.requests == []
    time_machine.shift(dt.timedelta(seconds=10))
    assert webhook_outbox_due_ids() == []  # its own message may still be on the way

    time_machine.shift(dt.timedelta(seconds=25))
    assert sweep_webhooks.delay().get() == 1
    delivery.refresh_from_db()
    assert delivery.status == S.DELIVERED
    assert len(endpoint.requests) == 1


def test_a_send_whose_worker_died_is_handed_out_again_after_the_stale_time(
    world, partner, time_machine
):
    time_machine.move_to(T0, tick=False)
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])
    # What a worker killed after its claim leaves behind.
    WebhookDelivery.objects.update(
        status=S.SENDING, claimed_at=timezone.now(), attempts=1, claim_token=None
    )

    time_machine.shift(STALE_CLAIM - dt.timedelta(seconds=1))
    assert sweep_webhooks.delay().get() == 0
    time_machine.shift(dt.timedelta(seconds=2))
    assert sweep_webhooks.delay().get() == 1

    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == (S.DELIVERED, 2)
    assert len(endpoint.requests) == 1


# --- Who hears of what ---------------------------------------------------------------------------


def test_an_agency_hears_only_of_its_own_dispatches_and_the_cases_it_sees(world, partner):
    partner()
    subscriptions = {
        agency.code: webhook_subscribe(
            agency=agency, url="http://127.0.0.1:9/hook", events=ALL_EVENTS, actor=world.coordinator
        )[0]
        for agency in (world.centre, world.police, world.health)
    }

    health_case, _ = make_dispatched_incident(world.operator, [world.health])
    both_case, _ = make_dispatched_incident(world.operator, [world.police, world.health])
    make_incident(world.operator)  # not dispatched: only the centre sees it

    def heard(code: str) -> list[tuple[str, int, str | None]]:
        return [
            (d.event, d.incident_id, d.payload.get("dispatch", {}).get("agency"))
            for d in deliveries(subscription=subscriptions[code])
        ]

    assert heard("polresta") == [
        ("incident.updated", both_case.pk, None),
        ("dispatch.created", both_case.pk, "polresta"),
    ]
    assert heard("dinkes") == [
        ("incident.updated", health_case.pk, None),
        ("dispatch.created", health_case.pk, "dinkes"),
        ("incident.updated", both_case.pk, None),
        ("dispatch.created", both_case.pk, "dinkes"),
    ]
    assert ("dispatch.created", both_case.pk, "polresta") in heard("c112")
    assert ("dispatch.created", both_case.pk, "dinkes") in heard("c112")
    assert len({d.event_id for d in deliveries()}) == WebhookDelivery.objects.count()


def test_corrections_and_status_changes_are_updates_and_closing_is_only_closed(world, partner):
    partner()
    subscription, _ = webhook_subscribe(
        agency=world.police,
        url="http://127.0.0.1:9/hook",
        events=ALL_EVENTS,
        actor=world.coordinator,
    )
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    incident_update(incident=incident, actor=world.operator, changes={"priority": Priority.P1})
    dispatch = dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Selesai")
    before = WebhookDelivery.objects.count()

    incident_close(incident=incident, actor=world.operator)

    events = [d.event for d in deliveries(subscription=subscription)]
    assert events == [
        "incident.updated",  # dispatched
        "dispatch.created",
        "incident.updated",  # the priority corrected
        "incident.updated",  # in progress
        "incident.updated",  # resolved
        "incident.closed",
    ]
    assert WebhookDelivery.objects.count() == before + 1
    closed = deliveries(event=E.INCIDENT_CLOSED)[0]
    assert closed.payload["incident"]["status"] == "closed"
    assert closed.payload["incident"]["priority"] == 1


def test_an_agency_that_lost_the_case_before_the_send_gets_nothing(world, partner):
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    _incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")
    [delivery] = deliveries()

    assert deliver_webhook.delay(delivery.pk).get() == S.WITHDRAWN
    assert endpoint.requests == []
    assert not delivery.attempt_log.exists()


def test_a_switched_off_subscription_withdraws_what_waits(world, partner):
    endpoint = partner(200)
    subscription, _ = webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.police_staff
    )
    make_dispatched_incident(world.operator, [world.police])

    webhook_unsubscribe(subscription=subscription, actor=world.police_staff)
    make_dispatched_incident(world.operator, [world.police])

    [delivery] = deliveries()
    assert delivery.status == S.WITHDRAWN
    assert deliver_webhook.delay(delivery.pk).get() == S.WITHDRAWN
    assert endpoint.requests == []
    reasons = list(subscription.history.values_list("history_change_reason", flat=True))
    assert reasons == ["webhook unsubscribed", "webhook subscribed: dispatch.created"]


def test_escalations_of_a_sweep_batch_are_told_with_a_fixed_handful_of_queries(
    world, partner, time_machine
):
    time_machine.move_to(T0, tick=False)
    partner()
    make_dispatched_incident(world.operator, [world.health], priority=Priority.P1)
    time_machine.shift(dt.timedelta(seconds=61))

    def webhook_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            escalations_fire_due()
        return sum("webhook" in q["sql"] for q in queries)

    assert webhook_queries() == 1  # nobody subscribes: one look at the subscriptions

    webhook_subscribe(
        agency=world.police,
        url="http://127.0.0.1:9/hook",
        events=[E.DISPATCH_ESCALATED],
        actor=world.coordinator,
    )
    for _ in range(3):
        make_dispatched_incident(world.operator, [world.police, world.health], priority=Priority.P1)
    time_machine.shift(dt.timedelta(seconds=61))
    assert webhook_queries() == 2  # the subscriptions, the insert (grants join no webhook table)

    escalated = deliveries(event=E.DISPATCH_ESCALATED)
    # The police's three late acknowledgements; not health's, whose rungs fired here too.
    assert len(escalated) == 3
    assert {d.payload["dispatch"]["agency"] for d in escalated} == {"polresta"}
    assert escalated[0].payload["escalation"] == {
        "level": 1,
        "percent": 100,
        "clock": "acknowledge",
    }


# --- Replays -------------------------------------------------------------------------------------


def test_a_replay_sends_the_same_event_again_with_its_id(world, partner, committed):
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])
    [original] = deliveries()
    with pytest.raises(DomainError):
        webhook_delivery_replay(delivery=original, actor=world.coordinator)  # still waiting
    webhook_delivery_send(original.pk)

    with committed():
        replay = webhook_delivery_replay(delivery=original, actor=world.coordinator)
    with committed():
        again = webhook_delivery_replay(delivery=replay, actor=world.police_staff)

    first, second, third = endpoint.requests
    assert first.headers["X-Cc112-Delivery"] == third.headers["X-Cc112-Delivery"]
    assert first.body == second.body == third.body
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of, replay.requested_by) == (
        S.DELIVERED,
        original,
        world.coordinator,
    )
    assert again.replay_of == original
    with pytest.raises(ActionForbidden):
        webhook_delivery_replay(delivery=original, actor=world.health_staff)


# --- Where deliveries may go ---------------------------------------------------------------------

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://10.0.0.1/hook",
    "https://192.168.1.20/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/hook",  # NAT64 around 10.0.0.1
]


@pytest.mark.parametrize("url", INTERNAL)
def test_a_subscription_to_an_internal_address_is_refused(world, url):
    with pytest.raises(ValidationError) as refused:
        webhook_subscribe(agency=world.police, url=url, events=ALL_EVENTS, actor=world.coordinator)
    assert list(refused.value.message_dict) == ["url"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://93.184.215.14/x", "http://user:rahasia@93.184.215.14/x", "bukan-alamat"]
)
def test_a_subscription_needs_a_plain_http_address(world, url):
    with pytest.raises(ValidationError) as refused:
        webhook_subscribe(agency=world.police, url=url, events=ALL_EVENTS, actor=world.coordinator)
    assert list(refused.value.message_dict) == ["url"]


def test_a_public_address_is_pinned_to_the_address_checked():
    target = check_webhook_target("https://93.184.215.14:8443/cc112?x=1")
    assert target == ("https", "93.184.215.14", 8443, "/cc112?x=1", "93.184.215.14")


def test_an_address_that_turned_internal_is_refused_at_send_time(world, partner, settings):
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])
    settings.CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    [delivery] = deliveries()
    # A worker runs in the centre's language; the log keeps the reason as it was written.
    with translation.override("id"):
        assert deliver_webhook.delay(delivery.pk).get() == S.FAILED
    assert endpoint.requests == []
    [attempt] = delivery.attempt_log.all()
    assert "hanya dikirim ke alamat publik" in attempt.error
    with pytest.raises(TargetRefused):
        check_webhook_target(endpoint.url)


# --- Who manages subscriptions -------------------------------------------------------------------


def test_a_partner_manages_its_own_subscriptions_and_no_one_elses(world, partner):
    partner()
    api_key, _key = api_key_create(
        agency=world.police, name="SIM Polresta", actor=world.coordinator
    )
    url = "http://127.0.0.1:9/hook"

    mine, secret = webhook_subscribe(
        agency=world.police, url=url, events=["incident.closed"], actor=api_key.account
    )
    assert secret == mine.secret and secret.startswith("whsec_") and len(secret) > 40
    for outsider in (world.health_staff, world.operator, world.supervisor):
        with pytest.raises(ActionForbidden):
            webhook_subscribe(agency=world.police, url=url, events=ALL_EVENTS, actor=outsider)
        with pytest.raises(ActionForbidden):
            webhook_unsubscribe(subscription=mine, actor=outsider)
    webhook_subscribe(agency=world.health, url=url, events=ALL_EVENTS, actor=world.coordinator)


@pytest.mark.parametrize("events", [[], ["incident.deleted"], "incident.closed"])
def test_a_subscription_names_known_events(world, partner, events):
    partner()
    with pytest.raises(ValidationError) as refused:
        webhook_subscribe(
            agency=world.police, url="http://127.0.0.1:9/", events=events, actor=world.coordinator
        )
    assert list(refused.value.message_dict) == ["events"]


# --- The portal ----------------------------------------------------------------------------------


def test_the_coordinator_subscribes_in_the_portal_and_sees_the_secret_once(
    world, partner, settings
):
    partner()
    client = Client()
    client.force_login(world.coordinator)
    form = {"agency": world.police.pk, "url": "http://127.0.0.1:9/hook", "events": ALL_EVENTS}

    response = client.post(reverse("admin:agencies_webhooksubscription_add"), form, follow=True)

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    page = client.get(reverse("admin:agencies_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()
    settings.CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    refused = client.post(
        reverse("admin:agencies_webhooksubscription_add"), {**form, "url": "http://10.0.0.1/"}
    )
    assert refused.status_code == 200
    assert "webhook hanya dikirim ke alamat publik" in refused.content.decode()


def test_the_coordinator_replays_a_failed_delivery_from_the_portal(world, partner, committed):
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])
    [original] = deliveries()
    WebhookDelivery.objects.update(status=S.FAILED)
    client = Client()
    client.force_login(world.coordinator)
    url = reverse("admin:agencies_webhookdelivery_replay", args=[original.pk])

    assert client.get(url).status_code == 200
    with committed():
        response = client.post(url, {})

    assert response.status_code == 302
    [replay] = deliveries(replay_of=original)
    assert replay.status == S.DELIVERED
    assert len(endpoint.requests) == 1


@pytest.mark.parametrize("persona", ["supervisor", "operator", "police_staff", "police_head"])
def test_only_the_coordinator_opens_the_webhook_pages(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    for name in ("webhooksubscription", "webhookdelivery"):
        assert client.get(reverse(f"admin:agencies_{name}_changelist")).status_code == 403


def test_the_sidebar_links_to_webhooks_for_the_coordinator_only(world):
    head = make_member(world.police, Role.HEAD, username="kapolres")
    link = reverse("admin:agencies_webhooksubscription_changelist")
    for user, shown in ((world.coordinator, True), (head, False), (world.supervisor, False)):
        client = Client()
        client.force_login(user)
        assert (link in client.get(reverse("admin:index"), follow=True).content.decode()) is shown


def test_dispatching_without_subscribers_costs_one_look_for_both_events(world):
    incident = make_incident(world.operator)
    with CaptureQueriesContext(connection) as queries:
        incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    # incident.updated and dispatch.created: the subscriptions are read once for the two.
    assert sum("webhook" in q["sql"] for q in queries) == 1
