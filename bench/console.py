"""What the call screen costs on PostgreSQL with a year of calls: a million calls, 200,000 cases.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_console \\
        .venv/bin/python bench/console.py

1. Create the database, migrate it, load the network and 200,000 cases of a year through
   ``bench.caseload`` (as ``bench/reports.py`` does), then the calls that never became cases up
   to 1,000,000 calls in Jakarta's 2024 mix. Callers repeat: a fifth of the calls come from 2,000
   numbers (the pranksters and the regulars a real centre knows), typed as people type them.
   Then 300 open cases of the last hour around the city, some at the same kelurahan and point.
   VACUUM ANALYZE.
2. Time, in process (the server's work of each request, no HTTP):
   - the caller's history as the screen asks for it while a number is typed: the frequent
     callers' full numbers, and prefixes of 7 to 10 digits;
   - the duplicate hints for a category and a kelurahan, and for a point (500 m);
   - the one submit that opens a case and dispatches it to two agencies, and the call screen's
     whole POST through Django's handler (form, service, redirect);
   beside baselines in the same run: one call fetched by its primary key through the ORM (for
   the lookups), and ``incident_create`` alone (for the submit).
3. Print the figures and the targets (each p95 ≤ 30 ms for the lookups, ≤ 60 ms for the submit);
   end with one JSON line, and drop the database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")

from bench.scoping import bench_target  # noqa: E402
from bench.sla import (  # noqa: E402
    drop_database,
    load_average,
    load_cases,
    ms_figures,
    reset_database,
    say,
    shown,
    sql,
)

CASES = 200_000
CALLS = 1_000_000
FREQUENT_CALLERS = 2_000
FREQUENT_SHARE = 0.2
RECENT_CASES = 300
TARGET_LOOKUP_P95_MS = 30.0
TARGET_SUBMIT_P95_MS = 60.0

# The frequent callers' numbers, as the calls' rows hold them (typed in one of the ways people
# type a number); the key is what the screen looks them up by.
FREQUENT_SQL = """
WITH frequent AS (
    SELECT n, '08' || (11 + n %% 89)::text || lpad((abs(hashint8(n + %(seed)s)) %% 100000000)::text,
                                                 8, '0') AS local
    FROM generate_series(1, %(callers)s) AS n
)
UPDATE incidents_calleridentity AS i
SET phone = f.local, key = '62' || substr(f.local, 2), had_phone = true
FROM incidents_call AS c, frequent AS f
WHERE c.caller_id = i.id
  AND f.n = 1 + abs(hashint8(c.id + %(seed)s)) %% %(callers)s
  AND abs(hashint8(c.id)) %% 10000 < %(share)s
"""


def fail(message: str) -> None:
    print(f"bench/console.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def load_frequent_callers(seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    sql(
        FREQUENT_SQL,
        {"seed": seed, "callers": FREQUENT_CALLERS, "share": int(FREQUENT_SHARE * 10000)},
    )
    rows = sql(
        "SELECT i.key, count(*) FROM incidents_call c JOIN incidents_calleridentity i "
        "ON i.id = c.caller_id WHERE i.key LIKE '628%%' "
        "GROUP BY i.key ORDER BY count(*) DESC LIMIT %s",
        [FREQUENT_CALLERS],
    )
    figures = {
        "numbers": len(rows),
        "calls_of_the_busiest": rows[0][1] if rows else 0,
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(
        f"   {FREQUENT_SHARE:.0%} of the calls moved to {FREQUENT_CALLERS:,} frequent numbers "
        f"(the busiest called {figures['calls_of_the_busiest']:,} times) in "
        f"{figures['seconds']:.1f} s"
    )
    return figures


def load_recent_cases(count: int, seed: int) -> list[Any]:
    """Open cases of the last hour through the service, around Ambon's centre: what the
    duplicate hints search among. A reused database is topped up to ``count``: each run adding
    its own would make the hints' figures drift from run to run."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from incidents.models import Category, Incident
    from incidents.services import incident_create

    count -= Incident.objects.filter(
        received_at__gte=timezone.now() - timedelta(hours=1), location_text__startswith="Bench "
    ).count()
    rng = random.Random(seed)
    operator = get_user_model().objects.filter(memberships__role="operator").order_by("pk").first()
    categories = list(Category.objects.active())
    places = [("Sirimau", "Batu Merah"), ("Sirimau", "Honipopu"), ("Nusaniwe", "Benteng")]
    places += [("Baguala", "Passo"), ("Teluk Ambon", "Rumah Tiga")]
    created = []
    for n in range(count):
        kecamatan, kelurahan = rng.choice(places)
        created.append(
            incident_create(
                actor=operator,
                category=rng.choice(categories),
                location_text=f"Bench {n}",
                description="Kasus untuk bench",
                kecamatan=kecamatan,
                kelurahan=kelurahan,
                latitude=Decimal(f"{-3.70 + rng.uniform(-0.02, 0.02):.6f}"),
                longitude=Decimal(f"{128.18 + rng.uniform(-0.02, 0.02):.6f}"),
                received_at=None,
            )
        )
    return created


