"""Prometheus metrics at ``/metrics``, for a scraper holding the token or on an allowed address.

Two kinds, so that several web processes and workers add up:

* Events counted where they happen (request latency by route, 5xx, API requests and throttles
  per key, cache failures): prometheus-client counters and histograms. Under gunicorn and Celery
  ``PROMETHEUS_MULTIPROC_DIR`` is set (deploy/), each process writes its own file there and a
  scrape of any web process sums them all (``MultiProcessCollector``).
* State read from the database (and the broker) at scrape time: sweep lag, clocks due and not yet
  swept, rungs fired by level, outbox depths, failed deliveries, queue lengths. The database is
  the one truth every process shares, so these need no process to have seen anything, and a
  restart loses nothing. Each is one indexed count.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "cc112_http_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern's name) and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10),
)
SERVER_ERRORS = Counter(
    "cc112_http_server_errors", "Responses with a 5xx status, by route.", ["route", "status"]
)
API_REQUESTS = Counter(
    "cc112_api_requests", "API requests authenticated by a key, by the key's prefix.", ["key"]
)
API_THROTTLED = Counter(
    "cc112_api_throttled", "API requests refused by the rate limit (429), by key prefix.", ["key"]
)
RATE_LIMIT_FAIL_OPEN = Counter(
    "cc112_rate_limit_fail_open",
    "API requests let through unthrottled because the cache did not answer.",
)
CACHE_FAILURES = Counter(
    "cc112_cache_failures",
    "Cache calls answered as a miss (or dropped) because the cache did not answer.",
    ["operation"],
)


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (or route), never the raw path: ids would explode the series."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Time every request by route; count the 5xx. Outermost, so it sees every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        REQUEST_LATENCY.labels(route=route, method=request.method).observe(
            time.perf_counter() - started
        )
        if response.status_code >= 500:
            SERVER_ERRORS.labels(route=route, status=str(response.status_code)).inc()
        return response


class DatabaseCollector(Collector):
    """Gauges read from the database and the broker at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        from django.db.models import Count

        from agencies.models import WebhookDelivery
        from sla.models import Clock, Escalation, Notification
        from sla.models import Sweep as SweepRow
        from sla.services.escalation import ESCALATION_SWEEP

        now = timezone.now()
        sweep = SweepRow.objects.filter(name=ESCALATION_SWEEP).first()
        lag = GaugeMetricFamily(
            "cc112_sweep_lag_seconds",
            "Seconds since beat's escalation sweep last started a pass (-1: never).",
        )
        started = sweep.last_started_at if sweep else None
        lag.add_metric([], (now - started).total_seconds() if started else -1)
        yield lag
        yield GaugeMetricFamily(
            "cc112_sweep_interval_seconds",
            "How often beat asks for an escalation sweep.",
            value=settings.CC112_SLA_SWEEP_SECONDS,
        )
        yield GaugeMetricFamily(
            "cc112_clocks_due_unswept",
            "Clocks whose next rung is due and not yet fired.",
            value=Clock.objects.filter(next_escalation_at__lte=now).count(),
        )
        fired = CounterMetricFamily(
            "cc112_escalations_fired", "Rungs fired since the start, by level.", labels=["level"]
        )
        for row in Escalation.objects.values("level").annotate(n=Count("pk")).order_by("level"):
            fired.add_metric([str(row["level"])], row["n"])
        yield fired
        emails = GaugeMetricFamily(
            "cc112_notification_outbox", "Notification emails by state.", labels=["state"]
        )
        for state in ("pending", "sending", "failed"):
            emails.add_metric([state], Notification.objects.filter(email_status=state).count())
        yield emails
        hooks = GaugeMetricFamily(
            "cc112_webhook_outbox", "Webhook deliveries by state.", labels=["state"]
        )
        for state in ("pending", "sending", "failed"):
            hooks.add_metric([state], WebhookDelivery.objects.filter(status=state).count())
        yield hooks
        queues = GaugeMetricFamily(
            "cc112_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, length in celery_queue_lengths().items():
            queues.add_metric([queue], length)
        yield queues


def celery_queue_lengths() -> dict[str, int]:
    """LLEN of each queue on a Redis broker (kombu keeps a queue as a list of its name, and a
    list per priority step); nothing for other brokers (their own exporters say it)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    queues = {"celery", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())}
    lengths: dict[str, int] = {}
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with client:
            for queue in sorted(queues):
                names = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
                lengths[queue] = sum(client.llen(name) for name in names)
    except Exception:
        logger.warning("metrics: broker unreachable for queue lengths", exc_info=True)
    return lengths


def _allowed(request: HttpRequest) -> bool:
    token = settings.CC112_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.CC112_METRICS_ALLOWED_NETWORKS)


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape)
    else:
        scrape = CollectorRegistry(auto_describe=True)
        scrape.register(_ProcessMetrics())
    scrape.register(DatabaseCollector())
    return scrape


class _ProcessMetrics(Collector):
    """This process's own counters (development and tests: one process)."""

    def collect(self) -> Iterator:
        yield from REGISTRY.collect()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format; 404 (as if absent) to anyone without the token or address."""
    if request.method != "GET" or not _allowed(request):
        return HttpResponseNotFound()
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
