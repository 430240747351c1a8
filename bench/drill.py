"""Our own fault drill: bounded load through the API while servers fail, then the database says
whether anything was lost, duplicated or left stuck. A first version (issue 17, item 7).

Run against deploy/layout.sh (its processes are the ones the drill stops and kills)::

    deploy/layout.sh start
    deploy/layout.sh run .venv/bin/python bench/load.py --setup      # once
    deploy/layout.sh run .venv/bin/python bench/drill.py --seconds 120

1. Load (bench/load.py, open-loop, creates with an Idempotency-Key and one retry on a 5xx or a
   connection error) for ``--seconds``, while on a schedule scaled to that length it
   - kills the deliveries' Celery worker (SIGKILL to its group) and starts it again,
   - stops the broker for 30 s (scaled), then the cache for 10 s,
   - SIGKILLs one gunicorn worker (the master starts another),
   - terminates every database connection of the layout's database (pg_terminate_backend),
   - runs a second beat for a while.
2. Waits for the sweeps to catch up, then checks in the database:
   - every case answered 201 exists, and no Idempotency-Key made two cases;
   - no clock has a rung due for longer than three sweeps (none missing); the unique key on
     (clock, level) makes a duplicated rung impossible, and the drill counts them anyway;
   - no webhook delivery or email ``sending`` for more than 60 s;
   - no 5xx outside the moment the database connections were cut;
   - p50/p95 latency outside the fault windows.
3. One JSON line; exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

LAYOUT = ROOT / "deploy" / "layout.sh"
DIR = Path(os.environ.get("LAYOUT_DIR", ROOT / "var" / "layout"))


def layout(*args: str) -> None:
    subprocess.run([str(LAYOUT), *args], check=True, stdout=subprocess.DEVNULL)


def pid_of(name: str) -> int:
    return int((DIR / "pids" / name).read_text())


def kill_group(name: str) -> None:
    os.killpg(pid_of(name), signal.SIGKILL)


def gunicorn_worker() -> int:
    children = subprocess.run(
        ["pgrep", "-P", str(pid_of("web"))], capture_output=True, text=True, check=True
    )
    return int(children.stdout.split()[0])


def terminate_database_connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Partner(BaseHTTPRequestHandler):
    """The police's system: answers every webhook 200 and counts them."""

    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Faults:
    """The schedule: (start offset, name, action, duration); windows recorded on the monotonic
    clock the load's records use."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.windows: dict[str, tuple[float, float]] = {}
        self.notes: dict[str, Any] = {}

    def at(self, fraction: float) -> float:
        return self.start + fraction * self.seconds

    def wait_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - time.monotonic()))

    def run(self, start: float) -> None:
        self.start = start
        scale = self.seconds / 120
        self.fault(
            "worker_killed",
            0.08,
            lambda: kill_group("deliveries"),
            5 * scale,
            lambda: layout("start-one", "deliveries"),
        )
        self.fault(
            "broker_down",
            0.2,
            lambda: layout("stop-one", "redis-broker"),
            30 * scale,
            lambda: layout("start-one", "redis-broker"),
        )
        self.fault(
            "cache_down",
            0.5,
            lambda: layout("stop-one", "redis-cache"),
            10 * scale,
            lambda: layout("start-one", "redis-cache"),
        )
        self.fault(
            "web_worker_killed",
            0.62,
            lambda: os.kill(gunicorn_worker(), signal.SIGKILL),
            2,
            lambda: None,
        )
        self.fault(
            "database_connections_cut",
            0.7,
            lambda: self.notes.__setitem__("connections_cut", terminate_database_connections()),
            3,
            lambda: None,
        )
        self.fault(
            "second_beat",
            0.75,
            lambda: layout("start-one", "beat-2"),
            15 * scale,
            lambda: layout("stop-one", "beat-2"),
        )

    def fault(self, name, fraction, begin, duration, end) -> None:  # type: ignore[no-untyped-def]
        self.wait_until(self.at(fraction))
        began = time.monotonic()
        begin()
        time.sleep(duration)
        end()
        self.windows[name] = (began, time.monotonic())


def percentile(values: list[float], q: float) -> float | None:
    return load.percentile(values, q)


def verify(
    records: list, marker: str, faults: Faults, interval: int, subscription_id: int
) -> dict[str, Any]:
    from django.db.models import Count
    from django.utils import timezone

    from agencies.models import WebhookDelivery
    from incidents.models import Incident
    from sla.models import Clock, Escalation, Notification

    now = timezone.now()
    answered = {key for _, _, kind, status, key in records if kind == "create" and status == "201"}
    rows = Incident.objects.filter(description__startswith=marker).values_list(
        "description", flat=True
    )
    by_key: dict[str, int] = {}
    for description in rows:
        key = description.rsplit(" ", 1)[-1]
        by_key[key] = by_key.get(key, 0) + 1
    late = now - timezone.timedelta(seconds=3 * interval)
    stale = now - timezone.timedelta(seconds=60)
    cut = faults.windows.get("database_connections_cut", (0, 0))
    outside = [
        r
        for r in records
        if not any(start - 1 <= r[0] <= end + 5 for start, end in faults.windows.values())
    ]
    server_errors = [
        r for r in records if r[3].startswith("5") and not (cut[0] - 1 <= r[0] <= cut[1] + 5)
    ]
    return {
        "cases_answered": len(answered),
        "cases_lost": len(answered - set(by_key)),
        "cases_duplicated": sum(1 for n in by_key.values() if n > 1),
        "cases_unanswered_but_saved": len(set(by_key) - answered),
        "rungs_missing": Clock.objects.filter(next_escalation_at__lt=late).count(),
        "rungs_duplicated": Escalation.objects.values("clock_id", "level")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
        "webhooks_stuck": WebhookDelivery.objects.filter(
            status="sending", claimed_at__lt=stale
        ).count(),
        "webhooks_delivered": WebhookDelivery.objects.filter(
            subscription_id=subscription_id, status="delivered"
        ).count(),
        "webhooks_not_delivered": WebhookDelivery.objects.filter(subscription_id=subscription_id)
        .exclude(status="delivered")
        .count(),
        "webhooks_received": Partner.received,
        "escalations_fired": Escalation.objects.filter(
            clock__incident__description__startswith=marker
        ).count(),
        "emails_stuck": Notification.objects.filter(
            email_status="sending", email_claimed_at__lt=stale
        ).count(),
        "server_errors_outside_db_cut": len(server_errors),
        "transport_errors": sum(1 for r in records if not r[3].isdigit()),
        "p50_ms_outside_faults": percentile([r[1] for r in outside], 0.5),
        "p95_ms_outside_faults": percentile([r[1] for r in outside], 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--creates", type=float, default=10)
    parser.add_argument("--reads", type=float, default=10)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--dispatch-every", type=int, default=2, help="dispatch 1 case in N")
    parser.add_argument("--settle", type=float, default=30, help="seconds for sweeps to catch up")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings

    from agencies.models import Agency
    from agencies.webhooks import webhook_subscribe, webhook_unsubscribe

    marker = f"Drill {int(time.time())}"
    partner = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    subscription, _ = webhook_subscribe(
        agency=Agency.objects.get(code=load.POLICE),
        url=f"http://127.0.0.1:{partner.server_port}/hook",
        events=["dispatch.created"],
        actor=None,
    )
    load_args = argparse.Namespace(
        host="127.0.0.1",
        port=int(os.environ.get("LAYOUT_PORT", 8112)),
        creates=args.creates,
        reads=args.reads,
        seconds=args.seconds,
        threads=args.threads,
        marker=marker,
        dispatch_every=args.dispatch_every,
    )
    records: list = []
    summary: dict[str, Any] = {}
    loader = threading.Thread(target=lambda: summary.update(load.run(load_args, records)))
    faults = Faults(args.seconds)
    start = time.monotonic() + 1  # the load's schedule starts a second after it is called
    loader.start()
    faults.run(start)
    loader.join()
    time.sleep(args.settle)
    from django.db import connection

    connection.close()  # its connection was cut with the others
    result = verify(records, marker, faults, settings.CC112_SLA_SWEEP_SECONDS, subscription.pk)
    webhook_unsubscribe(subscription=subscription, actor=None)
    partner.shutdown()
    checks = {
        "cases_lost": 0,
        "cases_duplicated": 0,
        "rungs_missing": 0,
        "rungs_duplicated": 0,
        "webhooks_stuck": 0,
        "webhooks_not_delivered": 0,
        "server_errors_outside_db_cut": 0,
    }
    failed = [name for name, want in checks.items() if result[name] != want]
    # A drill that got no case in proves nothing: most of the offered creates must be answered
    # (a redirect, say, answered all of them 301 once and the zeros above held).
    if result["cases_answered"] < 0.5 * args.creates * args.seconds:
        failed.append("cases_answered")
    print(
        json.dumps(
            {
                "bench": "drill",
                "passed": not failed,
                "failed": failed,
                **result,
                "load": summary,
                "faults": {
                    name: round(end - begin, 1) for name, (begin, end) in faults.windows.items()
                },
                **faults.notes,
            }
        )
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
