"""What the REST API's case list costs under gunicorn, against a bare Django view and plain DRF.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_api .venv/bin/python bench/api.py

1. Create the database, migrate it, build the network through the services and load a year of
   cases with ``bench.caseload`` (as ``bench/sla.py`` does; ``--reuse`` takes a ``--keep``
   run's). Issue two API keys through ``api_key_create``: the police's (their staff's view of
   the cases) and the 112 centre's (to create cases), each allowed 100,000 requests a minute,
   so the throttle runs on every request but never refuses one.
2. Start gunicorn (``--workers 2``, sync) on ``bench.api_site:application``: the product with
   ``cc112.settings`` as in production (``DEBUG`` off, persistent database connections), plus
   the baselines of ``bench/api_site.py``, in the same processes.
3. Check that every list gives the same 50 cases, follow ``next`` ``--deep-pages`` pages deep
   and check that page against the bare view at that offset.
4. From a separate client process (``--connections`` at once, each a new TCP connection since
   gunicorn's sync workers close after every answer), time each target for ``--seconds``, the
   targets interleaved and their order turning, ``--rounds`` rounds after a warm-up: the bare
   view, the DRF ModelSerializer list (sliced, and paged by ``LimitOffsetPagination``), the
   API's first page and its deep page. Requests per second are the medians of the windows;
   each ratio is the median over rounds of the ratio within a round, whose windows are seconds
   apart, so that other work on the machine hits both sides alike.
5. Create ``--creates`` cases one after another through ``POST /api/v1/incidents/`` with the
   centre's key, each with its own ``Idempotency-Key``: p50/p95/p99.
6. Print the table and the targets; end with one JSON line, and drop the database unless
   ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")

from bench.scoping import bench_target, percentile  # noqa: E402
from bench.sla import (  # noqa: E402
    Processes,
    drop_database,
    free_port,
    load_average,
    load_cases,
    reset_database,
    say,
    sql,
)

CASES = 200_000
AGENCY = "polresta"  # the busiest partner: about half of the cases
PAGE = 50
DEEP_PAGES = 200
RATE = 100_000  # the most requests a minute a key may be given
LIST_PATH = "/api/v1/incidents/"
TARGET_VS_BARE = 0.30
TARGET_VS_DRF_MODEL = 2.0
TARGET_DEEP_VS_FIRST = 1.25
TARGETS = ("bare", "drf_model", "drf_model_paged", "drf_model_all", "api_first", "api_deep")
LABELS = {
    "bare": "bare Django view, .values() → JsonResponse",
    "drf_model": "DRF ListAPIView + ModelSerializer, [:50]",
    "drf_model_paged": "  the same, LimitOffsetPagination (+ COUNT)",
    "drf_model_all": "  ModelSerializer fields='__all__', [:50]",
    "api_first": "API list, first page",
    "api_deep": "API list, deep cursor page",
}


def fail(message: str) -> None:
    print(f"bench/api.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- The load client (runs in its own process) --------------------------------------------------


class Connection:
    """One HTTP/1.1 client connection, opened again whenever the server closes it (gunicorn's
    sync workers close after every response)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.sock: socket.socket | None = None

    def _recv(self) -> bytes:
        assert self.sock is not None
        return self.sock.recv(65536)

    def request(self, payload: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(payload)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self._recv()
            if not chunk:
                self.close()
                raise ConnectionError("the server closed the connection before answering")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            close = True
            while chunk := self._recv():
                body += chunk
        else:
            while len(body) < length:
                chunk = self._recv()
                if not chunk:
                    break
                body += chunk
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def http_request(
    port: int, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def hammer(port: int, payload: bytes, seconds: float, connections: int) -> dict[str, Any]:
    """Send one request over and over from ``connections`` threads for ``seconds``: requests per
    second, latencies and the statuses answered."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(connections)]

    def loop(index: int) -> None:
        conn = Connection(("127.0.0.1", port))
        mine, seen = latencies[index], statuses[index]
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                status, _body = conn.request(payload)
            except OSError:
                conn.close()
                status = 0
            mine.append(time.perf_counter() - began)
            seen[status] += 1
        conn.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [ms * 1000 for mine in latencies for ms in mine]
    total: Counter[int] = Counter()
    for seen in statuses:
        total.update(seen)
    return {
        "requests": len(every),
        "seconds": elapsed,
        "rps": len(every) / elapsed,
        "p50_ms": statistics.median(every),
        "p95_ms": percentile(every, 0.95),
        "statuses": dict(total),
    }


def one_by_one(port: int, payloads: Sequence[bytes]) -> list[tuple[int, float, bytes]]:
    """Send each request in turn on one connection: (status, ms, body if not 2xx)."""
    conn = Connection(("127.0.0.1", port))
    answers = []
    for payload in payloads:
        began = time.perf_counter()
        status, body = conn.request(payload)
        ms = (time.perf_counter() - began) * 1000
        answers.append((status, ms, b"" if status < 300 else body))
    conn.close()
    return answers


# --- The server ---------------------------------------------------------------------------------


def gunicorn_env(database_url: str, workdir: Path) -> dict[str, str]:
    """cc112.settings as in production: DEBUG off, connections kept, nothing written to var/."""
    env = {**os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cc112.settings",
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "600",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CC112_VAR_DIR": str(workdir / "var"),
            # Plain HTTP on loopback, as behind the TLS proxy: no redirect to https, and
            # cookies a client speaking plain HTTP sends back (a Secure session cookie is
            # kept by the client but never sent: every live page's marker answered 404).
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
        }
    )
    return env


def start_gunicorn(
    processes: Processes, env: dict[str, str], port: int, workers: int, probe: str
) -> None:
    processes.start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.api_site:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if processes.running["gunicorn"].poll() is not None:
            break
        try:
            status, _ = get(port, probe, {})
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {probe}:\n{processes.tail('gunicorn')}")


def get(port: int, target: str, headers: dict[str, str]) -> tuple[int, Any]:
    conn = Connection(("127.0.0.1", port))
    try:
        status, body = conn.request(http_request(port, "GET", target, headers))
    finally:
        conn.close()
    return status, json.loads(body) if body else None


def local_target(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- What is measured ---------------------------------------------------------------------------


def issue_keys() -> dict[str, Any]:
    """The police's key (lists) and the centre's (creates), through the service."""
    from agencies.defaults import CENTRE_CODE
    from agencies.models import Agency
    from agencies.services import api_key_create

    stamp = time.strftime("%Y%m%d-%H%M%S")
    keys = {}
    for role, code in (("police", AGENCY), ("centre", CENTRE_CODE)):
        api_key, secret = api_key_create(
            agency=Agency.objects.get(code=code),
            name=f"bench/api.py {role} {stamp}",
            actor=None,
            requests_per_minute=RATE,
        )
        keys[role] = {"key": api_key, "header": {"Authorization": f"Api-Key {secret}"}}
    return keys


def queries_per_request(paths: dict[str, str], headers: dict[str, dict[str, str]]) -> dict:
    """Each target once through Django's test client in this process (the second request, so
    the once-a-minute ``last_used_at`` write is not counted): its SQL statements."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    import bench.api_site  # noqa: F401  (the URLconf below)

    statements = {}
    with override_settings(ROOT_URLCONF="bench.api_site"):
        client = Client()
        for name, target in paths.items():
            extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers[name].items()}
            client.get(target, **extra)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(target, **extra)
            if response.status_code != 200:
                raise RuntimeError(f"{target}: {response.status_code} in process")
            statements[name] = [query["sql"] for query in captured.captured_queries]
    return statements


