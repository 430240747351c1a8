"""gunicorn for cc112 (README "Operations"; deploy/layout.sh runs it on one machine).

Workers: WEB_CONCURRENCY, default 2 per core. Measured on the 2-core test machine with
bench/load.py (creates + scoped list reads through the API, PostgreSQL, Redis): requests wait on
PostgreSQL and Redis about half their time, so one sync worker per core leaves the cores idle
while two per core keep them busy; more only adds memory and database connections. Sync workers:
each request holds one database connection, which PgBouncer's transaction pooling then shares.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
# A request longer than this is killed (the balancer gave up already); the sweep is not a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a slow leak never becomes an outage); jitter: not all at once.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log: one JSON object a line, with the request id cc112 answered. The path without its
# query string: a search for a caller's name or number must not reach the log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s",'
    ' "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s,'
    ' "request_id": "%({x-request-id}o)s", "agent": "%(a)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Metrics from every worker add up (cc112/metrics.py): each writes its files in this folder,
# emptied at start; a worker's files are marked dead when it exits.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    if _metrics_dir:
        folder = Path(_metrics_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
