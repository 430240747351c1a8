"""Health for load balancers and monitors: ``/health/live`` and ``/health/ready``.

Cheap enough to poll every second from every balancer: one indexed row read (which also proves
the database answers), one PING each to the cache and the broker on connections the process
keeps, and the migration check once per process (then only while it fails, every few seconds).

What the answer means (README "Operations"):

* ``ready`` (200): everything answers and beat's escalation sweep ran within three intervals.
* ``degraded`` (200): the cache or the broker does not answer, or beat is more than three sweeps
  late. The web keeps serving in these modes (the throttle fails open, work waits in the
  outbox), so a balancer must not take every web process out of rotation for them; a monitor
  alerts on ``degraded``.
* ``unavailable`` (503): the database does not answer or migrations are missing; this process
  cannot serve.

Anonymous callers get states only: no error text (it may name hosts), no version, no data.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

Check = Literal["ok", "down", "late", "never"]
# Beat is late once this many sweep intervals passed without a pass starting.
LATE_AFTER_SWEEPS = 3
# A failing migration check is repeated at most this often (a passing one never again).
MIGRATIONS_RECHECK_SECONDS = 5.0
# A broker that is not Redis is checked by connecting, at most this often.
BROKER_RECHECK_SECONDS = 5.0


class Sweep(TypedDict):
    interval_seconds: int
    lag_seconds: float | None


class Readiness(TypedDict):
    status: Literal["ready", "degraded", "unavailable"]
    checks: dict[str, Check]
    sweep: Sweep


_lock = threading.Lock()
_migrations_ok = False
_migrations_checked_at = 0.0
_broker_client = None
_broker_state: tuple[float, Check] = (0.0, "down")


def migrations_applied() -> bool:
    """True once every migration on disk is applied (remembered for the process's life)."""
    global _migrations_ok, _migrations_checked_at
    if _migrations_ok:
        return True
    now = time.monotonic()
    if now - _migrations_checked_at < MIGRATIONS_RECHECK_SECONDS:
        return False
    from django.db.migrations.executor import MigrationExecutor

    with _lock:
        _migrations_checked_at = now
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations_ok = not plan
    return _migrations_ok


def forget_migrations_check() -> None:
    """For tests: the next readiness check looks at the migrations again."""
    global _migrations_ok, _migrations_checked_at
    _migrations_ok, _migrations_checked_at = False, 0.0


def sweep_heartbeat() -> datetime | None:
    """When beat's escalation sweep last started a pass (None: never). Raises if the database
    is down: this read is also the database check."""
    from sla.models import Sweep as SweepRow
    from sla.services.escalation import ESCALATION_SWEEP

    row = SweepRow.objects.filter(name=ESCALATION_SWEEP).values_list("last_started_at").first()
    return row[0] if row else None


def cache_check() -> Check:
    reachable = getattr(cache, "reachable", None)
    try:
        if reachable is not None:
            return "ok" if reachable() else "down"
        cache.get("cc112:health")
    except Exception:
        logger.warning("health: cache unreachable", exc_info=True)
        return "down"
    return "ok"


def broker_check() -> Check:
    """PING a Redis broker on a connection kept by the process; other brokers are connected to
    at most every few seconds (an AMQP handshake per poll would not be cheap)."""
    global _broker_client, _broker_state
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            if _broker_client is None:
                _broker_client = redis.Redis.from_url(
                    url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
                )
            _broker_client.ping()
        except Exception:
            logger.warning("health: broker unreachable", exc_info=True)
            return "down"
        return "ok"
    if url.startswith("filesystem://"):  # the embedded default: a folder on this machine
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        return "ok" if os.path.isdir(folder) else "down"
    checked_at, state = _broker_state
    if time.monotonic() - checked_at < BROKER_RECHECK_SECONDS:
        return state
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=1, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        state = "ok"
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        state = "down"
    _broker_state = (time.monotonic(), state)
    return state


def readiness() -> Readiness:
    interval = settings.CC112_SLA_SWEEP_SECONDS
    checks: dict[str, Check] = {}
    lag: float | None = None
    try:
        heartbeat = sweep_heartbeat()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if migrations_applied() else "down"
    except Exception:
        logger.warning("health: database unreachable", exc_info=True)
        heartbeat = None
        checks["database"] = checks["migrations"] = "down"
    if checks["database"] == "ok":
        if heartbeat is None:
            checks["beat"] = "never"
        else:
            lag = max(0.0, (timezone.now() - heartbeat).total_seconds())
            checks["beat"] = "late" if lag > LATE_AFTER_SWEEPS * interval else "ok"
    else:
        checks["beat"] = "down"
    checks["cache"] = cache_check()
    checks["broker"] = broker_check()
    if checks["database"] != "ok" or checks["migrations"] != "ok":
        status: Literal["ready", "degraded", "unavailable"] = "unavailable"
    elif all(state == "ok" for state in checks.values()):
        status = "ready"
    else:
        status = "degraded"
    return {
        "status": status,
        "checks": checks,
        "sweep": {
            "interval_seconds": interval,
            "lag_seconds": None if lag is None else round(lag, 1),
        },
    }


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process answers (it touches nothing else)."""
    return JsonResponse({"status": "live"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    result = readiness()
    return JsonResponse(result, status=503 if result["status"] == "unavailable" else 200)


class HealthMiddleware:
    """Answer ``/health/*`` before the rest of the stack: a balancer polls by address (no
    ALLOWED_HOSTS entry, no HTTPS redirect) and each poll costs no session, locale or user
    lookup. The URL patterns name the same views (reverse(), the privacy matrix)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.views = {"/health/live": live, "/health/ready": ready}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.resolver_match = resolve(request.path_info)
        return view(request)
