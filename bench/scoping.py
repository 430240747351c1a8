"""What the one scoping rule costs on PostgreSQL: a page of the case list at 50k and 200k cases.

Run from the project root (the database named in the URL is dropped and created again)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench .venv/bin/python bench/scoping.py

1. Re-create the bench database named by DATABASE_URL and migrate it.
2. Build the network through the services: the 112 centre and 14 partners, the default
   categories, operators, supervisors and each partner's staff.
3. For each size: load calls, cases, dispatches, notes, shares and guardian's grants with COPY,
   create one more case through the services as a parity check, then VACUUM ANALYZE.
4. Time a 50-row page of the case list (the first, and a deep one) for police, PLN and BMKG
   staff: unscoped, through ``Incident.objects.visible_to`` and through guardian's
   ``get_objects_for_user``.
5. Print the figures and the plans, end with one JSON line, and drop the database unless
   ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ is sys.path[0]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings_test")

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

    from bench.caseload import LoadFigures

# Databases this script never creates, drops or writes to, whatever DATABASE_URL says.
PROTECTED_DATABASES = frozenset({"cc112", "test_cc112", "postgres", "template0", "template1"})
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})

SIZES = (50_000, 200_000)
PAGE = 50
DEEP_OFFSET = 1000
# What the portal's case list (IncidentAdmin) asks for: Meta.ordering and list_select_related.
CASE_LIST_ORDERING = ("-received_at",)
CASE_LIST_RELATED = ("category", "operator")
VIEW_INCIDENT = "incidents.view_incident"
TARGET_SCOPED_OVER_UNSCOPED = 2.5
TARGET_GROWTH = 1.25
# Staff whose case lists are timed: the busiest partner and two of the quietest.
MEASURED_AGENCIES = ("polresta", "pln", "bmkg")


def fail(message: str) -> None:
    print(f"bench/scoping.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- The bench database --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    user: str
    password: str
    host: str
    port: str

    def connect(self, dbname: str) -> Any:
        import psycopg

        return psycopg.connect(
            dbname=dbname,
            user=self.user or None,
            password=self.password or None,
            host=self.host or None,
            port=self.port or None,
            autocommit=True,
        )


def bench_target() -> Target:
    """The database DATABASE_URL names, if it is PostgreSQL and clearly a throw-away one."""
    import environ

    url = os.environ.get("DATABASE_URL", "")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in POSTGRES_SCHEMES:
        fail(
            "this benchmark measures PostgreSQL's planner and runs on PostgreSQL only; set "
            "DATABASE_URL=postgres://USER@HOST:PORT/cc112_bench "
            f"(got {scheme or 'nothing'!r})."
        )
    config = environ.Env.db_url_config(url)
    if config.get("ENGINE") != "django.db.backends.postgresql":
        fail(f"DATABASE_URL does not name a PostgreSQL database: {config.get('ENGINE')!r}.")
    name = str(config.get("NAME") or "")
    if name in PROTECTED_DATABASES or "bench" not in name:
        fail(
            f"refusing to drop and re-create database {name!r}: the bench database's name must "
            "contain 'bench' (e.g. cc112_bench), and is never cc112 or test_cc112."
        )
    return Target(
        name=name,
        user=str(config.get("USER") or ""),
        password=str(config.get("PASSWORD") or ""),
        host=str(config.get("HOST") or ""),
        port=str(config.get("PORT") or ""),
    )


def recreate_database(target: Target, settings: dict[str, str]) -> None:
    """Drop and create the bench database; ``settings`` become its planner defaults."""
    with target.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.name}"')
        for name, value in settings.items():
            conn.execute(f'ALTER DATABASE "{target.name}" SET {name} = {value}')


def planner_setting(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` for ALTER DATABASE ... SET, e.g. random_page_cost=1.1."""
    name, _, value = text.partition("=")
    if not re.fullmatch(r"[a-z_]+", name) or not re.fullmatch(r"[A-Za-z0-9_.]+", value):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. random_page_cost=1.1: {text}")
    return name, value


def drop_database(target: Target) -> None:
    from django.db import connections

    connections.close_all()
    with target.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')


