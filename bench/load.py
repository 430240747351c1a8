"""Sustained load on a running layout: case creations and scoped list reads at fixed rates.

Run against deploy/layout.sh (PostgreSQL, Redis, gunicorn, workers, beat)::

    deploy/layout.sh start
    deploy/layout.sh run .venv/bin/python bench/load.py --setup     # once: network and keys
    deploy/layout.sh run .venv/bin/python bench/load.py --creates 20 --reads 20 --seconds 60

1. ``--setup`` (in process, with the layout's settings): the centre and its partners with their
   people (``bench.caseload.build_network``), 100 cases dispatched to the police, two API keys
   (the centre's, to create; the police's, to read its scoped list), written to
   ``$LAYOUT_DIR/keys.json``.
2. The load is open-loop: each request has its moment on a fixed schedule (``--creates`` and
   ``--reads`` a second) and its latency counts from that moment, so a server that falls behind
   shows it (no coordinated omission). Creates carry an ``Idempotency-Key`` and are retried
   once on a connection error or 5xx, as a partner would.
3. One JSON line: achieved rates, p50/p95/p99 per kind, 5xx and errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KEYS = Path(os.environ.get("LAYOUT_DIR", ROOT / "var" / "layout")) / "keys.json"
POLICE = "polresta"


def setup() -> None:
    import django

    django.setup()
    from agencies.models import Agency
    from agencies.services import api_key_create
    from bench.caseload import build_network
    from incidents.models import Category
    from incidents.services import incident_create, incident_dispatch

    if not Agency.objects.filter(code=POLICE).exists():
        build_network()
    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.get(username="operator1")
    police = Agency.objects.get(code=POLICE)
    category = Category.objects.order_by("pk").first()
    for _ in range(100):
        incident = incident_create(
            actor=operator,
            category=category,
            location_text="Jl. Sultan Hairun",
            description="Beban awal",
        )
        incident_dispatch(incident=incident, agencies=[police], actor=operator)
    keys = {}
    for role, code in (("centre", Agency.objects.get(is_centre=True).code), ("police", POLICE)):
        _, secret = api_key_create(
            agency=Agency.objects.get(code=code),
            name=f"bench/load.py {role} {uuid.uuid4().hex[:6]}",
            actor=None,
            requests_per_minute=100_000,
        )
        keys[role] = secret
    keys["category"] = category.code
    KEYS.write_text(json.dumps(keys))
    print(f"keys written to {KEYS}")


class Client(threading.local):
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, payload
            except (OSError, http.client.HTTPException):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def run(
    args: argparse.Namespace, records: list[tuple[float, float, str, str, str]] | None = None
) -> dict[str, Any]:
    """The load; ``records`` (if given) receives (due, latency, kind, status, idempotency key)
    for every request, ``due`` on the monotonic clock."""
    keys = json.loads(KEYS.read_text())
    marker = getattr(args, "marker", "Uji beban")
    client = Client(args.host, args.port)
    results: dict[str, list[float]] = {"create": [], "read": [], "dispatch": []}
    statuses: dict[str, dict[str, int]] = {"create": {}, "read": {}, "dispatch": {}}
    lock = threading.Lock()

    def create(due: float) -> None:
        idempotency_key = str(uuid.uuid4())
        body = json.dumps(
            {
                "category": keys["category"],
                "location_text": "Jl. A.Y. Patty",
                "description": f"{marker} {idempotency_key}",
            }
        ).encode()
        headers = {
            "Authorization": f"Api-Key {keys['centre']}",
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
        }
        answer = hit("create", due, "POST", "/api/v1/incidents/", body, headers, idempotency_key)
        dispatch_every = getattr(args, "dispatch_every", 0)
        if answer and dispatch_every and int(idempotency_key[:8], 16) % dispatch_every == 0:
            # Sent on to the police: a dispatch clock with rungs, a webhook delivery.
            body = json.dumps({"agencies": [POLICE]}).encode()
            path = f"/api/v1/incidents/{answer['id']}/dispatches/"
            hit(
                "dispatch",
                time.monotonic(),
                "POST",
                path,
                body,
                {**headers, "Idempotency-Key": idempotency_key + "-d"},
            )

    def read(due: float) -> None:
        headers = {"Authorization": f"Api-Key {keys['police']}"}
        hit("read", due, "GET", "/api/v1/incidents/", None, headers)

    def hit(
        kind: str, due: float, method: str, path: str, body: Any, headers: dict, key: str = ""
    ) -> dict | None:
        """The request at its moment; the answer's JSON for a 201 (else None)."""
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        status: str
        payload = b""
        for attempt in range(2):  # a partner retries a 5xx once, with the same key
            try:
                status, payload = client.request(method, path, body, headers)
                status = str(status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            if (status.isdigit() and not status.startswith("5")) or attempt:
                break
        elapsed = time.monotonic() - due
        with lock:
            results[kind].append(elapsed)
            statuses[kind][status] = statuses[kind].get(status, 0) + 1
            if records is not None:
                records.append((due, elapsed, kind, status, key))
        return json.loads(payload) if status == "201" else None

    schedule: list[tuple[float, Any]] = []
    start = time.monotonic() + 1
    for rate, action in ((args.creates, create), (args.reads, read)):
        if rate:
            schedule += [(start + i / rate, action) for i in range(int(args.seconds * rate))]
    schedule.sort(key=lambda item: item[0])
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        for due, action in schedule:
            delay = due - time.monotonic() - 0.05
            if delay > 0:
                time.sleep(delay)
            pool.submit(action, due)
    took = time.monotonic() - start
    summary: dict[str, Any] = {"bench": "load", "seconds": round(took, 1)}
    for kind in ("create", "read", "dispatch"):
        if not statuses[kind]:
            continue
        ok = sum(n for status, n in statuses[kind].items() if status.startswith("2"))
        summary[kind] = {
            "per_second": round(ok / took, 1),
            "p50_ms": percentile(results[kind], 0.50),
            "p95_ms": percentile(results[kind], 0.95),
            "p99_ms": percentile(results[kind], 0.99),
            "statuses": statuses[kind],
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LAYOUT_PORT", 8112)))
    parser.add_argument("--creates", type=float, default=20)
    parser.add_argument("--reads", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--dispatch-every", type=int, default=0, help="dispatch 1 case in N")
    args = parser.parse_args()
    if args.setup:
        setup()
        return
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
