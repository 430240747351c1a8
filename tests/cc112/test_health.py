"""A load balancer polls /health/live and /health/ready every second; a monitor alerts when beat
stops sweeping.

The sweep's heartbeat is its row in the database (sla.Sweep), moved by every pass: ready while
it is fresh, degraded once beat is more than three sweeps late, ready again at the next pass.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cc112 import health
from sla.models import Sweep
from sla.tasks import sweep_escalations
from tests.servers import require_postgres, require_redis_server
from tests.sla.processes import Drill, wait_for

pytestmark = pytest.mark.django_db


def ready(client) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    response = client.get("/health/ready")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_a_balancer_asks_whether_the_process_answers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live", HTTP_HOST="10.0.0.7")  # by address: no ALLOWED_HOSTS
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "live"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_ready_while_beat_sweeps_degraded_when_it_is_three_sweeps_late_ready_after(
    client, time_machine, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.CC112_SLA_SWEEP_SECONDS = 5
    time_machine.move_to(timezone.now(), tick=False)
    status, body = ready(client)
    assert (status, body["status"], body["checks"]["beat"]) == (200, "degraded", "never")

    sweep_escalations.delay()
    status, body = ready(client)
    assert (status, body["status"]) == (200, "ready"), body
    assert body["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "beat": "ok",
        "cache": "ok",
        "broker": "ok",
    }

    time_machine.shift(timedelta(seconds=14))  # two sweeps missed: still within three
    assert ready(client)[1]["status"] == "ready"
    time_machine.shift(timedelta(seconds=2))  # 16 s: beat is more than three sweeps late
    status, body = ready(client)
    assert (status, body["status"], body["checks"]["beat"]) == (200, "degraded", "late")
    assert body["sweep"]["lag_seconds"] >= 16

    sweep_escalations.delay()  # beat is back
    status, body = ready(client)
    assert (status, body["status"]) == (200, "ready")
    assert body["sweep"]["lag_seconds"] < 1


def test_an_anonymous_caller_learns_states_only(client) -> None:  # type: ignore[no-untyped-def]
    sweep_escalations.delay()
    text = client.get("/health/ready").content.decode()
    body = json.loads(text)
    assert set(body) == {"status", "checks", "sweep"}
    assert set(body["checks"].values()) <= {"ok", "down", "late", "never"}
    for secret in ("version", "django", "postgres", "redis://", "sqlite", "password", "@"):
        assert secret not in text.lower()


def test_a_poll_costs_one_query_once_the_migrations_are_known(client) -> None:  # type: ignore[no-untyped-def]
    sweep_escalations.delay()
    health.forget_migrations_check()
    ready(client)  # the first poll of a process reads the migration table
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert ready(client)[0] == 200
    assert len(queries) == 5, [q["sql"] for q in queries]


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_stopping_the_real_beat_turns_ready_degraded_and_starting_it_again_ready(
    client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A real worker and beat (sweeping every second) on PostgreSQL and a private Redis."""
    require_postgres()
    drill = Drill(
        tmp_path, redis_binary=require_redis_server(), settings_dict=connection.settings_dict
    )
    drill.redis.start()
    try:
        with override_settings(CC112_SLA_SWEEP_SECONDS=1, CELERY_BROKER_URL=drill.redis.url):
            health._broker_client = None
            drill.worker("w1")
            beat = drill.beat("beat-1")
            wait_for(lambda: ready(client)[1]["status"] == "ready", timeout=30, what="ready")

            beat.stop()
            stopped = Sweep.objects.get(name="escalations").last_started_at
            wait_for(lambda: ready(client)[1]["checks"]["beat"] == "late", timeout=10, what="late")
            late = ready(client)[1]
            assert late["status"] == "degraded"
            # Within three sweeps (and a second of polling) of the last pass.
            assert 3 <= late["sweep"]["lag_seconds"] <= 5
            assert Sweep.objects.get(name="escalations").last_started_at == stopped

            drill.beat("beat-2")
            wait_for(lambda: ready(client)[1]["status"] == "ready", timeout=30, what="ready")
    finally:
        health._broker_client = None
        drill.close()
