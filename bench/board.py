"""What the live board and the agency inboxes cost on PostgreSQL, and how fast a change shows.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_board \\
        .venv/bin/python bench/board.py [--cases 20000] [--seconds 150] [--clients 60]

1. Create the database, migrate it, load the network and a year of cases through
   ``bench.caseload`` (20,000 by default: a smaller year than the other benches, the board reads
   only open cases); close what the load left open, then open ``--open`` cases through the
   services, dispatched to the partners in turn, so the board starts with a realistic shift's
   worth of open cases and running clocks. VACUUM ANALYZE.
2. In process: the queries of one idle refresh (the marker, ``CaptureQueriesContext``), its
   server time through Django's whole handler, and the plan of its query.
3. Start gunicorn (``--workers``, sync: several processes, state only in the database) and
   ``--clients`` browsers as threads, each with its own session: half the centre's board, half
   agencies' inboxes spread over the partners. Each does what board.js does: ask for the marker
   every second, fetch the rows when the version moved.
4. For ``--seconds``, one change a second through the services (a case opened and dispatched,
   a dispatch acknowledged, resolved, the case closed, in turn). Each change's commit time and
   the versions it left are noted; a browser has seen it when it holds rows fetched after a
   marker answer at or past that version. Measured: change → visible for every (change, page
   watching its marker) pair; marker and rows round trips; the server processes' CPU share
   (/proc) and the machine's.
5. Print the figures and the targets (change → visible p95 ≤ 2 s, one query and ≤ 5 ms of
   server time per idle refresh); end with one JSON line, and drop the database unless
   ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")
# The bench's sessions are made here and read by gunicorn: one key for both.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
# Timed as production runs: no query log kept in memory (.env's DEBUG=true would keep one).
os.environ["DEBUG"] = "false"

from bench.scoping import bench_target  # noqa: E402
from bench.sla import (  # noqa: E402
    Processes,
    drop_database,
    free_port,
    load_average,
    load_cases,
    ms_figures,
    reset_database,
    say,
    shown,
    sql,
)

TARGET_VISIBLE_P95_S = 2.0
TARGET_IDLE_QUERIES = 1
TARGET_IDLE_SERVER_MS = 5.0
POLL_S = 1.0
TOKEN = re.compile(r'data-pulse-token="([^"]+)"')
VERSION = re.compile(r'data-version="(\d+)"')


def fail(message: str) -> None:
    print(f"bench/board.py: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- Data ---------------------------------------------------------------------------------------


def prepare(open_cases: int, seed: int) -> dict[str, Any]:
    """Close what the load left open; open ``open_cases`` through the services, each sent to one
    partner in turn; a password-less operator and the partners' staff for the sessions."""
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Role
    from incidents.models import Category
    from incidents.services import incident_create_and_dispatch

    left_open = sql(
        "UPDATE incidents_incident SET status = 'closed', closed_at = coalesce(closed_at, "
        "received_at + interval '2 hours') WHERE status NOT IN ('closed', 'cancelled')"
    )
    del left_open
    sql(
        "UPDATE incidents_dispatch SET status = 'resolved', resolved_at = coalesce(resolved_at,"
        " dispatched_at + interval '1 hour') WHERE status IN "
        "('pending', 'acknowledged', 'en_route', 'on_scene')"
    )
    operator = (
        get_user_model()
        .objects.filter(memberships__role=Role.OPERATOR, memberships__agency__is_centre=True)
        .order_by("pk")
        .first()
    )
    if operator is None:
        from agencies.services import membership_create

        operator = get_user_model().objects.create_user(username="bench.operator")
        centre = Agency.objects.get(is_centre=True)
        membership_create(user=operator, agency=centre, role=Role.OPERATOR, actor=None)
    partners = list(Agency.objects.partners().filter(is_active=True).order_by("code"))
    categories = list(Category.objects.active())
    import random

    rng = random.Random(seed)
    for n in range(open_cases):
        incident_create_and_dispatch(
            actor=operator,
            agencies=[partners[n % len(partners)]],
            category=rng.choice(categories),
            location_text=f"Jl. Bench {n}",
            description=f"Kasus bench {n}",
            kecamatan=rng.choice(["Sirimau", "Nusaniwe", "Baguala", "Teluk Ambon", "Leitimur"]),
            caller_phone=f"0812{n:08d}",
        )
    sql("VACUUM ANALYZE")
    return {"operator": operator, "partners": partners, "categories": categories}