def time_ms(work: Callable[[], Any], reps: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        work()
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return ms_figures(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a database a --keep run left")
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--submit-reps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
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
        from django.db import connection, transaction
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from agencies.models import Agency
        from bench.reports import load_calls
        from incidents.console import answered_token, caller_history, duplicate_hints
        from incidents.models import Call, Category, Incident
        from incidents.services import incident_create, incident_create_and_dispatch

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        server = sql("SHOW server_version")[0][0]
        report["postgres"] = server
        say(f"cc112 call-screen benchmark · PostgreSQL {server} · {target.name}")

        say(f"\n-- 1. {args.cases:,} cases, {args.calls:,} calls, frequent callers")
        loading = time.perf_counter()
        load: dict[str, Any] = {"cases": load_cases(args.cases, args.seed, fresh)}
        if fresh or Call.objects.count() < args.calls // 2:
            load["calls"] = load_calls(args.calls, args.seed)
            load["frequent"] = load_frequent_callers(args.seed)
        load["recent_open_cases_added"] = len(load_recent_cases(RECENT_CASES, args.seed))
        sql("VACUUM (ANALYZE)")
        load["seconds"] = round(time.perf_counter() - loading, 1)
        load["totals"] = {"calls": Call.objects.count(), "incidents": Incident.objects.count()}
        report["load"] = load
        say(
            f"   loaded in {load['seconds']:.0f} s: {load['totals']['calls']:,} calls, "
            f"{load['totals']['incidents']:,} cases"
        )

        operator = (
            get_user_model().objects.filter(memberships__role="operator").order_by("pk").first()
        )
        rng = random.Random(args.seed)
        frequent = [
            row[0]
            for row in sql(
                "SELECT i.phone FROM incidents_call c JOIN incidents_calleridentity i "
                "ON i.id = c.caller_id WHERE i.key LIKE '628%%' "
                "GROUP BY i.phone ORDER BY count(*) DESC LIMIT 200"
            )
        ]
        typed = [number[:size] for number in frequent for size in (8, 9, 10, 11)]
        ids = [row[0] for row in sql("SELECT id FROM incidents_call ORDER BY random() LIMIT 500")]
        categories = list(Category.objects.active())
        recent = list(
            Incident.objects.filter(received_at__gte=timezone.now() - timedelta(hours=1))
            .exclude(latitude=None)
            .values_list("category_id", "kelurahan", "latitude", "longitude")
        )
        by_id = {c.pk: c for c in categories}
        police = Agency.objects.get(code="polresta")
        health = Agency.objects.get(code="dinkes")

        say(f"\n-- 2. timing, {args.reps} rounds each (load {load_average()})")
        figures: dict[str, Any] = {}
        figures["baseline_call_by_pk"] = time_ms(
            lambda: Call.objects.filter(pk=rng.choice(ids)).first(), args.reps, args.warmup
        )
        figures["caller_history_full_number"] = time_ms(
            lambda: caller_history(operator, rng.choice(frequent)), args.reps, args.warmup
        )
        figures["caller_history_typing"] = time_ms(
            lambda: caller_history(operator, rng.choice(typed)), args.reps, args.warmup
        )

        def by_place() -> Any:
            category_id, kelurahan, _lat, _lon = rng.choice(recent)
            return duplicate_hints(operator, category=by_id[category_id], kelurahan=kelurahan)

        def by_point() -> Any:
            category_id, _kelurahan, lat, lon = rng.choice(recent)
            return duplicate_hints(
                operator, category=by_id[category_id], latitude=lat, longitude=lon
            )

        figures["duplicates_by_kelurahan"] = time_ms(by_place, args.reps, args.warmup)
        figures["duplicates_by_point"] = time_ms(by_point, args.reps, args.warmup)

        case = {
            "location_text": "Jl. Sultan Hairun",
            "description": "Kecelakaan lalu lintas",
            "caller_phone": "081234567890",
            "kecamatan": "Sirimau",
            "kelurahan": "Honipopu",
        }

        def create_alone() -> Any:
            with transaction.atomic():
                incident_create(actor=operator, category=rng.choice(categories), **case)
                transaction.set_rollback(True)

        def create_and_dispatch() -> Any:
            with transaction.atomic():
                incident_create_and_dispatch(
                    actor=operator,
                    agencies=[police, health],
                    category=rng.choice(categories),
                    received_at=timezone.now() - timedelta(seconds=30),
                    **case,
                )
                transaction.set_rollback(True)

        client = Client()
        client.force_login(operator)
        screen = reverse("admin:incidents_answer")

        def screen_post() -> Any:
            with transaction.atomic():
                response = client.post(
                    screen,
                    {
                        "token": answered_token(operator, timezone.now() - timedelta(seconds=30)),
                        "category": rng.choice(categories).pk,
                        "agencies": [police.pk, health.pk],
                        **case,
                    },
                )
                assert response.status_code == 302, response.content[:500]
                transaction.set_rollback(True)
            # The browser shows the flash message on the page it is sent to, which empties the
            # messages cookie; without that, every round carried all the earlier ones.
            client.cookies.pop("messages", None)

        reps = args.submit_reps
        figures["baseline_incident_create"] = time_ms(create_alone, reps, args.warmup)
        figures["create_and_dispatch"] = time_ms(create_and_dispatch, reps, args.warmup)
        figures["screen_post"] = time_ms(screen_post, reps, args.warmup)
        for name, value in figures.items():
            say(f"   {name:<28} {shown(value)}")

        base = figures["baseline_call_by_pk"]["p50"]
        ratios = {
            name: round(figures[name]["p50"] / base, 2)
            for name in (
                "caller_history_full_number",
                "caller_history_typing",
                "duplicates_by_kelurahan",
                "duplicates_by_point",
            )
        }
        ratios["create_and_dispatch"] = round(
            figures["create_and_dispatch"]["p50"] / figures["baseline_incident_create"]["p50"], 2
        )
        report["figures"] = figures
        report["ratios_p50"] = ratios
        say("\n   p50 ÷ baseline: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
        lookups = (
            "caller_history_full_number",
            "caller_history_typing",
            "duplicates_by_kelurahan",
            "duplicates_by_point",
        )
        report["targets"] = {
            "lookup_p95_ms_max": TARGET_LOOKUP_P95_MS,
            "submit_p95_ms_max": TARGET_SUBMIT_P95_MS,
            "caller_history_met": all(
                figures[name]["p95"] <= TARGET_LOOKUP_P95_MS for name in lookups[:2]
            ),
            "duplicates_met": all(
                figures[name]["p95"] <= TARGET_LOOKUP_P95_MS for name in lookups[2:]
            ),
            "create_and_dispatch_met": figures["create_and_dispatch"]["p95"]
            <= TARGET_SUBMIT_P95_MS,
            "screen_post_met": figures["screen_post"]["p95"] <= TARGET_SUBMIT_P95_MS,
        }
        report["load_average"] = load_average()
    finally:
        if not args.keep and "django" in sys.modules:
            drop_database(target)
    report["seconds"] = round(time.perf_counter() - began, 1)
    say("\n== targets")
    for name, value in report.get("targets", {}).items():
        if name.endswith("_met"):
            say(f"   {name:<28} {'ok' if value else 'MISSED'}")
    print(json.dumps(report, separators=(",", ":"), sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
