"""What the escalation sweep costs on PostgreSQL with a million clocks, and how late it fires.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_sla .venv/bin/python bench/sla.py

1. Create the database, migrate it, build the network through the services and load a year of
   cases with ``bench.caseload`` (as ``bench/scoping.py`` does). Derive one clock per case and
   two per dispatch in SQL, the newest 1,000,000 of them: 10 % running (about 500 of them due,
   the rest due in 1-24 hours), 90 % stopped. VACUUM ANALYZE.
2. Time ``claim_due_clocks(now, 100)`` in a transaction that is rolled back each round, so the
   same rows stay due, beside its bare SQL, its execution time in the server and the ORM claim
   it replaced; print the plan of its query.
2b. Fire one batch of 100 due clocks in process with ``escalations_fire_due`` (rolled back):
   statements and milliseconds per rung.
3. Start a private redis-server, a ``celery -A cc112 worker`` and a ``celery -A cc112 beat`` on
   the bench database. Let them fire the backlog, then make 200 clocks fall due at moments
   spread over a minute and watch, from this process, when each first rung's escalation is
   committed.
4. Worker memory: with 10,000 and then 1,000,000 pending clocks, run a fresh worker (one pool
   process) and beat, with the same 100 clocks falling due in both, until every rung fired and
   every email went out, and read the peak RSS (VmHWM) of the worker and its pool process.
5. Storm: 5,500 stopped agency clocks made running again with their first rung due at one
   moment a few seconds ahead (an earthquake's cases, or a backlog after an outage); one worker
   of ``--storm-concurrency`` (2) pool processes on the sweep's queue, DEBUG off, and beat: the
   seconds from that moment until every rung is committed (target ≤ 10 s), notifications
   written and their deliveries enqueued (not sent: no delivery worker runs).
6. Print each figure as it is measured; end with one JSON line, and drop the database unless
   ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")

from bench.scoping import Target, bench_target, percentile  # noqa: E402

CLOCKS = 1_000_000
# Clocks per case: the operator's, plus acknowledge and on-scene per dispatch (about 1.78 a
# case): ~4.5. A few more cases than needed, and the newest CLOCKS clocks are kept.
CASES = 225_000
OPEN_SHARE = 0.10
DUE = 500
BATCH = 100
TARGET_CLAIM_P95_MS = 2.0
SWEEP_SECONDS = 2
LATE_CLOCKS = 200
LATE_WINDOW = 60.0  # seconds over which the measured clocks fall due
LATE_LEAD = 3.0  # seconds from their start to the first of them falling due
POLL_SECONDS = 0.02
TARGET_MEMORY_RATIO = 0.05
MEMORY_SIZES = (10_000, 1_000_000)
MEMORY_DUE = 100  # clocks falling due during each memory run (the same in both)
MEMORY_SECONDS = 30.0
MEMORY_SETTLE_TIMEOUT = 120.0


STORM_CLOCKS = 5_500
STORM_LEAD = 6.0  # seconds from setting the storm up to every one of its clocks falling due
TARGET_STORM_S = 10.0

PHASES = ("claim", "sweep", "latency", "memory", "storm")


def load_average() -> str:
    """The machine's 1-minute load average: the benchmark shares its two cores."""
    return f"{os.getloadavg()[0]:.2f}"


def fail(message: str) -> None:
    print(f"bench/sla.py: {message}", file=sys.stderr)
    sys.exit(2)


def say(message: str = "") -> None:
    print(message, flush=True)


def ms_figures(samples: Sequence[float]) -> dict[str, float]:
    samples = list(samples)
    return {
        "p50": round(statistics.median(samples), 3),
        "p95": round(percentile(samples, 0.95), 3),
        "p99": round(percentile(samples, 0.99), 3),
        "max": round(max(samples), 3),
        "n": len(samples),
    }


def shown(figures: dict[str, float], unit: str = "ms") -> str:
    return (
        f"p50 {figures['p50']:.3f} · p95 {figures['p95']:.3f} · p99 {figures['p99']:.3f} · "
        f"max {figures['max']:.3f} {unit} (n={figures['n']})"
    )


# --- The database -------------------------------------------------------------------------------


def database_exists(target: Target) -> bool:
    with target.connect("postgres") as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name]).fetchone()
    return row is not None


def reset_database(target: Target, *, reuse: bool) -> bool:
    """Create the bench database (dropping it first unless ``reuse``); True if it is new."""
    if reuse and database_exists(target):
        return False
    with target.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.name}"')
    return True


def drop_database(target: Target) -> None:
    from django.db import connections

    connections.close_all()
    with target.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')