def ids_of(answer: Any) -> list[int]:
    rows = answer if isinstance(answer, list) else answer["results"]
    return [row["id"] for row in rows]


def same_rows(one: Any, other: Any) -> bool:
    """The same cases, in any order: the lists order by ``-received_at`` alone, and two cases
    received in the same second may come in either order."""
    return sorted(ids_of(one)) == sorted(ids_of(other))


def check_rows(port: int, paths: dict[str, str], headers: dict, depth: int) -> dict[str, Any]:
    """The same 50 cases from every list; the API's page ``depth``, reached by following
    ``next``, and the same rows from the bare view at that offset."""
    answers = {}
    for name in ("bare", "drf_model", "drf_model_paged", "drf_model_all", "api_first"):
        status, answers[name] = get(port, paths[name], headers[name])
        if status != 200:
            raise RuntimeError(f"{paths[name]} answered {status}: {answers[name]}")
    ids = ids_of(answers["bare"])
    if len(ids) != PAGE:
        raise RuntimeError(f"the agency has fewer than {PAGE} cases")
    for name in ("drf_model", "drf_model_paged", "drf_model_all", "api_first"):
        if not same_rows(answers[name], answers["bare"]):
            raise RuntimeError(f"{name} lists other cases than the bare view")
    target, answer, reached = paths["api_first"], answers["api_first"], 1
    while reached < depth and answer["next"]:
        target = local_target(answer["next"])
        status, answer = get(port, target, headers["api_first"])
        if status != 200:
            raise RuntimeError(f"{target} answered {status}: {answer}")
        reached += 1
    offset = (reached - 1) * PAGE
    status, bare = get(port, f"{paths['bare']}&offset={offset}", {})
    if status != 200 or not same_rows(answer, bare):
        raise RuntimeError(f"page {reached} of the API is not the bare view's rows {offset}+")
    return {"depth": reached, "offset": offset, "target": target, "ids": ids}


