"""What the period report and the scorecards cost on PostgreSQL at Jakarta's scale.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_reports \
        .venv/bin/python bench/reports.py

1. Create the database, migrate it, build the network through the services and load a year of
   200,000 cases with ``bench.caseload`` (as ``bench/sla.py`` does). Then, in SQL, the clocks the
   workflow services would have started and stopped for them (one operator's clock per case,
   acknowledge and on-scene per dispatch, stopped by the dispatch's own timestamps) and the
   rungs of the ladder those clocks reached; with COPY, the calls that never became cases, up
   to about 640,000 calls in the year in Jakarta's 2024 mix; in SQL, each case's history rows
   (created, dispatched, in progress, resolved, closed) and a correction on 2 % of them.
   VACUUM ANALYZE.
2. Time ``period_report`` for the year and for the last quarter, ``operator_scorecard`` of the
   busiest operator for the last full month and for the year, and ``agency_report`` of the
   busiest agency for the year: warm-up, then timed repetitions. Count each one's SQL
   statements, time each statement, and print the slowest ones' ``EXPLAIN (ANALYZE, BUFFERS)``.
3. Print the table and the targets (year report p50 <= 2 s, scorecard p50 <= 200 ms); end with
   one JSON line, and drop the database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")

from bench.scoping import bench_target  # noqa: E402
from bench.sla import (  # noqa: E402
    CLOCK_ORPHANS_SQL,
    SECONDARY_INDEXES_SQL,
    drop_database,
    load_average,
    load_cases,
    ms_figures,
    reset_database,
    say,
    sql,
)

CASES = 200_000
# Jakarta Siaga 112, 2024 (DOMAIN.md): 637,292 calls, 6,317 emergencies, about 23 % pranks,
# 370,817 dropped. The rest (113,581) is split as the demo splits ghost, misdial and
# information calls (90 : 45 : 100).
CALLS = 640_000
JAKARTA_NON_CASE = {
    "dropped": 370_817,
    "prank": 146_577,
    "ghost": 43_499,
    "misdial": 21_750,
    "information": 48_332,
}
CORRECTED_SHARE = 0.02
TARGET_REPORT_MS = 2000.0
TARGET_SCORECARD_MS = 200.0
STATEMENTS_SHOWN = 5


def fail(message: str) -> None:
    print(f"bench/reports.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- Clocks and their escalations ---------------------------------------------------------------

# The clocks the workflow services leave (sla/services/clocks.py), derived from the loaded rows:
# - the operator's (dispatch) clock of each case, from T0 = received_at: answered by the first
#   dispatch (met or breached); a case closed or cancelled without one drops it (withdrawn);
#   otherwise it still runs;
# - each dispatch's acknowledge clock, from T1 = dispatched_at: answered by acknowledging (or
#   declining); cancelled before that: breached if already late, else withdrawn;
# - each dispatch's on-scene clock: answered on scene (or by a resolution without a scene
#   visit); dropped when declined; cancelled as above.
# Targets are the general rows sla_install_defaults wrote, the clocks count real time. A
# running clock points at its first rung still ahead; a clock is flagged once a flagging rung
# fell due while it ran. Ids follow their start.
CLOCKS_SQL = """
INSERT INTO sla_clock (
    id, incident_id, dispatch_id, kind, agency_id, operator_id, target, working_time,
    started_at, due_at, state, stopped_at, elapsed, next_level, next_escalation_at,
    flagged_for_evaluation
)
WITH source AS (
    SELECT i.id AS incident_id, NULL::bigint AS dispatch_id, 'dispatch'::text AS kind,
           NULL::bigint AS agency_id, i.operator_id, i.priority, i.received_at AS began,
           coalesce(i.first_dispatched_at, i.closed_at) AS stop_at,
           CASE WHEN i.first_dispatched_at IS NOT NULL THEN 'answered'
                WHEN i.closed_at IS NOT NULL THEN 'dropped' END AS how
    FROM incidents_incident AS i
    UNION ALL
    SELECT d.incident_id, d.id, 'acknowledge', d.agency_id, NULL, i.priority, d.dispatched_at,
           CASE WHEN d.acknowledged_at IS NOT NULL THEN d.acknowledged_at
                WHEN d.status IN ('declined', 'cancelled') THEN d.closed_at END,
           CASE WHEN d.acknowledged_at IS NOT NULL OR d.status = 'declined' THEN 'answered'
                WHEN d.status = 'cancelled' THEN 'cancelled' END
    FROM incidents_dispatch AS d
    JOIN incidents_incident AS i ON i.id = d.incident_id
    UNION ALL
    SELECT d.incident_id, d.id, 'on_scene', d.agency_id, NULL, i.priority, d.dispatched_at,
           CASE WHEN coalesce(d.on_scene_at, d.resolved_at) IS NOT NULL
                    THEN coalesce(d.on_scene_at, d.resolved_at)
                WHEN d.status IN ('declined', 'cancelled') THEN d.closed_at END,
           CASE WHEN coalesce(d.on_scene_at, d.resolved_at) IS NOT NULL THEN 'answered'
                WHEN d.status = 'declined' THEN 'dropped'
                WHEN d.status = 'cancelled' THEN 'cancelled' END
    FROM incidents_dispatch AS d
    JOIN incidents_incident AS i ON i.id = d.incident_id
), timed AS (
    SELECT s.*, t.target,
           CASE WHEN s.how IS NOT NULL THEN greatest(s.stop_at, s.began) END AS stopped,
           CASE WHEN s.how IS NOT NULL THEN greatest(s.stop_at, s.began) - s.began END AS took
    FROM source AS s
    JOIN sla_target AS t
      ON t.kind = s.kind AND t.priority = s.priority
     AND t.category_id IS NULL AND t.agency_id IS NULL
)
SELECT
    row_number() OVER (ORDER BY began, incident_id, kind),
    incident_id, dispatch_id, kind, agency_id, operator_id, target, false,
    began, began + target,
    CASE WHEN how IS NULL THEN 'running'
         WHEN how = 'answered' THEN CASE WHEN took > target THEN 'breached' ELSE 'met' END
         WHEN how = 'cancelled' THEN CASE WHEN took > target THEN 'breached' ELSE 'withdrawn' END
         ELSE 'withdrawn' END,
    stopped,
    took,
    nxt.level,
    began + target * nxt.percent / 100.0,
    EXISTS (
        SELECT 1 FROM sla_escalationstep AS e
        WHERE e.flags_for_evaluation
          AND began + target * e.percent / 100.0 < coalesce(stopped, %(now)s)
    )