def sql(statement: str, params: Any = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def load_cases(count: int, seed: int, fresh: bool) -> dict[str, Any]:
    """The network and a year of cases, through bench.caseload (skipped when reusing a kept
    database that has them)."""
    from bench.caseload import build_network, load
    from incidents.models import Incident

    if not fresh and Incident.objects.exists():
        dispatches = sql("SELECT count(*) FROM incidents_dispatch")[0][0]
        say(f"   reusing {Incident.objects.count():,} cases and {dispatches:,} dispatches")
        return {"reused": True}
    network = build_network()
    figures = load(network, count, seed)
    say(
        f"   {figures['incidents']:,} cases · {figures['dispatches']:,} dispatches "
        f"({figures['dispatches'] / figures['incidents']:.2f} a case)"
    )
    return {
        "reused": False,
        "incidents": figures["incidents"],
        "dispatches": figures["dispatches"],
        "seconds": figures["seconds"],
    }


# One clock per case (the operator's, from the call) and two per dispatch (acknowledge and on
# scene, from the dispatch), the newest %(clocks)s, ids following their start. Targets are the
# general rows sla_install_defaults wrote; the ladder is sla_escalationstep. States are drawn at
# random:
# - due (running): a backlog the sweep has not reached yet, as after a worker outage longer than
#   the ladder: the last rung fell due in the last five minutes, and the clock waits at a rung
#   drawn from the ladder, so a sweep fires that rung and every one after it, and stops it;
# - open (running): started in the last ten minutes, the first rung due in 1-24 hours;
# - stopped: met, breached or withdrawn, with the time it took; no next rung.
CLOCKS_SQL = """
INSERT INTO sla_clock (
    id, incident_id, dispatch_id, kind, agency_id, operator_id, target, working_time,
    started_at, due_at, state, stopped_at, elapsed, next_level, next_escalation_at,
    flagged_for_evaluation
)
WITH ladder AS (
    SELECT array_agg(level ORDER BY level) AS levels,
           array_agg(percent ORDER BY level) AS percents,
           count(*) AS rungs, max(percent) AS last_percent
    FROM sla_escalationstep
), source AS (
    SELECT i.id AS incident_id, NULL::bigint AS dispatch_id, 'dispatch'::text AS kind,
           NULL::bigint AS agency_id, i.operator_id, i.priority, i.received_at AS began
    FROM incidents_incident AS i
    UNION ALL
    SELECT d.incident_id, d.id, k.kind, d.agency_id, NULL, i.priority, d.dispatched_at
    FROM incidents_dispatch AS d
    JOIN incidents_incident AS i ON i.id = d.incident_id
    CROSS JOIN (VALUES ('acknowledge'), ('on_scene')) AS k (kind)
), newest AS (
    SELECT * FROM source ORDER BY began DESC, incident_id DESC, kind LIMIT %(clocks)s
), drawn AS (
    SELECT n.*, t.target, random() AS r_state, random() AS r_time, random() AS r_age,
           1 + floor(random() * ladder.rungs)::int AS rung,
           ladder.levels, ladder.percents, ladder.last_percent
    FROM newest AS n
    JOIN sla_target AS t
      ON t.kind = n.kind AND t.priority = n.priority
     AND t.category_id IS NULL AND t.agency_id IS NULL
    CROSS JOIN ladder
), shaped AS (
    SELECT *,
        CASE WHEN r_state < %(due_share)s THEN 'due'
             WHEN r_state < %(open_share)s THEN 'open'
             ELSE 'stopped' END AS phase,
        target * (0.2 + 1.3 * r_time) AS took,
        %(now)s::timestamptz - r_time * interval '300 seconds'
            - target * last_percent / 100.0 AS due_start,
        %(now)s::timestamptz + interval '1 hour' + r_time * interval '23 hours' AS open_escalation,
        %(now)s::timestamptz - r_age * interval '10 minutes' AS open_start
    FROM drawn
), timed AS (
    SELECT incident_id, dispatch_id, kind, agency_id, operator_id, phase, took, r_age,
        CASE phase WHEN 'due' THEN due_start
                   WHEN 'open' THEN open_start ELSE began END AS started_at,
        CASE phase WHEN 'open' THEN open_escalation - open_start ELSE target END AS target,
        CASE phase WHEN 'due' THEN levels[rung] WHEN 'open' THEN levels[1] END AS next_level,
        CASE phase WHEN 'due' THEN due_start + target * percents[rung] / 100.0
                   WHEN 'open' THEN open_escalation END AS escalates
    FROM shaped
)
SELECT
    row_number() OVER (ORDER BY started_at, incident_id, kind),
    incident_id, dispatch_id, kind, agency_id, operator_id, target, false,
    started_at, started_at + target,
    CASE WHEN phase <> 'stopped' THEN 'running'
         WHEN took > target THEN 'breached'
         WHEN r_age < 0.05 THEN 'withdrawn'
         ELSE 'met' END,
    CASE WHEN phase = 'stopped' THEN started_at + took END,
    CASE WHEN phase = 'stopped' THEN took END,
    next_level,
    escalates,
    phase = 'stopped' AND took >= 2 * target
FROM timed
ORDER BY 1
"""
# The table's indexes that back no constraint (the primary key stays), with their definitions.
SECONDARY_INDEXES_SQL = """
SELECT i.indexname, i.indexdef
FROM pg_indexes AS i
WHERE i.schemaname = current_schema() AND i.tablename = %s
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint AS c
      WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
  )
ORDER BY i.indexname
"""
# What the skipped foreign-key triggers would have checked: each must be 0.
CLOCK_ORPHANS_SQL = """
SELECT
    count(*) FILTER (WHERE i.id IS NULL),
    count(*) FILTER (WHERE c.dispatch_id IS NOT NULL AND d.id IS NULL),
    count(*) FILTER (WHERE c.agency_id IS NOT NULL AND a.id IS NULL),
    count(*) FILTER (WHERE c.operator_id IS NOT NULL AND u.id IS NULL)
FROM sla_clock AS c
LEFT JOIN incidents_incident AS i ON i.id = c.incident_id
LEFT JOIN incidents_dispatch AS d ON d.id = c.dispatch_id
LEFT JOIN agencies_agency AS a ON a.id = c.agency_id
LEFT JOIN auth_user AS u ON u.id = c.operator_id
"""


def load_clocks(
    clocks: int, due: int, seed: int, *, open_share: float = OPEN_SHARE, verbose: bool = True
) -> dict[str, Any]:
    """Empty the clock tables and load ``clocks`` clocks, about ``open_share`` of them running
    and ``due`` of those due now (see CLOCKS_SQL)."""
    from django.db import transaction
    from django.utils import timezone

    started = time.perf_counter()
    with transaction.atomic():
        sql("TRUNCATE sla_notification, sla_escalation, sla_clock RESTART IDENTITY CASCADE")
        # Bulk-load speed: the secondary indexes are built after the rows are in (the same
        # definitions, taken from the catalogue), the sort stays in memory, and the deferred
        # foreign-key triggers are skipped: every parent id comes from a join on the parent
        # table, which CLOCK_ORPHANS_SQL confirms below.
        indexes = sql(SECONDARY_INDEXES_SQL, ["sla_clock"])
        for name, _definition in indexes:
            sql(f'DROP INDEX "{name}"')
        sql("SET LOCAL work_mem = '512MB'")
        sql("SET LOCAL maintenance_work_mem = '512MB'")
        sql("SET LOCAL session_replication_role = replica")
        sql("SELECT setseed(%s)", [(seed % 1000) / 1000])
        now = timezone.now()
        sql(
            CLOCKS_SQL,
            {
                "clocks": clocks,
                "due_share": due / clocks,
                "open_share": open_share,
                "now": now,
            },
        )
        inserted = time.perf_counter() - started
        sql("SET LOCAL session_replication_role = origin")
        for _name, definition in indexes:
            sql(definition)
        orphans = sql(CLOCK_ORPHANS_SQL)[0]
        if any(orphans):
            fail(f"clocks without their case/dispatch/agency/operator: {orphans}")
        sql("SELECT setval(pg_get_serial_sequence('sla_clock', 'id'), max(id)) FROM sla_clock")
        # Everyone gets an address, so the worker also sends the escalation emails (locmem).
        sql("UPDATE auth_user SET email = username || '@bench.invalid' WHERE email = ''")
    loaded = time.perf_counter() - started
    sql("VACUUM (ANALYZE) sla_clock")
    sql("VACUUM (ANALYZE) sla_escalation")
    sql("VACUUM (ANALYZE) sla_notification")
    census = dict(sql("SELECT state, count(*) FROM sla_clock GROUP BY state ORDER BY 2 DESC"))
    total = sum(census.values())
    if total < clocks:
        fail(f"only {total:,} clocks could be derived from the cases; raise --cases.")
    due_now = sql(
        "SELECT count(*) FROM sla_clock WHERE next_escalation_at <= %s", [timezone.now()]
    )[0][0]
    pending = sql("SELECT count(*) FROM sla_clock WHERE next_escalation_at IS NOT NULL")[0][0]
    size = sql(
        "SELECT pg_total_relation_size('sla_clock'), pg_relation_size('clock_escalation_due')"
    )[0]
    figures = {
        "clocks": total,
        "states": census,
        "pending": pending,
        "due": due_now,
        "incidents_with_clocks": sql("SELECT count(DISTINCT incident_id) FROM sla_clock")[0][0],
        "seconds": round(time.perf_counter() - started, 1),
        "insert_seconds": round(inserted, 1),
        "indexed_seconds": round(loaded, 1),
        "table_mb": round(size[0] / 2**20, 1),
        "due_index_kb": round(size[1] / 2**10, 1),
    }
    if not verbose:
        return figures
    say(
        f"   {total:,} clocks over {figures['incidents_with_clocks']:,} cases in "
        f"{figures['seconds']:.1f} s (insert {inserted:.1f} s, indexed {loaded:.1f} s): "
        + ", ".join(f"{state} {n:,}" for state, n in census.items())
    )
    say(
        f"   {pending:,} with a next rung, {due_now:,} of them due now · sla_clock "
        f"{figures['table_mb']} MB, clock_escalation_due {figures['due_index_kb']} kB"
    )
    return figures


# --- 2. Claiming --------------------------------------------------------------------------------


CLAIM_FORMS = {
    "claim": "claim_due_clocks(now, 100): what the sweep runs",
    "claim_cpu": "  the bench process's CPU time in it",
    "sql": "its statement on a bare cursor",
    "server": "its statement's execution in the server (EXPLAIN ANALYZE)",
    "orm": "before: the ORM's select_for_update claim of whole Clock rows",
}


def time_claims(reps: int, warmup: int, batch: int) -> dict[str, Any]:
    """p50/p95/p99 of claim_due_clocks(now, batch), each round in a transaction rolled back
    afterwards, so the same rows stay due. Beside it, in the same rounds (the order turning from
    round to round): its statement (whatever the function runs today: taken from the
    connection) on a bare cursor, its execution time in the server, and the ORM claim of whole
    Clock rows it replaced."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from sla.models import Clock
    from sla.services.escalation import claim_due_clocks

    reset_queries()  # the capture reads the debug log, which keeps only the last 9,000
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        claim_due_clocks(timezone.now(), batch)
        transaction.set_rollback(True)
    statement = next(
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and "FOR " in query["sql"]
    )
    moment = re.compile(r"'\d{4}-\d\d-\d\d[ T][0-9:.]+(\+00:00|\+00)?'::timestamptz")
    if len(moment.findall(statement)) != 1:
        fail(f"cannot find the claim's moment in its SQL: {statement}")

    def at(text: str, now: datetime) -> str:
        return moment.sub(f"'{now.isoformat()}'::timestamptz", text)

    def run_claim(now: datetime) -> int:
        return len(claim_due_clocks(now, batch))

    def run_sql(now: datetime) -> int:
        with connection.cursor() as cursor:
            cursor.execute(at(statement, now))
            return len(cursor.fetchall())

    def run_server(now: datetime) -> float:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + at(statement, now))
            plan = "\n".join(row[0] for row in cursor.fetchall())
        return float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))

    def run_orm(now: datetime) -> int:
        return len(
            list(
                Clock.objects.filter(next_escalation_at__lte=now)
                .order_by("next_escalation_at")
                .select_for_update(skip_locked=True, no_key=True)[:batch]
            )
        )

    forms = {"claim": run_claim, "sql": run_sql, "server": run_server, "orm": run_orm}
    samples: dict[str, list[float]] = {name: [] for name in CLAIM_FORMS}
    claimed: set[int] = set()
    names = list(forms)
    for turn in range(warmup + reps):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            with transaction.atomic():
                now = timezone.now()
                # The transaction's BEGIN goes out with its first statement: send it first, so
                # that every form is timed alike, from the claim's statement on.
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                cpu = time.process_time()
                started = time.perf_counter()
                result = forms[name](now)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu) * 1000
                transaction.set_rollback(True)
            if turn < warmup:
                continue
            if name == "server":
                samples[name].append(result)
                continue
            samples[name].append(elapsed)
            if name == "claim":
                samples["claim_cpu"].append(cpu)
                claimed.add(result)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    figures = {name: ms_figures(values) for name, values in samples.items()}
    for name, label in CLAIM_FORMS.items():
        say(f"   {label:<64} {shown(figures[name])}")
    say(f"   rows claimed per round: {sorted(claimed)}")
    return {
        "ms": figures["claim"],
        "forms_ms": figures,
        "rows_claimed": sorted(claimed),
        "locking": re.sub(r"^.*? (FOR (NO KEY )?UPDATE)", r"\1", statement.split(" LIMIT ")[-1]),
        "reps": reps,
        "warmup": warmup,
        "sql": statement,
        "plan": plan,
    }


# --- 2b. One sweep batch in process --------------------------------------------------------------


def time_sweeps(rounds: int, batch: int) -> dict[str, Any]:
    """One batch of ``batch`` due clocks fired in process by escalations_fire_due, rolled back
    each round so the same clocks stay due: statements and time per rung. The moment is the
    ``batch``-th earliest next rung, so exactly one full batch is due (the second claim finds
    none)."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    from sla.services.escalation import escalations_fire_due

    rows = sql(
        "SELECT id, next_escalation_at FROM sla_clock WHERE next_escalation_at IS NOT NULL "
        "ORDER BY next_escalation_at LIMIT %s",
        [batch],
    )
    moment = rows[-1][1]
    samples: list[float] = []
    rungs = statements = 0
    for turn in range(rounds + 1):
        with transaction.atomic():
            if turn == 0:  # untimed: count the statements
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    rungs = escalations_fire_due(now=moment, batch_size=batch)
                statements = sum(
                    1
                    for query in captured.captured_queries
                    if not re.match(r"(SAVEPOINT|RELEASE|ROLLBACK|BEGIN)", query["sql"])
                )
            else:
                started = time.perf_counter()
                escalations_fire_due(now=moment, batch_size=batch)
                samples.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    figures = ms_figures(samples)
    per_rung = round(statistics.median(samples) / max(rungs, 1), 2)
    say(
        f"   {len(rows)} clocks, {rungs} rungs, {statements} statements "
        f"({statements / max(rungs, 1):.2f} a rung): {shown(figures)}, {per_rung} ms a rung"
    )
    return {
        "clocks": len(rows),
        "rungs": rungs,
        "statements": statements,
        "statements_per_rung": round(statements / max(rungs, 1), 2),
        "ms": figures,
        "ms_per_rung": per_rung,
        "rounds": rounds,
    }


# --- 3./4. The real worker and beat -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """redis-server, celery worker and beat started by this run, each in its own process group,
    so that stopping one stops exactly what it started."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = proc
        return proc.pid

    def stop(self, name: str, grace: float = 15.0) -> None:
        proc = self.running.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # A pool process that outlived its parent is still in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.running)[::-1]:
            self.stop(name)

    def tail(self, name: str, lines: int = 30) -> str:
        log = self.logs.get(name)
        if log is None or not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def wait_for_line(self, name: str, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.running[name]
            if self.logs[name].exists() and re.search(pattern, self.logs[name].read_text()):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not report {pattern!r}:\n{self.tail(name)}")


def start_redis(processes: Processes) -> int:
    port = free_port()
    redis_dir = processes.workdir / "redis"
    redis_dir.mkdir()
    processes.start(
        "redis",
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(redis_dir),
        ],
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return port
        except redis.ConnectionError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not start:\n{processes.tail('redis')}"
                ) from error
            time.sleep(0.05)


def celery_env(database_url: str, port: int, workdir: Path, period: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cc112.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
            "CC112_SLA_SWEEP_SECONDS": str(period),
            "DEBUG": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # beat's schedule file and the static root go here, not into the checkout's var/
            "CC112_VAR_DIR": str(workdir / "var"),
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "INFO",
        }
    )
    return env