# --- Timing -------------------------------------------------------------------------------------

# Who asks, per variant: the agency's staff member (no personal grant, like nearly every agency
# user), or its head, who also holds one case shared with them in person.
VARIANTS = {
    "unscoped": "staff",
    "scoped": "staff",
    "scoped_personal": "head",
    "guardian_stock": "staff",
    "guardian_objects": "staff",
}


def case_list(variant: str, user: AbstractBaseUser) -> QuerySet:
    """The case list's queryset, before ordering and paging, in each compared form."""
    from guardian.shortcuts import get_objects_for_user

    from incidents.models import Incident

    if variant == "unscoped":
        return Incident.objects.all()
    if variant in ("scoped", "scoped_personal"):
        return Incident.objects.visible_to(user)
    if variant == "guardian_stock":
        return get_objects_for_user(user, VIEW_INCIDENT, Incident.objects.all())
    # Object permissions only: what guardian gives once the role's model-wide view_incident
    # (agencies.roles) is not taken to mean "every case".
    return get_objects_for_user(
        user, VIEW_INCIDENT, Incident.objects.all(), accept_global_perms=False
    )


def fetch_page(variant: str, user: AbstractBaseUser, offset: int) -> list:
    queryset = case_list(variant, user).select_related(*CASE_LIST_RELATED)
    return list(queryset.order_by(*CASE_LIST_ORDERING)[offset : offset + PAGE])


class Timing(TypedDict):
    p50: float
    p95: float
    rows: int


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def time_page(
    users: dict[str, AbstractBaseUser], offset: int, reps: int, warmup: int
) -> tuple[dict[str, Timing], dict[str, bool]]:
    """p50/p95 in ms of each variant's page; the variants take turns, so drift hits all alike."""
    variants = list(VARIANTS)
    asker = {v: users[role] for v, role in VARIANTS.items()}
    samples: dict[str, list[float]] = {v: [] for v in variants}
    pages = {v: [obj.pk for obj in fetch_page(v, asker[v], offset)] for v in variants}
    for _round in range(warmup):
        for variant in variants:
            fetch_page(variant, asker[variant], offset)
    for rep in range(reps):
        for variant in variants[rep % len(variants) :] + variants[: rep % len(variants)]:
            started = time.perf_counter()
            fetch_page(variant, asker[variant], offset)
            samples[variant].append((time.perf_counter() - started) * 1000)
    timings = {
        v: Timing(
            p50=round(statistics.median(samples[v]), 3),
            p95=round(percentile(samples[v], 0.95), 3),
            rows=len(pages[v]),
        )
        for v in variants
    }
    head_objects = [obj.pk for obj in fetch_page("guardian_objects", users["head"], offset)]
    checks = {
        "scoped_equals_guardian_objects": pages["scoped"] == pages["guardian_objects"]
        and pages["scoped_personal"] == head_objects,
        "guardian_stock_is_unscoped": pages["guardian_stock"] == pages["unscoped"],
    }
    return timings, checks


def member(code: str, role: str) -> AbstractBaseUser:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"{code}.{role}")


def measure(reps: int, warmup: int) -> dict[str, Any]:
    """Both pages of each measured agency's list."""
    results: dict[str, Any] = {}
    for code in MEASURED_AGENCIES:
        users = {"staff": member(code, "staff"), "head": member(code, "head")}
        visible = case_list("scoped", users["staff"]).count()
        # The deep page is page 21, or the last full page of an agency that sees fewer cases.
        pages = {"first": 0, "deep": max(0, min(DEEP_OFFSET, visible - PAGE))}
        results[code] = {"visible": visible, "pages": {}}
        for page, offset in pages.items():
            timings, checks = time_page(users, offset, reps, warmup)
            unscoped, scoped = timings["unscoped"]["p50"], timings["scoped"]["p50"]
            results[code]["pages"][page] = {
                "offset": offset,
                "ms": timings,
                "scoped_over_unscoped": round(scoped / unscoped, 2),
                "scoped_personal_over_unscoped": round(
                    timings["scoped_personal"]["p50"] / unscoped, 2
                ),
                "guardian_objects_over_scoped": round(
                    timings["guardian_objects"]["p50"] / scoped, 1
                ),
                **checks,
            }
            print(f"   {code:>9} {page:>5} page timed", flush=True)
    return results