FROM timed
LEFT JOIN LATERAL (
    SELECT e.level, e.percent FROM sla_escalationstep AS e
    WHERE began + target * e.percent / 100.0 >= %(now)s
    ORDER BY e.level LIMIT 1
) AS nxt ON how IS NULL
ORDER BY 1
"""
# Every rung that fell due while its clock ran fired, within the sweep's two seconds.
ESCALATIONS_SQL = """
INSERT INTO sla_escalation (clock_id, level, percent, due_at, fired_at, flags_for_evaluation)
SELECT c.id, e.level, e.percent, due.at, due.at + random() * interval '2 seconds',
       e.flags_for_evaluation
FROM sla_clock AS c
CROSS JOIN sla_escalationstep AS e
CROSS JOIN LATERAL (SELECT c.started_at + c.target * e.percent / 100.0 AS at) AS due
WHERE due.at < coalesce(c.stopped_at, %(now)s)
ORDER BY 5, 1
"""


def load_clocks(seed: int) -> dict[str, Any]:
    """Empty the clock tables and derive every case's clocks and fired rungs from its rows."""
    from django.db import transaction
    from django.utils import timezone

    started = time.perf_counter()
    with transaction.atomic():
        sql("TRUNCATE sla_notification, sla_escalation, sla_clock RESTART IDENTITY CASCADE")
        # As bench/sla.py: secondary indexes built after the rows, foreign-key triggers
        # skipped (every parent id comes from a join on its table; CLOCK_ORPHANS_SQL checks).
        indexes = sql(SECONDARY_INDEXES_SQL, ["sla_clock"])
        for name, _definition in indexes:
            sql(f'DROP INDEX "{name}"')
        sql("SET LOCAL work_mem = '512MB'")
        sql("SET LOCAL maintenance_work_mem = '512MB'")
        sql("SET LOCAL session_replication_role = replica")
        sql("SELECT setseed(%s)", [(seed % 1000) / 1000])
        now = timezone.now()
        sql(CLOCKS_SQL, {"now": now})
        sql(ESCALATIONS_SQL, {"now": now})
        sql("SET LOCAL session_replication_role = origin")
        for _name, definition in indexes:
            sql(definition)
        orphans = sql(CLOCK_ORPHANS_SQL)[0]
        if any(orphans):
            fail(f"clocks without their case/dispatch/agency/operator: {orphans}")
        for table in ("sla_clock", "sla_escalation"):
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
    census = {
        f"{kind}.{state}": n
        for kind, state, n in sql(
            "SELECT kind, state, count(*) FROM sla_clock GROUP BY 1, 2 ORDER BY 1, 2"
        )
    }
    figures = {
        "clocks": sum(census.values()),
        "states": census,
        "escalations": sql("SELECT count(*) FROM sla_escalation")[0][0],
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(
        f"   {figures['clocks']:,} clocks and {figures['escalations']:,} fired rungs in "
        f"{figures['seconds']:.1f} s"
    )
    for kind in ("dispatch", "acknowledge", "on_scene"):
        states = {k.split(".")[1]: n for k, n in census.items() if k.startswith(kind + ".")}
        say(f"     {kind:<12} " + ", ".join(f"{s} {n:,}" for s, n in states.items()))
    return figures


# --- Calls that never became cases --------------------------------------------------------------


def non_case_calls(
    count: int,
    operators: Sequence[int],
    first_id: int,
    now: datetime,
    seed: int,
    first_identity: int = 1,
) -> tuple[list[tuple], list[tuple], Counter[str]]:
    """``count`` calls over the 365 days up to ``now``, in Jakarta's mix of outcomes, each
    outcome's hours of day as the demo draws them, spread over the centre's operators; with
    the callers' identities (their numbers) the calls point at, ids from ``first_identity``."""
    from bench.caseload import identity_row
    from incidents.demo.figures import CALL_SECONDS, HOURS, NON_CASE_CALLS
    from incidents.demo.period import AMBON_TZ
    from incidents.demo.texts import MOBILE_PREFIXES

    rng = random.Random(seed)
    profile = {str(outcome): HOURS[hours] for outcome, *_rest, hours in NON_CASE_CALLS}
    whole = sum(JAKARTA_NON_CASE.values())
    local_now = now.astimezone(AMBON_TZ)
    first_day = (local_now - timedelta(days=364)).replace(hour=0, minute=0, second=0, microsecond=0)
    drawn: list[tuple[datetime, str]] = []
    outcomes = list(JAKARTA_NON_CASE)
    for position, outcome in enumerate(outcomes):
        if position == len(outcomes) - 1:
            n = count - len(drawn)
        else:
            n = round(count * JAKARTA_NON_CASE[outcome] / whole)
        hours = rng.choices(range(24), profile[outcome], k=n)
        for hour in hours:
            local = local_now
            while local >= local_now:
                local = first_day + timedelta(
                    days=rng.randrange(365), hours=hour, seconds=rng.uniform(0, 3600)
                )
            drawn.append((local.astimezone(UTC), outcome))
    drawn.sort()
    rows = []
    identities = []
    for number, (answered_at, outcome) in enumerate(drawn, start=first_id):
        low, high = CALL_SECONDS[outcome]
        ended_at = answered_at + timedelta(seconds=rng.uniform(low, high))
        caller = ""
        if outcome != "ghost" or rng.random() < 0.5:  # a silent line often hides its number
            caller = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        caller_id = None
        if caller:
            caller_id = first_identity + len(identities)
            # A call that opened no case is released at once (retention counts from it).
            identities.append(identity_row(caller_id, "", caller, answered_at, ended_at))
        rows.append(
            (number, rng.choice(operators), answered_at, ended_at, caller_id, outcome, "", ended_at)
        )
    return rows, identities, Counter(outcome for _at, outcome in drawn)


def load_calls(total: int, seed: int) -> dict[str, Any]:
    """COPY the calls that never became cases, then rewrite the table in answered_at order (as
    a year of calls recorded one at a time lies on disk)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.caseload import CALL_COLUMNS, IDENTITY_COLUMNS, copy_rows
    from incidents.models import Call, CallerIdentity

    started = time.perf_counter()
    case_calls = Call.objects.filter(outcome="incident").count()
    operators = sorted(
        Call.objects.filter(outcome="incident").values_list("operator_id", flat=True).distinct()
    )
    count = max(total - case_calls, 0)
    first_id = (Call.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_identity = (
        CallerIdentity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    rows, identities, mix = non_case_calls(
        count, operators, first_id, timezone.now(), seed, first_identity
    )
    planned = time.perf_counter() - started
    with transaction.atomic():
        copy_rows(CallerIdentity._meta.db_table, IDENTITY_COLUMNS, identities)
        copy_rows(Call._meta.db_table, CALL_COLUMNS, rows)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Call, CallerIdentity]):
                cursor.execute(statement)
    index = sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'incidents_call' AND indexdef LIKE %s",
        ["%(answered_at)"],
    )[0][0]
    sql(f'CLUSTER incidents_call USING "{index}"')
    figures = {
        "case_calls": case_calls,
        "non_case_calls": len(rows),
        "calls": Call.objects.count(),
        "mix": dict(mix.most_common()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(
        f"   {len(rows):,} calls that never became cases beside {case_calls:,} case calls: "
        f"{figures['calls']:,} in all, in {figures['seconds']:.1f} s (drawn in {planned:.1f} s): "
        + ", ".join(f"{k} {v:,}" for k, v in mix.most_common())
    )
    return figures


# --- Case history -------------------------------------------------------------------------------

# Each case's history as the services write it: created; moved to dispatched at the first
# dispatch, in progress at the first acknowledgement, resolved, closed or cancelled; and a
# correction on CORRECTED_SHARE of the cases, by the operator or a supervisor a few minutes
# after the case was created. Every row is a copy of the case as it stands now (the columns
# the report reads do not change over a case's life, bar the status), in time order.
HISTORY_SQL = """
INSERT INTO incidents_historicalincident ({columns})
WITH acked AS (
    SELECT incident_id, min(acknowledged_at) AS at
    FROM incidents_dispatch WHERE acknowledged_at IS NOT NULL GROUP BY incident_id
), events AS (
    SELECT i.id, '+' AS kind, 'case created' AS reason, i.received_at AS at,
           i.operator_id AS actor
    FROM incidents_incident AS i
    UNION ALL
    SELECT i.id, '~', 'dispatched', i.first_dispatched_at, i.operator_id
    FROM incidents_incident AS i WHERE i.first_dispatched_at IS NOT NULL
    UNION ALL
    SELECT a.incident_id, '~', 'acknowledged', a.at, NULL FROM acked AS a
    UNION ALL
    SELECT i.id, '~', 'resolved', i.resolved_at, NULL
    FROM incidents_incident AS i WHERE i.resolved_at IS NOT NULL
    UNION ALL
    SELECT i.id, '~', CASE i.status WHEN 'cancelled' THEN 'cancelled: ' ELSE 'closed' END,
           i.closed_at, i.closed_by_id
    FROM incidents_incident AS i WHERE i.closed_at IS NOT NULL
    UNION ALL
    SELECT i.id, '~',
           'corrected: ' || (ARRAY['kecamatan', 'location_text', 'priority', 'category',
                                    'caller_phone', 'description'])[1 + abs(hashint8(i.id) %% 6)],
           i.received_at + make_interval(secs => 60 + abs(hashint8(i.id + 1)) %% 1800),
           CASE WHEN hashint8(i.id + 2) %% 3 = 0 THEN %(supervisor)s ELSE i.operator_id END
    FROM incidents_incident AS i
    WHERE abs(hashint8(i.id + %(seed)s)) %% 10000 < %(corrected)s
)
SELECT {values}
FROM events AS e
JOIN incidents_incident AS i ON i.id = e.id
ORDER BY e.at, e.id
"""
HISTORY_FIELDS = {
    "history_id": "row_number() OVER (ORDER BY e.at, e.id)",
    "history_date": "e.at",
    "history_change_reason": "e.reason",
    "history_type": "e.kind",
    "history_user_id": "e.actor",
}


def load_history(seed: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    started = time.perf_counter()
    columns = [
        name
        for (name,) in sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'incidents_historicalincident' "
            "ORDER BY ordinal_position"
        )
    ]
    case_columns = {
        name
        for (name,) in sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'incidents_incident'"
        )
    }
    values = []
    for name in columns:
        if name in HISTORY_FIELDS:
            values.append(HISTORY_FIELDS[name])
        elif name in case_columns:
            values.append(f"i.{name}")
        else:
            fail(f"incidents_historicalincident.{name}: neither a case column nor history's")
    supervisor = (
        get_user_model().objects.filter(username="supervisor1").values_list("pk", flat=True).get()
    )
    statement = HISTORY_SQL.format(columns=", ".join(columns), values=", ".join(values))
    with transaction.atomic():
        sql("TRUNCATE incidents_historicalincident RESTART IDENTITY")
        sql("SET LOCAL work_mem = '512MB'")
        sql(
            statement,
            {"supervisor": supervisor, "seed": seed, "corrected": round(CORRECTED_SHARE * 10000)},
        )
        sql(
            "SELECT setval(pg_get_serial_sequence('incidents_historicalincident', 'history_id'), "
            "max(history_id)) FROM incidents_historicalincident"
        )
    rows = dict(
        sql(
            "SELECT CASE WHEN history_change_reason LIKE 'corrected%%' THEN 'corrections' "
            "ELSE history_type END, count(*) FROM incidents_historicalincident GROUP BY 1"
        )
    )
    figures = {
        "rows": sum(rows.values()),
        "created": rows.get("+", 0),
        "changes": rows.get("~", 0),
        "corrections": rows.get("corrections", 0),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(
        f"   {figures['rows']:,} history rows ({figures['created']:,} created, "
        f"{figures['changes']:,} status moves, {figures['corrections']:,} corrections) in "
        f"{figures['seconds']:.1f} s"
    )
    return figures


# --- Timing -------------------------------------------------------------------------------------


def statements_of(work: Callable[[], Any]) -> list[dict[str, Any]]:
    """Run ``work`` once with the statements captured: each one's SQL (parameters in) and ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()
    return [
        {"sql": query["sql"], "ms": round(float(query["time"]) * 1000, 2)}
        for query in captured.captured_queries
    ]


def explain(statement: str) -> list[str]:
    return [line for (line,) in sql("EXPLAIN (ANALYZE, BUFFERS) " + statement)]


def plan_summary(plan: Sequence[str]) -> str:
    """The top node's line and the execution time."""
    top = plan[0].strip()
    executed = next((line for line in plan if line.startswith("Execution Time")), "")
    return f"{top} · {executed}"


def short(statement: str, width: int = 150) -> str:
    text = re.sub(r"\s+", " ", statement)
    text = re.sub(r'"[a-z_]+"\."([a-z_]+)"', r"\1", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def first_card(operator: Any, period: Any) -> Any:
    """A scorecard as the first of a meeting gets it: the centre's figures not yet kept."""
    from django.core.cache import cache

    from sla.scorecards import operator_scorecard

    cache.clear()
    return operator_scorecard(operator, period)


def time_it(work: Callable[[], Any], warmup: int, reps: int) -> dict[str, Any]:
    for _ in range(warmup):
        work()
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1000)
    return ms_figures(samples)


def measure(
    name: str, label: str, work: Callable[[], Any], warmup: int, reps: int, plans: int
) -> dict[str, Any]:
    figures = time_it(work, warmup, reps)
    statements = statements_of(work)
    ranked = sorted(statements, key=lambda s: -s["ms"])
    say(
        f"   {label:<44} p50 {figures['p50']:>8.1f} · p95 {figures['p95']:>8.1f} · "
        f"max {figures['max']:>8.1f} ms (n={figures['n']}) · {len(statements)} statements "
        f"(load {load_average()})"
    )
    slowest = []
    for position, statement in enumerate(ranked[:STATEMENTS_SHOWN]):
        entry = {"ms": statement["ms"], "sql": short(statement["sql"], 400)}
        if position < plans:
            plan = explain(statement["sql"])
            entry["plan"] = plan_summary(plan)
            entry["plan_lines"] = plan
        slowest.append(entry)
        say(f"     {statement['ms']:>8.1f} ms  {short(statement['sql'])}")
    return {
        "label": label,
        "ms": figures,
        "statements": len(statements),
        "statements_ms": round(sum(s["ms"] for s in statements), 1),
        "slowest": slowest,
        "name": name,
    }


def last_full_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


# --- Main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a --keep run left, with everything it loaded",
    )
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--calls", type=int, default=CALLS, help="calls in the year, in all")
    parser.add_argument("--report-reps", type=int, default=15)
    parser.add_argument("--card-reps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before each")
    parser.add_argument("--seed", type=int, default=112)
    args = parser.parse_args(argv)

    target = bench_target()
    began = time.perf_counter()
    report: dict[str, Any] = {"database": target.name}
    try:
        fresh = reset_database(target, reuse=args.reuse)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.db.models import Count
        from django.utils import timezone

        from agencies.models import Agency
        from incidents.models import Call, Dispatch
        from sla.models import Clock
        from sla.reports import _totals, period_report
        from sla.scorecards import Period, agency_report, operator_scorecard

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        server = sql("SHOW server_version")[0][0]
        report["postgres"] = server
        report["settings"] = {
            name: sql(f"SHOW {name}")[0][0]
            for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit")
        }
        say(f"cc112 reports benchmark · PostgreSQL {server} · {target.name}")

        loading = time.perf_counter()
        say(f"\n-- 1. {args.cases:,} cases, their clocks, {args.calls:,} calls, history")
        load: dict[str, Any] = {"cases": load_cases(args.cases, args.seed, fresh)}
        reused = not fresh and Clock.objects.count() > 1000
        if reused:
            say("   reusing the clocks, calls and history of the kept database")
        else:
            load["clocks"] = load_clocks(args.seed)
            load["calls"] = load_calls(args.calls, args.seed)
            load["history"] = load_history(args.seed)
            started = time.perf_counter()
            sql("VACUUM (ANALYZE)")
            load["vacuum_seconds"] = round(time.perf_counter() - started, 1)
            say(f"   VACUUM (ANALYZE) in {load['vacuum_seconds']:.1f} s")
        load["seconds"] = round(time.perf_counter() - loading, 1)
        load["totals"] = {
            "incidents": sql("SELECT count(*) FROM incidents_incident")[0][0],
            "dispatches": Dispatch.objects.count(),
            "calls": Call.objects.count(),
            "clocks": Clock.objects.count(),
            "history": sql("SELECT count(*) FROM incidents_historicalincident")[0][0],
        }
        load["sizes_mb"] = {
            table: round(sql("SELECT pg_total_relation_size(%s)", [table])[0][0] / 2**20, 1)
            for table in (
                "incidents_call",
                "incidents_incident",
                "incidents_dispatch",
                "sla_clock",
                "incidents_historicalincident",
            )
        }
        report["load"] = load
        say(
            f"   loaded in {load['seconds']:.0f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in load["totals"].items())
        )

        # The periods: the loaded year (the 365 days up to today, in the centre's zone), its
        # last 91 days, and the last full month.
        today = timezone.localdate()
        year = Period.of_days(today - timedelta(days=364), today)
        quarter = Period.of_days(today - timedelta(days=90), today)
        month = Period.of_days(*last_full_month(today))
        user_model = get_user_model()
        busiest = (
            Call.objects.filter(answered_at__gte=year.start, answered_at__lt=year.end)
            .order_by()
            .values_list("operator_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        operator = user_model.objects.get(pk=busiest[0])
        agency_id = (
            Dispatch.objects.filter(dispatched_at__gte=year.start, dispatched_at__lt=year.end)
            .order_by()
            .values_list("agency_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()[0]
        )
        agency = Agency.objects.get(pk=agency_id)
        report["subjects"] = {
            "year": [str(year.start), str(year.end)],
            "quarter": [str(quarter.start), str(quarter.end)],
            "month": [str(month.start), str(month.end)],
            "operator": operator.get_username(),
            "operator_calls_year": busiest[1],
            "agency": agency.code,
        }
        say(
            f"   year {year.start:%Y-%m-%d} – {year.end:%Y-%m-%d}, quarter from "
            f"{quarter.start:%Y-%m-%d}, month {month.start:%Y-%m-%d}; operator "
            f"{operator.get_username()} ({busiest[1]:,} calls in the year), agency {agency.code}"
        )

        say(
            f"\n-- 2. timing: {args.warmup} warm-up runs, then {args.report_reps} (reports) or "
            f"{args.card_reps} (scorecards) timed ones; each one's statements, slowest first"
        )
        runs = [
            ("report_year", "period_report(year)", lambda: period_report(year), "report", 3),
            (
                "report_quarter",
                "period_report(quarter)",
                lambda: period_report(quarter),
                "report",
                0,
            ),
            (
                "totals_year",
                "  _totals(year): a previous year as full",
                lambda: _totals(year),
                "report",
                0,
            ),
            (
                "scorecard_month",
                f"operator_scorecard({operator.get_username()}, month)",
                lambda: operator_scorecard(operator, month),
                "card",
                2,
            ),
            (
                "scorecard_year",
                f"operator_scorecard({operator.get_username()}, year)",
                lambda: operator_scorecard(operator, year),
                "card",
                2,
            ),
            (
                "scorecard_month_first",
                "  the month's first card (the centre's figures counted too)",
                lambda: first_card(operator, month),
                "card",
                0,
            ),
            (
                "scorecard_year_first",
                "  the year's first card (the centre's figures counted too)",
                lambda: first_card(operator, year),
                "card",
                0,
            ),
            (
                "agency_year",
                f"agency_report({agency.code}, year)",
                lambda: agency_report(agency, year),
                "report",
                1,
            ),
        ]
        timings: dict[str, Any] = {}
        for name, label, work, kind, plans in runs:
            reps = args.report_reps if kind == "report" else args.card_reps
            timings[name] = measure(name, label, work, args.warmup, reps, plans)
        report["timings"] = {
            name: {k: v for k, v in figures.items() if k not in ("slowest", "name")}
            | {"slowest": [{k: v for k, v in s.items() if k != "plan_lines"}
                           for s in figures["slowest"]]}
            for name, figures in timings.items()
        }  # fmt: skip
        for name in ("report_year", "scorecard_month", "scorecard_year", "agency_year"):
            for position, statement in enumerate(timings[name]["slowest"]):
                if "plan_lines" not in statement:
                    continue
                say(
                    f"\n== EXPLAIN (ANALYZE, BUFFERS), {timings[name]['label']}, statement "
                    f"{position + 1} ({statement['ms']:.1f} ms): {short(statement['sql'], 200)}"
                )
                for line in statement["plan_lines"]:
                    say(f"   {line}")
        report["load_average"] = load_average()
    finally:
        if not args.keep and "django" in sys.modules:
            drop_database(target)

    t = report["timings"]
    adjusted = t["report_year"]["ms"]["p50"] + t["totals_year"]["ms"]["p50"]
    targets = {
        "report_year_p50_ms_max": TARGET_REPORT_MS,
        "report_year_met": t["report_year"]["ms"]["p50"] <= TARGET_REPORT_MS,
        "report_year_with_full_previous_ms": round(adjusted, 1),
        "report_year_with_full_previous_met": adjusted <= TARGET_REPORT_MS,
        "scorecard_p50_ms_max": TARGET_SCORECARD_MS,
        "scorecard_month_met": t["scorecard_month"]["ms"]["p50"] <= TARGET_SCORECARD_MS,
        "scorecard_year_met": t["scorecard_year"]["ms"]["p50"] <= TARGET_SCORECARD_MS,
    }
    report["targets"] = targets
    report["seconds"] = round(time.perf_counter() - began, 1)
    say("\n== figures (ms)")
    say(f"   {'':<46} {'p50':>9} {'p95':>9} {'max':>9} {'SQL':>4}  target")
    goals = {
        "report_year": TARGET_REPORT_MS,
        "scorecard_month": TARGET_SCORECARD_MS,
        "scorecard_year": TARGET_SCORECARD_MS,
    }
    for name, figures in t.items():
        goal = goals.get(name)
        verdict = ""
        if goal:
            verdict = f"p50 ≤ {goal:.0f}: " + ("met" if figures["ms"]["p50"] <= goal else "MISSED")
        say(
            f"   {figures['label']:<46} {figures['ms']['p50']:>9.1f} {figures['ms']['p95']:>9.1f} "
            f"{figures['ms']['max']:>9.1f} {figures['statements']:>4}  {verdict}"
        )
    say(
        f"   {'year report + a previous year as full':<46} {adjusted:>9.1f} "
        f"{'':>9} {'':>9} {'':>4}  p50 ≤ {TARGET_REPORT_MS:.0f}: "
        + ("met" if targets["report_year_with_full_previous_met"] else "MISSED")
    )
    say(f"\ntotal {report['seconds']:.0f} s (loading {report['load']['seconds']:.0f} s)")
    print(json.dumps(report, separators=(",", ":"), sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