def measure_lists(
    pool: ProcessPoolExecutor,
    port: int,
    payloads: dict[str, bytes],
    rounds: int,
    seconds: float,
    warmup: float,
    connections: int,
) -> dict[str, list[dict[str, Any]]]:
    for name in TARGETS:
        pool.submit(hammer, port, payloads[name], warmup, connections).result()
    windows: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
    for index in range(rounds):
        order = TARGETS[index % len(TARGETS) :] + TARGETS[: index % len(TARGETS)]
        for name in order:
            window = pool.submit(hammer, port, payloads[name], seconds, connections).result()
            windows[name].append(window)
        say(
            f"   round {index + 1}: "
            + " · ".join(f"{name} {windows[name][-1]['rps']:.1f}/s" for name in TARGETS)
            + f" (load {load_average()})"
        )
    return windows


def measure_creates(
    pool: ProcessPoolExecutor, port: int, headers: dict[str, str], count: int, warmup: int
) -> dict[str, Any]:
    from incidents.models import Category

    category = Category.objects.active().order_by("sort_order", "code").first()
    if category is None:
        raise RuntimeError("no active category to create cases in")
    payloads = []
    for number in range(warmup + count):
        body = json.dumps(
            {
                "category": category.code,
                "location_text": f"Jl. Sultan Babullah No. {number + 1}, dekat Masjid Raya",
                "description": "Laporan uji beban: kebakaran kecil di dapur rumah warga.",
                "kecamatan": "Sirimau",
            }
        ).encode()
        payloads.append(
            http_request(
                port,
                "POST",
                LIST_PATH,
                {
                    **headers,
                    "Content-Type": "application/json",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
                body,
            )
        )
    answers = pool.submit(one_by_one, port, payloads).result()
    refused = [(status, body) for status, _ms, body in answers if status != 201]
    if refused:
        status, body = refused[0]
        raise RuntimeError(f"{len(refused)} creates not 201, e.g. {status}: {body[:500]!r}")
    timed = [ms for _status, ms, _body in answers[warmup:]]
    return {
        "n": len(timed),
        "category": category.code,
        "p50_ms": round(statistics.median(timed), 2),
        "p95_ms": round(percentile(timed, 0.95), 2),
        "p99_ms": round(percentile(timed, 0.99), 2),
        "max_ms": round(max(timed), 2),
    }


def per_round(windows: dict[str, list[dict[str, Any]]], a: str, b: str) -> list[float]:
    """Requests per second of ``a`` ÷ those of ``b``, round by round."""
    return [round(x["rps"] / y["rps"], 3) for x, y in zip(windows[a], windows[b], strict=True)]


def summary(windows: list[dict[str, Any]]) -> dict[str, Any]:
    errors = sum(n for w in windows for status, n in w["statuses"].items() if status != 200)
    return {
        "rps": round(statistics.median(w["rps"] for w in windows), 1),
        "p50_ms": round(statistics.median(w["p50_ms"] for w in windows), 2),
        "p95_ms": round(statistics.median(w["p95_ms"] for w in windows), 2),
        "requests": sum(w["requests"] for w in windows),
        "errors": errors,
        "rps_windows": [round(w["rps"], 1) for w in windows],
    }


# --- Main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left, with its cases"
    )
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=2, help="client requests at once")
    parser.add_argument("--rounds", type=int, default=24, help="timed rounds of every target")
    parser.add_argument("--seconds", type=float, default=1.5, help="one target's timed window")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds per target")
    parser.add_argument("--deep-pages", type=int, default=DEEP_PAGES, help="page followed to")
    parser.add_argument("--creates", type=int, default=300, help="timed POSTs, one at a time")
    parser.add_argument("--create-warmup", type=int, default=20, help="untimed POSTs before")
    parser.add_argument("--seed", type=int, default=112)
    args = parser.parse_args(argv)

    target = bench_target()
    database_url = os.environ["DATABASE_URL"]
    began = time.perf_counter()
    report: dict[str, Any] = {"bench": "api", "database": target.name}
    workdir = Path(tempfile.mkdtemp(prefix="cc112-bench-api-"))
    processes: Processes | None = None
    pool: ProcessPoolExecutor | None = None

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    try:
        fresh = reset_database(target, reuse=args.reuse)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        report["postgres"] = sql("SHOW server_version")[0][0]
        say(f"cc112 API benchmark · PostgreSQL {report['postgres']} · {target.name}")

        say(f"\n-- 1. {args.cases:,} cases")
        report["load"] = load_cases(args.cases, args.seed, fresh)
        from incidents.models import Incident

        keys = issue_keys()
        report["cases"] = Incident.objects.count()
        report["police_cases"] = Incident.objects.visible_to(keys["police"]["key"].account).count()
        say(
            f"   {report['cases']:,} cases, {report['police_cases']:,} of them the police's "
            f"({report['police_cases'] / report['cases']:.0%})"
        )

        from bench.api_site import (
            BARE_PATH,
            DRF_MODEL_ALL_PATH,
            DRF_MODEL_PAGED_PATH,
            DRF_MODEL_PATH,
        )

        paths = {
            "bare": f"{BARE_PATH}?agency={AGENCY}",
            "drf_model": f"{DRF_MODEL_PATH}?agency={AGENCY}",
            "drf_model_paged": f"{DRF_MODEL_PAGED_PATH}?agency={AGENCY}",
            "drf_model_all": f"{DRF_MODEL_ALL_PATH}?agency={AGENCY}",
            "api_first": LIST_PATH,
        }
        headers: dict[str, dict[str, str]] = {
            "bare": {},
            "drf_model": {},
            "drf_model_paged": {},
            "drf_model_all": {},
            "api_first": keys["police"]["header"],
            "api_deep": keys["police"]["header"],
        }
        statements = queries_per_request(paths, headers)
        report["queries"] = {name: len(texts) for name, texts in statements.items()}
        say("\n-- 2. SQL per request (in process, the second request)")
        for name, texts in statements.items():
            say(f"   {name}: {len(texts)}")
            for text in texts:
                say(f"      {text[:150]}{'…' if len(text) > 150 else ''}")

        processes = Processes(workdir)
        port = free_port()
        start_gunicorn(
            processes, gunicorn_env(database_url, workdir), port, args.workers, paths["bare"]
        )
        say(f"\n-- 3. gunicorn: {args.workers} sync workers on 127.0.0.1:{port}, cc112.settings")
        rows = check_rows(port, paths, headers, args.deep_pages)
        paths["api_deep"] = rows["target"]
        report["deep_page_depth"] = rows["depth"]
        say(
            f"   every list gives the same {PAGE} cases (ids {rows['ids'][0]}…"
            f"{rows['ids'][-1]}); page {rows['depth']} (next followed {rows['depth'] - 1} times) "
            f"gives the bare view's rows from offset {rows['offset']:,}"
        )

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        payloads = {name: http_request(port, "GET", paths[name], headers[name]) for name in TARGETS}
        say(
            f"\n-- 4. {args.rounds} rounds × {len(TARGETS)} targets × {args.seconds:g} s, "
            f"{args.connections} connections, after {args.warmup:g} s of each "
            f"(load {load_average()})"
        )
        report["load_average"] = {"lists_began": load_average()}
        windows = measure_lists(
            pool, port, payloads, args.rounds, args.seconds, args.warmup, args.connections
        )
        report["load_average"]["lists_ended"] = load_average()
        figures = {name: summary(windows[name]) for name in TARGETS}
        report["lists"] = figures
        # Each ratio from windows of the same round, seconds apart: drift of the machine (other
        # work on its two cores) hits both sides alike. The figure is the median over rounds.
        report["ratios_per_round"] = {
            "vs_bare": per_round(windows, "api_first", "bare"),
            "vs_drf_model": per_round(windows, "api_first", "drf_model"),
            "vs_drf_model_paged": per_round(windows, "api_first", "drf_model_paged"),
            "vs_drf_model_all": per_round(windows, "api_first", "drf_model_all"),
            "bare_vs_drf_model": per_round(windows, "bare", "drf_model"),
            # Time per deep page ÷ time per first page, under the same load.
            "deep_vs_first": per_round(windows, "api_first", "api_deep"),
        }

        say(
            f"\n-- 5. {args.creates} creates one at a time (after {args.create_warmup}), "
            f"POST {LIST_PATH} with the centre's key and an Idempotency-Key each "
            f"(load {load_average()})"
        )
        report["create"] = measure_creates(
            pool, port, keys["centre"]["header"], args.creates, args.create_warmup
        )
        report["load_average"]["creates_ended"] = load_average()
        log = processes.tail("gunicorn", 400)
        report["server_errors_logged"] = log.count("Traceback")
    finally:
        if pool is not None:
            pool.shutdown()
        if processes is not None:
            processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep and "django" in sys.modules:
            drop_database(target)

    ratios = {
        name: round(statistics.median(r), 3) for name, r in report["ratios_per_round"].items()
    }
    report.update(
        {
            "list_rps": figures["api_first"]["rps"],
            "bare_rps": figures["bare"]["rps"],
            "drf_model_rps": figures["drf_model"]["rps"],
            "drf_model_paged_rps": figures["drf_model_paged"]["rps"],
            "drf_model_all_rps": figures["drf_model_all"]["rps"],
            "deep_rps": figures["api_deep"]["rps"],
            "ratio_vs_bare": ratios["vs_bare"],
            "ratio_vs_drf_model": ratios["vs_drf_model"],
            "ratio_vs_drf_model_paged": ratios["vs_drf_model_paged"],
            "ratio_vs_drf_model_all": ratios["vs_drf_model_all"],
            "bare_vs_drf_model": ratios["bare_vs_drf_model"],
            "deep_vs_first": ratios["deep_vs_first"],
            "create_p50_ms": report["create"]["p50_ms"],
            "create_p95_ms": report["create"]["p95_ms"],
        }
    )
    errors = sum(figures[name]["errors"] for name in TARGETS)
    report["targets_met"] = {
        "vs_bare": report["ratio_vs_bare"] >= TARGET_VS_BARE,
        "vs_drf_model": report["ratio_vs_drf_model"] >= TARGET_VS_DRF_MODEL,
        "deep_vs_first": report["deep_vs_first"] <= TARGET_DEEP_VS_FIRST,
        "every_answer_200": errors == 0 and report["server_errors_logged"] == 0,
    }
    report["seconds"] = round(time.perf_counter() - began, 1)

    say(f"\n== {report['police_cases']:,} police cases of {report['cases']:,}, pages of {PAGE}")
    say(f"   {'target':<48} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}")
    for name in TARGETS:
        row = figures[name]
        queries = report["queries"].get(name, report["queries"]["api_first"])
        say(
            f"   {LABELS[name]:<48} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} "
            f"{row['p95_ms']:>8.2f} {queries:>4}"
        )
    create = report["create"]
    say(
        f"   {'POST ' + LIST_PATH + ' (one at a time)':<48} {'':>8} {create['p50_ms']:>8.2f} "
        f"{create['p95_ms']:>8.2f}"
    )
    say("\n== ratios (median over rounds of the same round's req/s) and targets")
    met = report["targets_met"]

    def line(label: str, value: float, target: str, ok: bool | None) -> None:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        say(f"   {label:<44} {value:>7.3f}  {target:<8} {verdict}")

    line("API list ÷ bare view", ratios["vs_bare"], f"≥ {TARGET_VS_BARE}", met["vs_bare"])
    line(
        "API list ÷ DRF ModelSerializer list, [:50]",
        ratios["vs_drf_model"],
        f"≥ {TARGET_VS_DRF_MODEL}",
        met["vs_drf_model"],
    )
    line("API list ÷ the same, LimitOffsetPagination", ratios["vs_drf_model_paged"], "", None)
    line("API list ÷ ModelSerializer '__all__', [:50]", ratios["vs_drf_model_all"], "", None)
    line("bare view ÷ DRF ModelSerializer list, [:50]", ratios["bare_vs_drf_model"], "", None)
    line(
        f"page {report['deep_page_depth']} ÷ first page (time per request)",
        ratios["deep_vs_first"],
        f"≤ {TARGET_DEEP_VS_FIRST}",
        met["deep_vs_first"],
    )
    verdict = "ok" if met["every_answer_200"] else "MISSED"
    say(
        f"   {'answers other than 200/201, tracebacks':<44} {errors:>3}, "
        f"{report['server_errors_logged']}   {'':<8} {verdict}"
    )
    say(f"\ntotal {report['seconds']:.0f} s")
    print(json.dumps(report, separators=(",", ":"), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