def explain(code: str, offset: int) -> str:
    from incidents.models import Incident

    queryset = (
        Incident.objects.visible_to(member(code, "staff"))
        .select_related(*CASE_LIST_RELATED)
        .order_by(*CASE_LIST_ORDERING)[offset : offset + PAGE]
    )
    return queryset.explain(analyze=True, buffers=True)


# --- Report -------------------------------------------------------------------------------------


def print_size(count: int, figures: LoadFigures, results: dict[str, Any]) -> None:
    total = figures["incidents"]
    print(
        f"\n== {total:,} cases · {figures['dispatches']:,} dispatches "
        f"({figures['dispatches'] / total:.2f} a case) · {figures['group_grants']:,} agency "
        f"grants · {figures['user_grants']:,} person grants · {figures['calls']:,} calls · "
        f"{figures['shares']:,} shares · {figures['notes']:,} notes"
    )
    print("   statuses: " + ", ".join(f"{s} {n:,}" for s, n in figures["statuses"].items()))
    print(
        "   dispatches: "
        + ", ".join(f"{c} {n:,}" for c, n in figures["dispatches_per_agency"].items())
    )
    header = (
        f"   {'agency':<8} {'page':<9} {'sees':>6} │ {'unscoped':>13} │ {'visible_to':>13} "
        f"{'÷uns':>5} │ {'+1 personal':>13} {'÷uns':>5} │ {'guard. stock':>13} │ "
        f"{'guard. objects':>14} {'÷vis':>6} │ rows"
    )
    print(header)
    print("   " + "─" * (len(header) - 3))
    for code, result in results.items():
        for page, row in result["pages"].items():
            ms = row["ms"]

            def cell(variant: str, ms: dict = ms) -> str:
                return f"{ms[variant]['p50']:6.2f}/{ms[variant]['p95']:6.2f}"

            print(
                f"   {code:<8} {page + '@' + str(row['offset']):<9} {result['visible']:>6,} │ "
                f"{cell('unscoped')} │ {cell('scoped')} {row['scoped_over_unscoped']:5.2f} │ "
                f"{cell('scoped_personal')} {row['scoped_personal_over_unscoped']:5.2f} │ "
                f"{cell('guardian_stock')} │ {cell('guardian_objects'):>14} "
                f"{row['guardian_objects_over_scoped']:5.1f}× │ "
                f"{'same' if row['scoped_equals_guardian_objects'] else 'DIFFER'}"
            )
    print(
        "   ms p50/p95 of list(qs[offset:offset+50]), select_related(category, operator), "
        "ordered by -received_at.\n"
        "   visible_to: staff without a personal grant; +1 personal: the agency head, who also\n"
        "   holds one case in person; guard. stock: get_objects_for_user(user, "
        f"{VIEW_INCIDENT!r}, ...);\n"
        "   guard. objects: the same with accept_global_perms=False; rows: visible_to's pages "
        "against guardian's."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reps", type=int, default=40, help="timed repetitions per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds before timing")
    parser.add_argument("--seed", type=int, default=112)
    parser.add_argument(
        "--sizes", default=",".join(str(s) for s in SIZES), help="case counts, smallest first"
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=planner_setting,
        default=[],
        metavar="NAME=VALUE",
        help="a planner setting for the bench database, e.g. random_page_cost=1.1",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    settings = dict(args.settings)

    target = bench_target()
    started = time.perf_counter()
    recreate_database(target, settings)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        shown = ", ".join(f"{n}={v}" for n, v in settings.items()) or "server defaults"
        print(f"cc112 scoping benchmark · PostgreSQL {server} · {target.name} · {shown}")
        from bench.caseload import LoadRefused, build_network, load

        network = build_network()
        report: dict[str, Any] = {"postgres": server, "page": PAGE, "reps": args.reps}
        report["settings"] = settings
        report["sizes"] = {}
        plans: list[tuple[str, str]] = []
        for count in sizes:
            print(f"\n-- {count:,} cases", flush=True)
            try:
                figures = load(network, count, args.seed)
            except LoadRefused as refused:
                fail(f"the loaded rows are not what the services write: {refused}.")
            results = measure(args.reps, args.warmup)
            report["sizes"][str(count)] = {"load": figures, "agencies": results}
            print_size(count, figures, results)
            if count == sizes[-1]:
                small = MEASURED_AGENCIES[-1]
                deep = results[small]["pages"]["deep"]["offset"]
                plans.append((f"{small} staff, first page, {count:,} cases", explain(small, 0)))
                plans.append(
                    (f"{small} staff, page at offset {deep}, {count:,} cases", explain(small, deep))
                )
                plans.append(
                    (
                        f"polresta staff, page at offset {DEEP_OFFSET}, {count:,} cases",
                        explain("polresta", DEEP_OFFSET),
                    )
                )
        summarise(report, sizes, plans)
        report["seconds"] = round(time.perf_counter() - started, 1)
        print(f"\ntotal {report['seconds']:.0f} s")
    finally:
        if not args.keep:
            drop_database(target)
    print(json.dumps(report, separators=(",", ":"), sort_keys=True))
    return 0


def summarise(report: dict[str, Any], sizes: list[int], plans: list[tuple[str, str]]) -> None:
    """The ratios against the targets, each one named, then the plans."""
    ratios: dict[str, float] = {}
    for count in sizes:
        for code, result in report["sizes"][str(count)]["agencies"].items():
            for page, figures in result["pages"].items():
                ratios[f"{count}/{code}/{page}"] = figures["scoped_over_unscoped"]
    growth: dict[str, float] = {}
    if len(sizes) > 1:
        small, large = report["sizes"][str(sizes[0])], report["sizes"][str(sizes[-1])]
        for code in MEASURED_AGENCIES:
            for page in ("first", "deep"):
                before = small["agencies"][code]["pages"][page]["ms"]["scoped"]["p50"]
                after = large["agencies"][code]["pages"][page]["ms"]["scoped"]["p50"]
                growth[f"{code}/{page}"] = round(after / before, 2)
    correct = all(
        figures["scoped_equals_guardian_objects"]
        for size in report["sizes"].values()
        for result in size["agencies"].values()
        for figures in result["pages"].values()
    )
    report["scoped_over_unscoped"] = ratios
    report["growth_scoped"] = growth
    first_ratios = [r for name, r in ratios.items() if name.endswith("/first")]
    first_growth = [g for name, g in growth.items() if name.endswith("/first")]
    report["targets"] = {
        "scoped_over_unscoped_max": TARGET_SCOPED_OVER_UNSCOPED,
        "scoped_over_unscoped_met": all(r <= TARGET_SCOPED_OVER_UNSCOPED for r in ratios.values()),
        "scoped_over_unscoped_met_first_pages": all(
            r <= TARGET_SCOPED_OVER_UNSCOPED for r in first_ratios
        ),
        "growth_max": TARGET_GROWTH,
        "growth_met": bool(growth) and all(g <= TARGET_GROWTH for g in growth.values()),
        "growth_met_first_pages": bool(first_growth)
        and all(g <= TARGET_GROWTH for g in first_growth),
        "scoped_rows_match_guardian": correct,
    }
    print("\n== targets")
    for name, ratio in ratios.items():
        verdict = "ok" if ratio <= TARGET_SCOPED_OVER_UNSCOPED else "MISSED"
        print(f"   visible_to ÷ unscoped  {name:<22} {ratio:6.2f}  (≤ 2.5)  {verdict}")
    for name, ratio in growth.items():
        verdict = "ok" if ratio <= TARGET_GROWTH else "MISSED"
        label = f"{sizes[-1]:,} ÷ {sizes[0]:,}"
        print(f"   visible_to {label}  {name:<14} {ratio:6.2f}  (≤ 1.25)  {verdict}")
    print(f"   visible_to returns guardian's object-permission rows: {'yes' if correct else 'NO'}")
    for title, plan in plans:
        print(f"\n== EXPLAIN (ANALYZE, BUFFERS) visible_to · {title}\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
