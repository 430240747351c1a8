"""Prometheus scrapes /metrics: only with the token or from an allowed address; what it reads
adds up across web processes and workers, and the SLA's state comes from the database."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from sla.models import Notification
from sla.tasks import sweep_escalations
from tests.api.conftest import issue_key
from tests.factories import make_dispatched_incident

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def scraper(client, settings):  # type: ignore[no-untyped-def]
    settings.CC112_METRICS_TOKEN = TOKEN

    def scrape() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
        return samples

    return scrape


def test_without_the_token_or_an_allowed_address_metrics_do_not_exist(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CC112_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.CC112_METRICS_TOKEN = ""
    settings.CC112_METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 404


def test_latency_is_told_by_route_never_by_path(world, client, scraper) -> None:  # type: ignore[no-untyped-def]
    incident = make_dispatched_incident(world.operator, [world.police])[0]
    client.force_login(world.operator)
    client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'route="admin:incidents_incident_change"' in text
    assert f"/{incident.pk}/" not in text
    samples = scraper()
    key = (
        "cc112_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "admin:incidents_incident_change")),
    )
    assert samples[key] >= 1


def test_the_sla_state_is_read_from_the_database(world, scraper, time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(timezone.now(), tick=False)
    make_dispatched_incident(world.operator, [world.police])
    sweep_escalations.delay()
    time_machine.shift(timedelta(days=3))  # every rung of the new clocks is due
    before = scraper()
    assert before["cc112_clocks_due_unswept", ()] >= 1
    assert before["cc112_sweep_lag_seconds", ()] >= 3 * 24 * 3600
    assert ("cc112_escalations_fired_total", (("level", "1"),)) not in before

    sweep_escalations.delay()
    after = scraper()
    assert after["cc112_clocks_due_unswept", ()] == 0
    assert after["cc112_sweep_lag_seconds", ()] < 1
    assert after["cc112_escalations_fired_total", (("level", "1"),)] >= 1
    # The escalations' emails wait for their batch's commit (which this test never makes):
    # the outbox says so.
    waiting = Notification.objects.filter(email_status="pending").count()
    assert waiting > 0
    assert after["cc112_notification_outbox", (("state", "pending"),)] == waiting
    assert after["cc112_webhook_outbox", (("state", "failed"),)] == 0


def test_api_requests_and_throttles_are_counted_per_key(world, scraper) -> None:  # type: ignore[no-untyped-def]
    api_key, partner = issue_key(world.police, requests_per_minute=2)
    before = scraper()
    statuses = [partner.get("/api/v1/categories/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    after = scraper()
    labels = (("key", api_key.prefix),)

    def grew(name: str) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    assert grew("cc112_api_requests_total") == 3
    assert grew("cc112_api_throttled_total") == 1


def test_counts_from_several_processes_add_up(tmp_path, scraper, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    """Two processes (as two gunicorn workers) each count requests; a scrape of either sees
    the sum (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR)."""
    code = textwrap.dedent(
        """
        from cc112 import metrics
        for _ in range(5):
            metrics.API_REQUESTS.labels(key="abc12345").inc()
            metrics.REQUEST_LATENCY.labels(route="api:incident-list", method="GET").observe(0.1)
        """
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "x"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scraper()
    assert samples["cc112_api_requests_total", (("key", "abc12345"),)] == 10
    route = (("method", "GET"), ("route", "api:incident-list"))
    assert samples["cc112_http_request_duration_seconds_count", route] == 10
    # The database's figures are there too, and a Redis broker's queue lengths.
    assert ("cc112_clocks_due_unswept", ()) in samples
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        for queue in ("celery", "escalations"):
            assert samples["cc112_celery_queue_length", (("queue", queue),)] >= 0
