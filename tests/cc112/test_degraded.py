"""When a server fails, the centre keeps taking cases.

* The cache (a real redis-server on its own port, stopped and started): the portal and the API
  answer as before; the rate limit is off and says so (a log line, a metric); health says
  degraded; once the cache is back, the limit counts again.
* A webhook delivery whose worker died mid-send (left ``sending``) goes out again within 60 s.
* The broker down: a partner's report is accepted at once; its deliveries wait in the outbox.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from agencies.models import WebhookDelivery
from agencies.models import WebhookDeliveryStatus as S
from agencies.models import WebhookEvent as E
from agencies.tasks import deliver_webhook
from agencies.webhooks import webhook_subscribe
from cc112 import metrics, queue
from cc112.cache import FailOpenRedisCache
from incidents.models import Incident
from sla.tasks import release_stale_claims
from tests.agencies.test_webhooks import broker_down, partner  # noqa: F401 (fixture)
from tests.api.conftest import issue_key
from tests.factories import CategoryFactory, make_dispatched_incident
from tests.servers import require_redis_server
from tests.sla.processes import RedisServer, wait_for

pytestmark = pytest.mark.django_db

REPORT = {"category": "KTB", "location_text": "Jl. Sultan Hairun", "description": "Kebakaran"}


@pytest.fixture
def cache_server(tmp_path):  # type: ignore[no-untyped-def]
    """The shared cache on a private redis-server, as production configures it."""
    server = RedisServer(require_redis_server(), tmp_path)
    server.start()
    caches = {
        "default": {
            "BACKEND": "cc112.cache.FailOpenRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {
                "socket_connect_timeout": 0.3,
                "socket_timeout": 0.5,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }
    with override_settings(CACHES=caches):
        FailOpenRedisCache._paused_until = 0.0
        try:
            yield server
        finally:
            server.stop()
            FailOpenRedisCache._paused_until = 0.0


def fail_open_count() -> float:
    return metrics.RATE_LIMIT_FAIL_OPEN._value.get()


def test_with_the_cache_down_the_portal_and_the_api_answer_and_the_limit_is_off(
    world, client, cache_server, caplog
) -> None:  # type: ignore[no-untyped-def]
    CategoryFactory(code="KTB")
    _, partner_api = issue_key(world.centre, requests_per_minute=3)
    client.force_login(world.operator)
    assert partner_api.get("/api/v1/incidents/").status_code == 200
    assert cache.get(f"cc112:rate:{partner_api.secret.split('.')[0]}:0") is None  # it counts
    opened = fail_open_count()

    cache_server.stop()
    started = time.perf_counter()
    statuses = [partner_api.post("/api/v1/incidents/", REPORT, format="json").status_code]
    statuses += [partner_api.get("/api/v1/incidents/").status_code for _ in range(5)]
    statuses += [
        client.get(path).status_code
        for path in ("/admin/board/", "/admin/incidents/incident/", "/admin/sla/clock/")
    ]
    elapsed = time.perf_counter() - started
    # More than its 3 a minute, and no 429: the limit fails open rather than refuse reports.
    assert statuses == [201] + [200] * 5 + [200] * 3
    assert elapsed < 5, f"{elapsed:.1f} s for 9 requests with the cache down"
    assert Incident.objects.count() == 1
    assert fail_open_count() - opened == 6
    assert any("rate limit not applied" in record.getMessage() for record in caplog.records), (
        "the fail-open is logged"
    )
    assert json.loads(client.get("/health/ready").content)["checks"]["cache"] == "down"

    cache_server.start()
    FailOpenRedisCache._paused_until = 0.0  # the breaker's pause (2 s) is over
    assert json.loads(client.get("/health/ready").content)["checks"]["cache"] == "ok"
    assert [partner_api.get("/api/v1/categories/").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_a_delivery_whose_worker_died_goes_out_again_within_a_minute(
    world,
    partner,  # noqa: F811
    time_machine,
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(timezone.now(), tick=False)
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    make_dispatched_incident(world.operator, [world.police])
    # What a worker killed after its claim (or whose database connection was cut) leaves.
    died_at = timezone.now()
    WebhookDelivery.objects.update(status=S.SENDING, claimed_at=died_at, attempts=1)

    # Beat releases stale claims every 10 s; the first pass after the stale time sends it.
    for seconds in range(10, 70, 10):
        time_machine.move_to(died_at + dt.timedelta(seconds=seconds), tick=False)
        release_stale_claims.delay()
        if WebhookDelivery.objects.get().status == S.DELIVERED:
            break
    assert seconds <= 60
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (S.DELIVERED, 2)
    assert len(endpoint.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_report_is_accepted_at_once_and_waits_in_the_outbox(
    world,
    partner,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    CategoryFactory(code="KTB")
    endpoint = partner(200)
    webhook_subscribe(
        agency=world.police, url=endpoint.url, events=[E.DISPATCH_CREATED], actor=world.coordinator
    )
    _, centre_api = issue_key(world.centre)
    with broker_down():
        started = time.perf_counter()
        created = centre_api.post("/api/v1/incidents/", REPORT, format="json")
        incident_id = created.json()["id"]
        dispatched = centre_api.post(
            f"/api/v1/incidents/{incident_id}/dispatches/",
            {"agencies": [world.police.code]},
            format="json",
        )
        elapsed = time.perf_counter() - started
        wait_for(lambda: queue._backlog == 0, timeout=10, what="the publisher to give up")
    assert (created.status_code, dispatched.status_code) == (201, 201), dispatched.content
    assert elapsed < 2, f"{elapsed:.2f} s for two requests with the broker down"
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.status == S.PENDING  # the webhook sweep sends it once the broker is back
    assert endpoint.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_hangs_holds_no_request(world, partner, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A broker that accepts connections and never answers (hung, overloaded, SIGSTOPped):
    the answer comes at once; the message waits in the publisher thread, not the request."""
    CategoryFactory(code="KTB")
    webhook_subscribe(
        agency=world.police,
        url=partner(200).url,
        events=[E.DISPATCH_CREATED],
        actor=world.coordinator,
    )
    _, centre_api = issue_key(world.centre)
    case = centre_api.post("/api/v1/incidents/", REPORT, format="json").json()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes the handshakes; nobody ever answers
    app = deliver_webhook.app
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.close()
    app.amqp._producer_pool = None  # pooled producers keep the address they were made for
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 5}
    try:
        started = time.perf_counter()
        dispatched = centre_api.post(
            f"/api/v1/incidents/{case['id']}/dispatches/",
            {"agencies": [world.police.code]},
            format="json",
        )
        elapsed = time.perf_counter() - started
        assert dispatched.status_code == 201
        assert elapsed < 1, f"{elapsed:.2f} s with a hung broker"
        assert queue._backlog == 1  # the publisher thread is the one waiting
    finally:
        hung.close()  # the publisher's wait ends
        wait_for(lambda: queue._backlog == 0, timeout=30, what="the publisher to give up")
        app.close()
        app.amqp._producer_pool = None
        (
            app.conf.task_always_eager,
            app.conf.broker_url,
            app.conf.broker_transport_options,
        ) = saved
    assert WebhookDelivery.objects.get().status == S.PENDING  # for the webhook sweep