def start_celery(
    processes: Processes,
    env: dict[str, str],
    tag: str,
    concurrency: int,
    queues: str = "escalations,celery",
) -> tuple[int, int]:
    """One worker and one beat; returns their pids once both are up."""
    celery = str(Path(sys.executable).parent / "celery")
    worker = processes.start(
        f"worker-{tag}",
        [
            celery,
            "-A",
            "cc112",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{tag}@%h",
        ],
        env,
    )
    processes.wait_for_line(f"worker-{tag}", r"ready\.", 60)
    beat = processes.start(
        f"beat-{tag}",
        [
            celery,
            "-A",
            "cc112",
            "beat",
            "--loglevel=INFO",
            "-s",
            str(processes.workdir / f"beat-{tag}-schedule"),
        ],
        env,
    )
    processes.wait_for_line(f"beat-{tag}", r"beat: Starting", 60)
    return worker, beat


def stop_celery(processes: Processes, tag: str) -> None:
    processes.stop(f"beat-{tag}")
    processes.stop(f"worker-{tag}")


SWEEP_LINE = re.compile(
    r"Task sla\.tasks\.sweep_escalations\[[^\]]+\] succeeded in ([0-9.e-]+)s: (\d+)"
)


def sweeps_in(processes: Processes, name: str) -> dict[str, Any]:
    """How many sweeps the worker ran, how long they took and how many rungs they fired."""
    text = processes.logs[name].read_text(errors="replace")
    found = [(float(s) * 1000, int(n)) for s, n in SWEEP_LINE.findall(text)]
    failed = len(re.findall(r"sweep_escalations\[[^\]]+\] raised", text))
    if not found:
        return {"sweeps": 0, "failed": failed}
    durations = [ms for ms, _ in found]
    return {
        "sweeps": len(found),
        "failed": failed,
        "fired": sum(n for _, n in found),
        "ms": ms_figures(durations),
    }