def session_cookie(user: Any) -> str:
    """A logged-in session for ``user``, as the login form would leave it (no password)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.module_loading import import_string

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend a login records: the first that can load a user (django-axes' comes first
    # and only refuses locked-out logins).
    store[BACKEND_SESSION_KEY] = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# --- In process: one idle refresh ---------------------------------------------------------------


def time_idle_refresh(operator: Any, reps: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(operator)
    page = client.get(reverse("admin:incidents_board"))
    token = TOKEN.search(page.content.decode()).group(1)
    url = reverse("admin:incidents_pulse")
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url, {"t": token})
    # Read now: the next request's request_started signal empties the connection's query log.
    queries = list(captured.captured_queries)
    assert answer.status_code == 200, answer.status_code
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        client.get(url, {"t": token})
        samples.append((time.perf_counter() - started) * 1000)
    plan = sql("EXPLAIN " + queries[0]["sql"].replace("%s", "'centre'"))
    return {
        "queries": len(queries),
        "sql": queries[0]["sql"],
        "plan": " / ".join(row[0].strip() for row in plan),
        "server_ms": ms_figures(samples),
    }


# --- The browsers ------------------------------------------------------------------------------


@dataclass
class Page:
    """One open board or inbox: its marker, and each version it has shown rows for, when."""

    name: str
    key: str
    path: str
    rows_path: str
    cookie: str
    token: str = ""
    version: int = 0
    shown: list[tuple[int, float]] = field(default_factory=list)
    pulse_ms: list[float] = field(default_factory=list)
    rows_ms: list[float] = field(default_factory=list)
    errors: int = 0


def browse(base: str, page: Page, stop: threading.Event, start_at: float) -> None:
    import requests

    http = requests.Session()
    http.cookies.set("sessionid", page.cookie, domain="127.0.0.1")
    first = http.get(base + page.path, timeout=30)
    if first.status_code != 200:
        raise RuntimeError(f"{page.name}: {page.path} answered {first.status_code}")
    page.token = TOKEN.search(first.text).group(1)
    page.version = int(VERSION.search(first.text).group(1))
    page.shown.append((page.version, time.monotonic()))
    # Spread the pages over the second, as pages opened at different moments are.
    time.sleep(max(0.0, start_at - time.monotonic()))
    pulse = f"{base}/admin/pulse/"
    while not stop.is_set():
        began = time.monotonic()
        try:
            answer = http.get(pulse, params={"t": page.token}, timeout=10)
            page.pulse_ms.append((time.monotonic() - began) * 1000)
            version = answer.json()["v"]
            if version != page.version:
                fetch = time.monotonic()
                rows = http.get(base + page.rows_path, timeout=30)
                rows.raise_for_status()
                arrived = time.monotonic()
                page.rows_ms.append((arrived - fetch) * 1000)
                page.version = version
                page.shown.append((version, arrived))
        except Exception:
            page.errors += 1
        stop.wait(max(0.0, POLL_S - (time.monotonic() - began)))


# --- The changes -------------------------------------------------------------------------------


@dataclass
class Change:
    what: str
    committed: float
    versions: dict[str, int]  # marker key -> its version once the change committed


def make_changes(data: dict[str, Any], seconds: float, seed: int) -> list[Change]:
    """One change a second, in turn: open and dispatch a case, acknowledge the oldest waiting
    dispatch, resolve the oldest acknowledged one, close the oldest resolved case."""
    import random

    from incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
    from incidents.pulse import CENTRE, agency_key, pulse_version
    from incidents.services import (
        dispatch_acknowledge,
        dispatch_resolve,
        incident_close,
        incident_create_and_dispatch,
    )

    rng = random.Random(seed)
    operator, partners = data["operator"], data["partners"]
    staff = {agency.pk: staff_of(agency) for agency in partners}
    changes: list[Change] = []
    steps = ("open", "acknowledge", "resolve", "close")
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        tick = time.monotonic()
        step = steps[n % len(steps)]
        agency_id: int | None = None
        if step == "open":
            agency = partners[n // len(steps) % len(partners)]
            incident_create_and_dispatch(
                actor=operator,
                agencies=[agency],
                category=rng.choice(data["categories"]),
                location_text=f"Jl. Perubahan {n}",
                description=f"Perubahan {n}",
                kecamatan="Sirimau",
                caller_phone=f"0813{n:08d}",
            )
            agency_id = agency.pk
        elif step == "acknowledge":
            d = Dispatch.objects.filter(status=DispatchStatus.PENDING).order_by("pk").first()
            dispatch_acknowledge(dispatch=d, actor=staff[d.agency_id])
            agency_id = d.agency_id
        elif step == "resolve":
            d = Dispatch.objects.filter(status=DispatchStatus.ACKNOWLEDGED).order_by("pk").first()
            dispatch_resolve(dispatch=d, actor=staff[d.agency_id], resolution="Selesai")
            agency_id = d.agency_id
        else:
            i = Incident.objects.filter(status=IncidentStatus.RESOLVED).order_by("pk").first()
            incident_close(incident=i, actor=operator)
        committed = time.monotonic()
        versions = {CENTRE: pulse_version(CENTRE)}
        if agency_id is not None:
            versions[agency_key(agency_id)] = pulse_version(agency_key(agency_id))
        changes.append(Change(step, committed, versions))
        n += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return changes


def staff_of(agency: Any) -> Any:
    from agencies.models import Membership, Role

    return (
        Membership.objects.active()
        .filter(agency=agency, role=Role.STAFF)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )


def latencies(changes: list[Change], pages: list[Page], until: float) -> list[float]:
    """Seconds from each change's commit to each page watching its marker showing rows at or
    past the version it left (a change no page saw before ``until`` counts up to ``until``)."""
    found = []
    for change in changes:
        for page in pages:
            wanted = change.versions.get(page.key)
            if wanted is None:
                continue
            seen = next((at for version, at in page.shown if version >= wanted), until)
            found.append(max(0.0, seen - change.committed))
    return found


# --- CPU ---------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def group_pids(leader: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == leader:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def start_server(
    processes: Processes, env: dict[str, str], port: int, workers: int, base: str
) -> None:
    """gunicorn as production runs it: sync workers, several processes."""
    import requests

    processes.start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cc112.wsgi:application",
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
    while time.monotonic() < deadline and processes.running["gunicorn"].poll() is None:
        try:
            if requests.get(base + "/admin/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer:\n{processes.tail('gunicorn')}")


# --- Main --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=60, dest="open_cases")
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=150)
    # As the README runs the portal in production (gunicorn --workers 4).
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        fail("set DATABASE_URL=postgres://... (the database it names is dropped and created)")
    target = bench_target()

    say(f"bench/board.py: load {load_average()} · {args.clients} pages · {args.seconds:.0f} s")
    fresh = reset_database(target, reuse=args.reuse)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    say("1. data")
    loaded = load_cases(args.cases, args.seed, fresh)
    data = prepare(args.open_cases, args.seed)
    open_now = sql(
        "SELECT count(*) FROM incidents_incident WHERE status NOT IN ('closed', 'cancelled')"
    )[0][0]
    say(f"   {open_now} open cases on the board")

    say("2. one idle refresh, in process")
    idle = time_idle_refresh(data["operator"], 500)
    say(f"   {idle['queries']} query: {idle['sql']}")
    say(f"   plan: {idle['plan']}")
    say(f"   server time {shown(idle['server_ms'])}")

    say("3. gunicorn and the pages")
    from bench.api import gunicorn_env

    workdir = Path(tempfile.mkdtemp(prefix="cc112-bench-board-"))
    processes = Processes(workdir)
    port = free_port()
    env = gunicorn_env(database_url, workdir)
    env["SECRET_KEY"] = os.environ["SECRET_KEY"]
    env["DJANGO_SETTINGS_MODULE"] = "cc112.settings"
    base = f"http://127.0.0.1:{port}"
    pages: list[Page] = []
    result: dict[str, Any] = {}
    try:
        # As production serves them: collected, hashed names (the pages link them).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        start_server(processes, env, port, args.workers, base)
        from incidents.pulse import CENTRE, agency_key

        boards = args.clients // 2
        for n in range(boards):
            pages.append(
                Page(
                    f"board-{n}",
                    CENTRE,
                    "/admin/board/",
                    "/admin/board/rows/",
                    session_cookie(data["operator"]),
                )
            )
        partners = data["partners"]
        for n in range(args.clients - boards):
            agency = partners[n % len(partners)]
            pages.append(
                Page(
                    f"inbox-{agency.code}-{n}",
                    agency_key(agency.pk),
                    "/admin/inbox/",
                    "/admin/inbox/rows/",
                    session_cookie(staff_of(agency)),
                )
            )
        stop = threading.Event()
        origin = time.monotonic() + 3
        threads = [
            threading.Thread(
                target=browse,
                args=(base, page, stop, origin + POLL_S * n / len(pages)),
                daemon=True,
            )
            for n, page in enumerate(pages)
        ]
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, origin + 2 - time.monotonic()))  # every page polling

        say(f"4. one change a second for {args.seconds:.0f} s")
        server = group_pids(processes.running["gunicorn"].pid)
        cpu_before, busy_before = cpu_seconds(server), machine_busy()
        # The browsers are threads of this process: if it is starved, so are they.
        own_before = sum(os.times()[:2])
        wall_before = time.monotonic()
        changes = make_changes(data, args.seconds, args.seed)
        time.sleep(3)  # the last change's pages
        wall = time.monotonic() - wall_before
        cpu = cpu_seconds(server) - cpu_before
        own = sum(os.times()[:2]) - own_before
        busy_after = machine_busy()
        stop.set()
        for thread in threads:
            thread.join(5)
        seen = latencies(changes, pages, time.monotonic())
        pulse_ms = [ms for page in pages for ms in page.pulse_ms]
        rows_ms = [ms for page in pages for ms in page.rows_ms]
        cores = os.cpu_count() or 1
        visible = ms_figures([s * 1000 for s in seen])
        share = cpu / wall / cores
        machine = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
        errors = sum(page.errors for page in pages)
        say(f"   {len(changes)} changes · {len(seen)} (change, page) pairs · {errors} errors")
        say(f"   change → visible {shown(visible)}")
        say(f"   marker round trip {shown(ms_figures(pulse_ms))}")
        say(f"   rows round trip {shown(ms_figures(rows_ms))}")
        say(
            f"   gunicorn ({args.workers} workers) CPU {cpu:.1f} s in {wall:.0f} s: "
            f"{share:.1%} of {cores} cores · this process (browsers and changes) "
            f"{own / wall / cores:.1%} · machine busy {machine:.1%}"
        )
        ok = (
            visible["p95"] <= TARGET_VISIBLE_P95_S * 1000
            and idle["queries"] <= TARGET_IDLE_QUERIES
            and idle["server_ms"]["p95"] <= TARGET_IDLE_SERVER_MS
        )
        say(
            f"5. targets: change → visible p95 ≤ {TARGET_VISIBLE_P95_S:.0f} s, "
            f"{TARGET_IDLE_QUERIES} query and p95 ≤ {TARGET_IDLE_SERVER_MS:.0f} ms a idle "
            f"refresh: {'met' if ok else 'MISSED'}"
        )
        result = {
            "bench": "board",
            "cases": args.cases,
            "open_cases": open_now,
            "pages": len(pages),
            "boards": boards,
            "inboxes": len(pages) - boards,
            "workers": args.workers,
            "seconds": round(wall, 1),
            "changes": len(changes),
            "errors": errors,
            "visible_ms": visible,
            "idle_refresh_queries": idle["queries"],
            "idle_refresh_server_ms": idle["server_ms"],
            "marker_round_trip_ms": ms_figures(pulse_ms),
            "rows_round_trip_ms": ms_figures(rows_ms),
            "server_cpu_share": round(share, 4),
            "bench_process_cpu_share": round(own / wall / cores, 4),
            "machine_busy_share": round(machine, 4),
            "cores": cores,
            "load": load_average(),
            "loaded": {k: v for k, v in loaded.items() if k != "reused"},
            "targets_met": ok,
        }
    finally:
        processes.stop_all()
        if not args.keep:
            drop_database(target)
    print(json.dumps(result, sort_keys=True))
    return 0 if result.get("targets_met") else 1


if __name__ == "__main__":
    sys.exit(main())