def due_count() -> int:
    from django.utils import timezone

    due = "SELECT count(*) FROM sla_clock WHERE next_escalation_at <= %s"
    return sql(due, [timezone.now()])[0][0]


def outbox_count() -> int:
    waiting = "SELECT count(*) FROM sla_notification WHERE email_status IN ('pending', 'sending')"
    return sql(waiting)[0][0]


def quiet(timeout: float) -> bool:
    """Wait until no clock is due and no email waits; False if that took over ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while due_count() or outbox_count():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def drain(timeout: float, processes: Processes, worker: str) -> float:
    """Seconds until no clock is due (the worker fired the backlog)."""
    started = time.perf_counter()
    while due_count():
        if sweeps_in(processes, worker)["failed"]:
            raise RuntimeError(f"a sweep failed:\n{processes.tail(worker, 60)}")
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the worker left {due_count():,} clocks due after {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def make_late(target: Target, count: int, window: float, lead: float, seed: int) -> dict[int, Any]:
    """Turn ``count`` stopped acknowledge clocks back into running ones whose first rung falls
    due at moments spread over ``window`` seconds from ``lead`` seconds on; clock id -> due."""
    from django.utils import timezone

    rng = random.Random(seed)
    ids = [
        row[0]
        for row in sql(
            "SELECT id FROM sla_clock WHERE state <> 'running' AND kind = 'acknowledge' "
            "ORDER BY hashint8(id + %s) LIMIT %s",
            [seed, count],
        )
    ]
    start = timezone.now()
    due = {pk: start + timedelta(seconds=lead + rng.uniform(0, window)) for pk in ids}
    sql(
        """
        UPDATE sla_clock AS c SET
            state = 'running', stopped_at = NULL, elapsed = NULL, started_at = %(start)s,
            target = v.due - %(start)s, due_at = v.due, next_level = 1,
            next_escalation_at = v.due, flagged_for_evaluation = false
        FROM unnest(%(ids)s::bigint[], %(due)s::timestamptz[]) AS v (id, due)
        WHERE c.id = v.id
        """,
        {"start": start, "ids": list(due), "due": list(due.values())},
    )
    return due


def watch_escalations(
    target: Target, due: dict[int, datetime], timeout: float
) -> dict[int, tuple[datetime, datetime, datetime]]:
    """Poll (own autocommit connection) until every clock's first escalation is committed;
    clock id -> (due_at, fired_at, first seen)."""
    from django.utils import timezone

    seen: dict[int, tuple[datetime, datetime, datetime]] = {}
    ids = list(due)
    deadline = time.monotonic() + timeout
    with target.connect(target.name) as conn:
        while len(seen) < len(ids) and time.monotonic() < deadline:
            rows = conn.execute(
                "SELECT clock_id, due_at, fired_at FROM sla_escalation "
                "WHERE clock_id = ANY(%s) AND level = 1 AND NOT clock_id = ANY(%s)",
                [ids, list(seen)],
            ).fetchall()
            now = timezone.now()
            for clock_id, due_at, fired_at in rows:
                seen[clock_id] = (due_at, fired_at, now)
            time.sleep(POLL_SECONDS)
    return seen


def measure_latency(
    target: Target,
    processes: Processes,
    env: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    period = args.period
    tag = "latency"
    worker, _beat = start_celery(processes, env, tag, args.concurrency)
    say(
        f"   worker (pid {worker}, {args.concurrency} pool processes) and beat up; "
        f"sweep every {period} s"
    )
    backlog = due_count()
    drained = drain(240, processes, f"worker-{tag}")
    say(f"   backlog of {backlog:,} due clocks fired in {drained:.1f} s")
    started = time.perf_counter()
    if not quiet(240):
        raise RuntimeError(f"{outbox_count():,} emails still waiting after 240 s")
    emailed = time.perf_counter() - started + drained
    say(f"   and their emails sent {emailed:.1f} s after the worker started")
    due = make_late(target, args.late_clocks, LATE_WINDOW, LATE_LEAD, args.seed)
    say(
        f"   {len(due)} clocks fall due over the next {LATE_WINDOW:.0f} s; watching their "
        "escalations commit"
    )
    seen = watch_escalations(target, due, LATE_LEAD + LATE_WINDOW + 30 + 3 * period)
    sweeps = sweeps_in(processes, f"worker-{tag}")
    stop_celery(processes, tag)
    committed = [(s - d).total_seconds() for d, _f, s in seen.values()]
    fired = [(f - d).total_seconds() for d, f, _s in seen.values()]
    commit_lag = [(s - f).total_seconds() * 1000 for _d, f, s in seen.values()]
    wrong_due = sum(
        1 for pk, (d, _f, _s) in seen.items() if abs((d - due[pk]).total_seconds()) > 1e-3
    )
    early = sum(1 for value in fired if value < 0)
    missing = len(due) - len(seen)
    result: dict[str, Any] = {
        "period_s": period,
        "clocks": len(due),
        "missing": missing,
        "early": early,
        "due_at_mismatch": wrong_due,
        "backlog": backlog,
        "backlog_drain_s": round(drained, 2),
        "backlog_emailed_s": round(emailed, 2),
        "sweeps": sweeps,
        "poll_ms": POLL_SECONDS * 1000,
    }
    if committed:
        result["committed_s"] = ms_figures(committed)
        result["fired_s"] = ms_figures(fired)
        result["commit_after_fired_ms"] = ms_figures(commit_lag)
        say(f"   committed - due_at: {shown(result['committed_s'], 's')}")
        say(f"   fired_at - due_at:  {shown(result['fired_s'], 's')}")
        say(f"   seen committed - fired_at: {shown(result['commit_after_fired_ms'])}")
    if "ms" in sweeps:
        say(
            f"   {sweeps['sweeps']} sweeps ({sweeps['failed']} failed), {sweeps['fired']} rungs "
            f"fired; a sweep took {shown(sweeps['ms'])}"
        )
    if missing or early or wrong_due:
        say(f"   !! {missing} never fired, {early} fired early, {wrong_due} with another due_at")
    return result


def make_storm(count: int, lead: float, seed: int) -> tuple[list[int], datetime]:
    """Turn ``count`` stopped clocks (acknowledge and on scene, agencies' clocks, so each rung
    tells a duty officer and the supervisor) back into running ones whose first rung falls due
    at one moment, ``lead`` seconds from now: an earthquake's hundreds of cases, or a backlog
    after an outage. Their later rungs are an hour away. Returns the ids and the moment."""
    from django.utils import timezone

    ids = [
        row[0]
        for row in sql(
            "SELECT id FROM sla_clock WHERE state <> 'running' AND agency_id IS NOT NULL "
            "ORDER BY hashint8(id + %s) LIMIT %s",
            [seed, count],
        )
    ]
    moment = timezone.now() + timedelta(seconds=lead)
    sql(
        """
        UPDATE sla_clock SET
            state = 'running', stopped_at = NULL, elapsed = NULL,
            started_at = %(moment)s::timestamptz - interval '2 hours', target = interval '2 hours',
            due_at = %(moment)s, next_level = 1, next_escalation_at = %(moment)s,
            flagged_for_evaluation = false, working_time = false
        WHERE id = ANY(%(ids)s)
        """,
        {"moment": moment, "ids": ids},
    )
    return ids, moment


def measure_storm(
    target: Target,
    processes: Processes,
    env: dict[str, str],
    args: argparse.Namespace,
    port: int,
) -> dict[str, Any]:
    """5,500 clocks fall due at one moment; one worker of ``--storm-concurrency`` pool processes
    on the sweep's queue (as production runs it: deliveries have their own worker, absent
    here, so their messages wait in Redis) with DEBUG off. Seconds from the moment to the last
    escalation committed, polled on an autocommit connection."""
    import redis
    from django.utils import timezone

    broker = redis.Redis(host="127.0.0.1", port=port)
    broker.flushall()
    tag = "storm"
    storm_env = {**env, "DEBUG": "false", "SECRET_KEY": "bench-only-" + "x" * 40}
    worker, _beat = start_celery(
        processes, storm_env, tag, args.storm_concurrency, queues="escalations"
    )
    backlog = due_count()
    drain(240, processes, f"worker-{tag}")
    before = sql("SELECT count(*) FROM sla_escalation")[0][0]
    ids, moment = make_storm(args.storm_clocks, STORM_LEAD, args.seed)
    say(
        f"   {len(ids):,} clocks fall due at once in {STORM_LEAD:.0f} s (backlog of {backlog:,} "
        f"fired first); worker pid {worker}, {args.storm_concurrency} pool processes, sweep "
        f"every {args.period} s"
    )
    done_at = None
    deadline = time.monotonic() + STORM_LEAD + 120
    with target.connect(target.name) as conn:
        while time.monotonic() < deadline:
            fired = conn.execute(
                "SELECT count(*) FROM sla_escalation WHERE clock_id = ANY(%s)", [ids]
            ).fetchone()[0]
            if fired >= len(ids):
                done_at = timezone.now()
                break
            time.sleep(POLL_SECONDS)
        first, last, notified = conn.execute(
            "SELECT min(e.fired_at), max(e.fired_at), count(n.id) FROM sla_escalation e "
            "LEFT JOIN sla_notification n ON n.escalation_id = e.id WHERE e.clock_id = ANY(%s)",
            [ids],
        ).fetchone()
    sweeps = sweeps_in(processes, f"worker-{tag}")
    queued = broker.llen("celery")
    stop_celery(processes, tag)
    escalations = sql("SELECT count(*) FROM sla_escalation")[0][0] - before
    result: dict[str, Any] = {
        "clocks": len(ids),
        "escalations": escalations,
        "notifications": notified,
        "deliveries_enqueued": queued,
        "concurrency": args.storm_concurrency,
        "period_s": args.period,
        "sweeps": sweeps,
    }
    if done_at is None:
        say(f"   !! only {escalations:,} of {len(ids):,} escalated after 120 s")
        return result
    result["seconds"] = round((done_at - moment).total_seconds(), 2)
    result["first_fired_after_s"] = round((first - moment).total_seconds(), 2)
    result["fired_over_s"] = round((last - first).total_seconds(), 2)
    say(
        f"   every rung committed {result['seconds']:.2f} s after the moment (first fired "
        f"after {result['first_fired_after_s']:.2f} s, firing took {result['fired_over_s']:.2f} "
        f"s); {notified:,} notifications, {queued:,} delivery messages waiting in the queue"
    )
    if "ms" in sweeps:
        say(
            f"   {sweeps['sweeps']} sweeps, {sweeps['fired']:,} rungs; a sweep took "
            f"{shown(sweeps['ms'])}"
        )
    return result


def set_pending(clocks: int, pending: int, due: int, window: float, seed: int) -> dict[str, Any]:
    """Reload the clocks with about ``pending`` of them running, their next rung 1-24 hours
    away, then make ``due`` of those fall due at moments over the next ``window`` seconds (their
    later rungs follow within twice that). A reload, not an UPDATE of a million rows: faster,
    and both runs start from an unbloated table with no escalation yet."""
    from django.utils import timezone

    started = time.perf_counter()
    load_clocks(clocks, 0, seed, open_share=pending / clocks, verbose=False)
    now = timezone.now()
    sql(
        """
        UPDATE sla_clock AS c SET
            started_at = %(now)s, target = p.wait, due_at = %(now)s::timestamptz + p.wait,
            next_level = 1, next_escalation_at = %(now)s::timestamptz + p.wait
        FROM (
            SELECT id, make_interval(secs => 1 + random() * %(window)s) AS wait
            FROM sla_clock WHERE state = 'running'
            ORDER BY hashint8(id + %(seed)s) LIMIT %(due)s
        ) AS p
        WHERE c.id = p.id
        """,
        {"now": now, "due": due, "window": window, "seed": seed},
    )
    count = sql("SELECT count(*) FROM sla_clock WHERE next_escalation_at IS NOT NULL")[0][0]
    return {"pending": count, "seconds": round(time.perf_counter() - started, 1)}


def status_kb(pid: int) -> dict[str, int]:
    figures = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return figures
    for key in ("VmHWM", "VmRSS"):
        found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
        if found:
            figures[key] = int(found.group(1))
    return figures


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def measure_memory(
    processes: Processes, env: dict[str, str], args: argparse.Namespace, port: int
) -> dict[str, Any]:
    import redis

    runs: dict[str, Any] = {}
    for pending in args.memory_sizes:
        redis.Redis(host="127.0.0.1", port=port).flushall()
        state = set_pending(args.clocks, pending, MEMORY_DUE, args.memory_seconds / 2, args.seed)
        tag = f"memory-{pending}"
        worker, _beat = start_celery(processes, env, tag, 1)
        pool = children_of(worker)
        began = time.perf_counter()
        time.sleep(args.memory_seconds)
        # Both runs end alike: every rung fired and every email sent, then a few idle sweeps.
        settled = quiet(MEMORY_SETTLE_TIMEOUT)
        time.sleep(3 * args.period)
        ran = time.perf_counter() - began
        main_kb, pool_kb = status_kb(worker), {pid: status_kb(pid) for pid in pool}
        left_due = due_count()
        sweeps = sweeps_in(processes, f"worker-{tag}")
        stop_celery(processes, tag)
        pool_hwm = max((kb.get("VmHWM", 0) for kb in pool_kb.values()), default=0)
        run = {
            **state,
            "worker_pid": worker,
            "pool_pids": pool,
            "worker_hwm_kb": main_kb.get("VmHWM", 0),
            "pool_hwm_kb": pool_hwm,
            "pool_rss_kb": max((kb.get("VmRSS", 0) for kb in pool_kb.values()), default=0),
            "still_due": left_due,
            "settled": settled,
            "ran_s": round(ran, 1),
            "sweeps": sweeps,
        }
        runs[str(pending)] = run
        say(
            f"   {state['pending']:,} pending (set in {state['seconds']:.1f} s): worker VmHWM "
            f"{run['worker_hwm_kb'] / 1024:.1f} MB, pool process VmHWM {pool_hwm / 1024:.1f} MB "
            f"over {ran:.0f} s, {sweeps.get('sweeps', 0)} sweeps firing "
            f"{sweeps.get('fired', 0)} rungs"
            + (f", a sweep took {shown(sweeps['ms'])}" if "ms" in sweeps else "")
        )
    small, large = (runs[str(n)] for n in (args.memory_sizes[0], args.memory_sizes[-1]))
    result: dict[str, Any] = {"runs": runs, "seconds_each": args.memory_seconds}
    if small["pool_hwm_kb"] and large["pool_hwm_kb"]:
        result["pool_ratio"] = round(large["pool_hwm_kb"] / small["pool_hwm_kb"], 4)
        result["worker_ratio"] = round(large["worker_hwm_kb"] / small["worker_hwm_kb"], 4)
        say(
            f"   peak RSS {args.memory_sizes[-1]:,} ÷ {args.memory_sizes[0]:,} pending: pool "
            f"process {result['pool_ratio']:.3f}, worker {result['worker_ratio']:.3f}"
        )
    return result


# --- Main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a --keep run left (its cases; the clocks are always reloaded)",
    )
    parser.add_argument("--clocks", type=int, default=CLOCKS)
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--due", type=int, default=DUE, help="clocks due when loaded")
    parser.add_argument("--reps", type=int, default=500, help="timed rounds of claims")
    parser.add_argument("--warmup", type=int, default=100, help="untimed rounds before")
    parser.add_argument("--sweep-rounds", type=int, default=5, help="timed in-process sweeps")
    parser.add_argument("--period", type=int, default=SWEEP_SECONDS, help="sweep period, s")
    parser.add_argument("--concurrency", type=int, default=2, help="pool of the latency worker")
    parser.add_argument("--late-clocks", type=int, default=LATE_CLOCKS)
    parser.add_argument("--memory-seconds", type=float, default=MEMORY_SECONDS)
    parser.add_argument("--storm-clocks", type=int, default=STORM_CLOCKS)
    parser.add_argument(
        "--storm-concurrency", type=int, default=2, help="pool of the storm's sweep worker"
    )
    parser.add_argument(
        "--memory-sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=list(MEMORY_SIZES),
        help="pending clocks of the two memory runs, smaller first",
    )
    parser.add_argument(
        "--phases",
        type=lambda text: set(text.split(",")),
        default=set(PHASES),
        help="which of these to run after loading (default: all): " + ",".join(PHASES),
    )
    parser.add_argument(
        "--logs", type=Path, help="keep redis', the workers' and beats' logs in this directory"
    )
    parser.add_argument("--seed", type=int, default=112)
    args = parser.parse_args(argv)

    target = bench_target()
    database_url = os.environ["DATABASE_URL"]
    began = time.perf_counter()
    report: dict[str, Any] = {"database": target.name}
    processes: Processes | None = None
    if args.phases - set(PHASES):
        fail(f"--phases: unknown {sorted(args.phases - set(PHASES))}; use {','.join(PHASES)}")
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="cc112-bench-sla-", dir=args.logs))
    else:
        workdir = Path(tempfile.mkdtemp(prefix="cc112-bench-sla-"))

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
        server = sql("SHOW server_version")[0][0]
        report["postgres"] = server
        say(f"cc112 SLA benchmark · PostgreSQL {server} · {target.name}")

        say(f"\n-- 1. {args.cases:,} cases, then {args.clocks:,} clocks")
        report["cases"] = load_cases(args.cases, args.seed, fresh)
        report["load"] = load_clocks(args.clocks, args.due, args.seed)

        report["load_average"] = {"loaded": load_average()}

        if "claim" in args.phases:
            say(
                f"\n-- 2. claiming {BATCH} due clocks: {args.warmup} warm-up and {args.reps} "
                f"timed rounds, each of {len(CLAIM_FORMS) - 1} forms (load {load_average()})"
            )
            claim = time_claims(args.reps, args.warmup, BATCH)
            report["claim"] = {k: v for k, v in claim.items() if k not in ("plan", "sql")}
            report["load_average"]["claim"] = load_average()
            say(f"\n== EXPLAIN (ANALYZE, BUFFERS) of the claim\n{claim['plan']}")

        if "sweep" in args.phases:
            say(
                f"\n-- 2b. one batch of {BATCH} due clocks fired in process by "
                f"escalations_fire_due, rolled back; {args.sweep_rounds} timed rounds "
                f"(load {load_average()})"
            )
            report["sweep"] = time_sweeps(args.sweep_rounds, BATCH)
            report["load_average"]["sweep"] = load_average()

        if args.phases & {"latency", "memory", "storm"}:
            processes = Processes(workdir)
            port = start_redis(processes)
            env = celery_env(database_url, port, workdir, args.period)
        if "latency" in args.phases:
            say(
                "\n-- 3. breach to escalation with a real worker and beat "
                f"(redis :{port}, load {load_average()})"
            )
            report["latency"] = measure_latency(target, processes, env, args)
            report["load_average"]["latency"] = load_average()
        if "memory" in args.phases:
            sizes = " and ".join(f"{n:,}" for n in args.memory_sizes)
            say(
                f"\n-- 4. worker memory with {sizes} pending clocks, one pool process "
                f"(load {load_average()})"
            )
            report["memory"] = measure_memory(processes, env, args, port)
            report["load_average"]["memory"] = load_average()
        if "storm" in args.phases:
            say(
                f"\n-- 5. a storm: {args.storm_clocks:,} clocks due at one moment "
                f"(load {load_average()})"
            )
            report["storm"] = measure_storm(target, processes, env, args, port)
            report["load_average"]["storm"] = load_average()
    finally:
        if processes is not None:
            processes.stop_all()
        if args.logs:
            say(f"\nlogs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep and "django" in sys.modules:
            drop_database(target)

    targets: dict[str, Any] = {}
    if "claim" in report:
        targets["claim_p95_ms_max"] = TARGET_CLAIM_P95_MS
        targets["claim_p95_met"] = report["claim"]["ms"]["p95"] <= TARGET_CLAIM_P95_MS
    latency = report.get("latency")
    if latency:
        limit = args.period + 1.0
        targets["escalation_p99_s_max"] = limit
        targets["escalation_p99_met"] = bool(
            "committed_s" in latency
            and not latency["missing"]
            and latency["committed_s"]["p99"] <= limit
        )
        targets["escalation_fired_p99_met"] = bool(
            "fired_s" in latency and not latency["missing"] and latency["fired_s"]["p99"] <= limit
        )
    memory = report.get("memory")
    if memory:
        targets["memory_ratio_max"] = 1 + TARGET_MEMORY_RATIO
        targets["memory_met"] = bool(
            "pool_ratio" in memory
            and abs(memory["pool_ratio"] - 1) <= TARGET_MEMORY_RATIO
            and abs(memory["worker_ratio"] - 1) <= TARGET_MEMORY_RATIO
        )
    storm = report.get("storm")
    if storm:
        targets["storm_s_max"] = TARGET_STORM_S
        targets["storm_met"] = bool(
            storm.get("seconds") is not None and storm["seconds"] <= TARGET_STORM_S
        )
    report["targets"] = targets
    report["seconds"] = round(time.perf_counter() - began, 1)
    say("\n== targets")
    for name, value in targets.items():
        if name.endswith("_met"):
            say(f"   {name:<28} {'ok' if value else 'MISSED'}")
    say(f"\ntotal {report['seconds']:.0f} s")
    print(json.dumps(report, separators=(",", ":"), sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
