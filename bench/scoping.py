"""What the one scoping rule costs on PostgreSQL: a page of the case list at 50k and 200k cases.

Run from the project root (databases named after the one in the URL are dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench .venv/bin/python bench/scoping.py

1. Create one database per size, named after the URL's (``cc112_bench_50000``,
   ``cc112_bench_200000``): migrate the first, build the network in it through the services
   (the 112 centre and 14 partners, the default categories, operators, supervisors and each
   partner's staff), and copy it as the template of the others.
2. Into each: load calls, cases, dispatches, notes, shares and guardian's grants with COPY,
   create one more case through the services as a parity check, then VACUUM ANALYZE.
3. With every size loaded, time a 50-row page of the case list (the first, and a deep one) for
   police, PLN and BMKG staff: unscoped, through ``Incident.objects.visible_to`` and through
   guardian's ``get_objects_for_user``. The sizes and the forms take turns within each round,
   one Django database alias per size, so drift of the machine hits all of them alike.
4. Print the figures, the growth between sizes raw and divided by the unscoped page's growth
   in the same rounds, and the plans; end with one JSON line, and drop the databases unless
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
    from django.db.models import Model, QuerySet

    from bench.caseload import LoadFigures

# Databases this script never creates, drops or writes to, whatever DATABASE_URL says.
PROTECTED_DATABASES = frozenset({"cc112", "test_cc112", "postgres", "template0", "template1"})
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})
MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1, in bytes

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
PAGES = ("first", "deep")


def fail(message: str) -> None:
    print(f"bench/scoping.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- The bench databases -------------------------------------------------------------------------


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


def refuse_unless_bench(name: str) -> None:
    if name in PROTECTED_DATABASES or "bench" not in name:
        fail(
            f"refusing to drop and re-create database {name!r}: the bench database's name must "
            "contain 'bench' (e.g. cc112_bench), and is never cc112 or test_cc112."
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
    refuse_unless_bench(name)
    return Target(
        name=name,
        user=str(config.get("USER") or ""),
        password=str(config.get("PASSWORD") or ""),
        host=str(config.get("HOST") or ""),
        port=str(config.get("PORT") or ""),
    )


def size_databases(target: Target, sizes: Sequence[int]) -> dict[int, str]:
    """One database per size, named after the URL's: cc112_bench -> cc112_bench_50000."""
    names = {count: f"{target.name}_{count}" for count in sizes}
    for name in names.values():
        refuse_unless_bench(name)
        if len(name.encode()) > MAX_IDENTIFIER:
            fail(f"database name {name!r} is longer than PostgreSQL's {MAX_IDENTIFIER} bytes.")
    return names


def create_database(
    target: Target, name: str, settings: dict[str, str], template: str | None = None
) -> None:
    """Drop and create a bench database (a copy of ``template``, if given); ``settings`` become
    its planner defaults."""
    with target.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        for setting, value in settings.items():
            conn.execute(f'ALTER DATABASE "{name}" SET {setting} = {value}')


def planner_setting(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` for ALTER DATABASE ... SET, e.g. random_page_cost=1.1."""
    name, _, value = text.partition("=")
    if not re.fullmatch(r"[a-z_]+", name) or not re.fullmatch(r"[A-Za-z0-9_.]+", value):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. random_page_cost=1.1: {text}")
    return name, value


def drop_databases(target: Target, names: Sequence[str]) -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    with target.connect("postgres") as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PinnedRouter:
    """Sends every query that names no database to the pinned alias.

    ``.using(alias)`` covers the case list's own query, but not the lookups made on the way:
    the user's membership and personal grants (``visible_to``), guardian's permission checks.
    Without a router those go to ``default``.
    """

    alias: str | None = None

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return self.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return self.alias


ROUTER = PinnedRouter()


def alias_of(count: int) -> str:
    return f"size_{count}"


def configure_databases(names: dict[int, str]) -> None:
    """Before django.setup(): ``default`` on the first size's database (the loader and the
    services write through it), one alias per size for the timing, and the pinning router."""
    from django.conf import settings

    base = settings.DATABASES["default"]
    first = next(iter(names.values()))
    databases = {"default": {**base, "NAME": first}}
    databases.update({alias_of(count): {**base, "NAME": name} for count, name in names.items()})
    settings.DATABASES = databases
    settings.DATABASE_ROUTERS = [ROUTER]


def point_default_at(name: str) -> None:
    """Load the next size through ``default``: close its connection and rename its database."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name
    ContentType.objects.clear_cache()


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


def case_list(variant: str, alias: str, user: AbstractBaseUser) -> QuerySet:
    """The case list's queryset in one size's database, before ordering and paging, in each
    compared form."""
    from guardian.shortcuts import get_objects_for_user

    from incidents.models import Incident

    cases = Incident.objects.using(alias)
    if variant == "unscoped":
        return cases.all()
    if variant in ("scoped", "scoped_personal"):
        return cases.visible_to(user)
    if variant == "guardian_stock":
        return get_objects_for_user(user, VIEW_INCIDENT, cases.all())
    # Object permissions only: what guardian gives once the role's model-wide view_incident
    # (agencies.roles) is not taken to mean "every case".
    return get_objects_for_user(user, VIEW_INCIDENT, cases.all(), accept_global_perms=False)


def fetch_page(variant: str, alias: str, user: AbstractBaseUser, offset: int) -> list:
    ROUTER.alias = alias
    try:
        queryset = case_list(variant, alias, user).select_related(*CASE_LIST_RELATED)
        return list(queryset.order_by(*CASE_LIST_ORDERING)[offset : offset + PAGE])
    finally:
        ROUTER.alias = None


class Timing(TypedDict):
    p50: float
    p95: float
    rows: int


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def rotated(items: list, turn: int) -> list:
    turn %= len(items)
    return items[turn:] + items[:turn]


def time_page(
    aliases: dict[int, str],
    users: dict[int, dict[str, AbstractBaseUser]],
    offsets: dict[int, int],
    reps: int,
    warmup: int,
) -> dict[int, tuple[dict[str, Timing], dict[str, bool]]]:
    """p50/p95 in ms of each variant's page in each size's database, per size.

    Interleaved: each round times every variant, in an order that turns from round to round,
    and each variant in every size back to back, the size that goes first alternating. A
    variant's figures at two sizes are thus taken seconds apart, in the same rounds as the
    unscoped page they are divided by.
    """
    variants, counts = list(VARIANTS), list(aliases)

    def run(variant: str, count: int) -> list:
        user = users[count][VARIANTS[variant]]
        return fetch_page(variant, aliases[count], user, offsets[count])

    pages = {(v, c): [obj.pk for obj in run(v, c)] for v in variants for c in counts}
    for _round in range(warmup):
        for variant in variants:
            for count in counts:
                run(variant, count)
    samples: dict[tuple[str, int], list[float]] = {key: [] for key in pages}
    for rep in range(reps):
        for variant in rotated(variants, rep):
            for count in rotated(counts, rep):
                started = time.perf_counter()
                run(variant, count)
                samples[variant, count].append((time.perf_counter() - started) * 1000)
    measured = {}
    for count in counts:
        timings = {
            v: Timing(
                p50=round(statistics.median(samples[v, count]), 3),
                p95=round(percentile(samples[v, count], 0.95), 3),
                rows=len(pages[v, count]),
            )
            for v in variants
        }
        head = users[count]["head"]
        head_objects = [
            obj.pk for obj in fetch_page("guardian_objects", aliases[count], head, offsets[count])
        ]
        checks = {
            "scoped_equals_guardian_objects": pages["scoped", count]
            == pages["guardian_objects", count]
            and pages["scoped_personal", count] == head_objects,
            "guardian_stock_is_unscoped": pages["guardian_stock", count]
            == pages["unscoped", count],
        }
        measured[count] = (timings, checks)
    return measured


def member(alias: str, code: str, role: str) -> AbstractBaseUser:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.using(alias).get(username=f"{code}.{role}")


def measure(aliases: dict[int, str], reps: int, warmup: int) -> dict[int, dict[str, Any]]:
    """Both pages of each measured agency's list, in every size's database; per size."""
    results: dict[int, dict[str, Any]] = {count: {} for count in aliases}
    for code in MEASURED_AGENCIES:
        users = {
            count: {"staff": member(alias, code, "staff"), "head": member(alias, code, "head")}
            for count, alias in aliases.items()
        }
        offsets: dict[str, dict[int, int]] = {page: {} for page in PAGES}
        for count, alias in aliases.items():
            ROUTER.alias = alias
            try:
                visible = case_list("scoped", alias, users[count]["staff"]).count()
            finally:
                ROUTER.alias = None
            results[count][code] = {"visible": visible, "pages": {}}
            # The deep page is page 21, or the last full page of an agency that sees fewer.
            offsets["first"][count] = 0
            offsets["deep"][count] = max(0, min(DEEP_OFFSET, visible - PAGE))
        for page in PAGES:
            measured = time_page(aliases, users, offsets[page], reps, warmup)
            for count, (timings, checks) in measured.items():
                unscoped, scoped = timings["unscoped"]["p50"], timings["scoped"]["p50"]
                results[count][code]["pages"][page] = {
                    "offset": offsets[page][count],
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


def explain(alias: str, code: str, offset: int) -> str:
    from incidents.models import Incident

    ROUTER.alias = alias
    try:
        queryset = (
            Incident.objects.using(alias)
            .visible_to(member(alias, code, "staff"))
            .select_related(*CASE_LIST_RELATED)
            .order_by(*CASE_LIST_ORDERING)[offset : offset + PAGE]
        )
        return queryset.explain(analyze=True, buffers=True)
    finally:
        ROUTER.alias = None


# --- Report -------------------------------------------------------------------------------------


def print_load(figures: LoadFigures) -> None:
    total = figures["incidents"]
    print(
        f"   {total:,} cases · {figures['dispatches']:,} dispatches "
        f"({figures['dispatches'] / total:.2f} a case) · {figures['group_grants']:,} agency "
        f"grants · {figures['user_grants']:,} person grants · {figures['calls']:,} calls · "
        f"{figures['shares']:,} shares · {figures['notes']:,} notes"
    )
    print("   statuses: " + ", ".join(f"{s} {n:,}" for s, n in figures["statuses"].items()))
    print(
        "   dispatches: "
        + ", ".join(f"{c} {n:,}" for c, n in figures["dispatches_per_agency"].items())
    )


def print_timings(count: int, name: str, results: dict[str, Any]) -> None:
    print(f"\n== {count:,} cases · {name}")
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
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument("--reps", type=int, default=40, help="timed rounds per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds before timing")
    parser.add_argument("--seed", type=int, default=112)
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="case counts, smallest first; each is loaded into its own database",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=planner_setting,
        default=[],
        metavar="NAME=VALUE",
        help="a planner setting for the bench databases, e.g. random_page_cost=1.1",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(set(sizes)):
        fail(f"--sizes must be distinct and smallest first: {args.sizes}")
    settings = dict(args.settings)

    target = bench_target()
    names = size_databases(target, sizes)
    aliases = {count: alias_of(count) for count in sizes}
    first = names[sizes[0]]
    started = time.perf_counter()
    try:
        create_database(target, first, settings)
        configure_databases(names)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        shown = ", ".join(f"{n}={v}" for n, v in settings.items()) or "server defaults"
        print(
            f"cc112 scoping benchmark · PostgreSQL {server} · {', '.join(names.values())} · {shown}"
        )
        from bench.caseload import LoadRefused, build_network, load

        # The network is made once through the services; the other sizes start from a copy.
        network = build_network()
        connections.close_all()
        for count in sizes[1:]:
            create_database(target, names[count], settings, template=first)
        report: dict[str, Any] = {"postgres": server, "page": PAGE, "reps": args.reps}
        report["warmup"] = args.warmup
        report["settings"] = settings
        report["databases"] = {str(count): name for count, name in names.items()}
        report["interleaved"] = True
        loads: dict[int, LoadFigures] = {}
        for count in sizes:
            point_default_at(names[count])
            print(f"\n-- {count:,} cases into {names[count]}", flush=True)
            try:
                loads[count] = load(network, count, args.seed)
            except LoadRefused as refused:
                fail(f"the loaded rows are not what the services write: {refused}.")
            print_load(loads[count])
        connections["default"].close()
        print(
            f"\n-- timing {len(sizes)} sizes interleaved: per page {args.warmup} warm-up and "
            f"{args.reps} timed rounds, each of {len(VARIANTS)} forms × {len(sizes)} databases",
            flush=True,
        )
        results = measure(aliases, args.reps, args.warmup)
        report["sizes"] = {}
        for count in sizes:
            report["sizes"][str(count)] = {"load": loads[count], "agencies": results[count]}
            print_timings(count, names[count], results[count])
        largest, small = sizes[-1], MEASURED_AGENCIES[-1]
        deep = results[largest][small]["pages"]["deep"]["offset"]
        plans = [
            (f"{small} staff, first page, {largest:,} cases", explain(aliases[largest], small, 0)),
            (
                f"{small} staff, page at offset {deep}, {largest:,} cases",
                explain(aliases[largest], small, deep),
            ),
            (
                f"polresta staff, page at offset {DEEP_OFFSET}, {largest:,} cases",
                explain(aliases[largest], "polresta", DEEP_OFFSET),
            ),
        ]
        summarise(report, sizes, plans)
        report["seconds"] = round(time.perf_counter() - started, 1)
        print(f"\ntotal {report['seconds']:.0f} s")
    finally:
        if not args.keep:
            drop_databases(target, list(names.values()))
    print(json.dumps(report, separators=(",", ":"), sort_keys=True))
    return 0


def summarise(report: dict[str, Any], sizes: list[int], plans: list[tuple[str, str]]) -> None:
    """The ratios against the targets, each one named, then the plans."""
    ratios: dict[str, float] = {}
    for count in sizes:
        for code, result in report["sizes"][str(count)]["agencies"].items():
            for page, figures in result["pages"].items():
                ratios[f"{count}/{code}/{page}"] = figures["scoped_over_unscoped"]
    # Growth of each form's p50 from the smallest size to the largest, timed in the same rounds;
    # normalised: divided by the unscoped page's growth, whose work does not change with size.
    growth_forms: dict[str, dict[str, float]] = {variant: {} for variant in VARIANTS}
    normalised: dict[str, float] = {}
    if len(sizes) > 1:
        small, large = report["sizes"][str(sizes[0])], report["sizes"][str(sizes[-1])]
        for code in MEASURED_AGENCIES:
            for page in PAGES:
                before = small["agencies"][code]["pages"][page]["ms"]
                after = large["agencies"][code]["pages"][page]["ms"]
                raw = {v: after[v]["p50"] / before[v]["p50"] for v in VARIANTS}
                for variant, ratio in raw.items():
                    growth_forms[variant][f"{code}/{page}"] = round(ratio, 2)
                normalised[f"{code}/{page}"] = round(raw["scoped"] / raw["unscoped"], 2)
    growth = growth_forms["scoped"]
    correct = all(
        figures["scoped_equals_guardian_objects"]
        for size in report["sizes"].values()
        for result in size["agencies"].values()
        for figures in result["pages"].values()
    )
    report["scoped_over_unscoped"] = ratios
    report["growth_scoped"] = growth
    report["growth_unscoped"] = growth_forms["unscoped"]
    report["growth_scoped_normalised"] = normalised
    report["growth_forms"] = growth_forms

    def met(figures: dict[str, float], first_only: bool = False) -> bool:
        chosen = [g for name, g in figures.items() if not first_only or name.endswith("/first")]
        return bool(chosen) and all(g <= TARGET_GROWTH for g in chosen)

    first_ratios = [r for name, r in ratios.items() if name.endswith("/first")]
    report["targets"] = {
        "scoped_over_unscoped_max": TARGET_SCOPED_OVER_UNSCOPED,
        "scoped_over_unscoped_met": all(r <= TARGET_SCOPED_OVER_UNSCOPED for r in ratios.values()),
        "scoped_over_unscoped_met_first_pages": all(
            r <= TARGET_SCOPED_OVER_UNSCOPED for r in first_ratios
        ),
        "growth_max": TARGET_GROWTH,
        "growth_met": met(growth),
        "growth_met_first_pages": met(growth, first_only=True),
        "growth_normalised_met": met(normalised),
        "growth_normalised_met_first_pages": met(normalised, first_only=True),
        "scoped_rows_match_guardian": correct,
    }
    label = f"{sizes[-1]:,} ÷ {sizes[0]:,}"
    if normalised:
        print(
            f"\n== growth {label} cases: p50 ÷ p50, both taken in the same interleaved rounds; "
            "norm.: ÷ unscoped's growth"
        )
        header = (
            f"   {'agency':<8} {'page':<5} {'offsets':>11} │ {'unscoped':>8} │ "
            f"{'visible_to':>10} {'norm.':>5} │ {'+1 personal':>11} {'norm.':>5} │ "
            f"{'guard. stock':>12} │ {'guard. objects':>14} {'norm.':>5}"
        )
        print(header)
        print("   " + "─" * (len(header) - 3))
        small, large = report["sizes"][str(sizes[0])], report["sizes"][str(sizes[-1])]
        for code in MEASURED_AGENCIES:
            for page in PAGES:
                key = f"{code}/{page}"
                g = {v: growth_forms[v][key] for v in VARIANTS}
                offsets = "/".join(
                    str(size["agencies"][code]["pages"][page]["offset"]) for size in (small, large)
                )
                print(
                    f"   {code:<8} {page:<5} {offsets:>11} │ {g['unscoped']:8.2f} │ "
                    f"{g['scoped']:10.2f} {normalised[key]:5.2f} │ "
                    f"{g['scoped_personal']:11.2f} {g['scoped_personal'] / g['unscoped']:5.2f} │ "
                    f"{g['guardian_stock']:12.2f} │ "
                    f"{g['guardian_objects']:14.2f} {g['guardian_objects'] / g['unscoped']:5.2f}"
                )
    print("\n== targets")
    for name, ratio in ratios.items():
        verdict = "ok" if ratio <= TARGET_SCOPED_OVER_UNSCOPED else "MISSED"
        print(f"   visible_to ÷ unscoped  {name:<22} {ratio:6.2f}  (≤ 2.5)  {verdict}")
    for name, ratio in growth.items():
        verdict = "ok" if ratio <= TARGET_GROWTH else "MISSED"
        print(f"   visible_to {label}, raw        {name:<14} {ratio:6.2f}  (≤ 1.25)  {verdict}")
    for name, ratio in normalised.items():
        verdict = "ok" if ratio <= TARGET_GROWTH else "MISSED"
        print(f"   visible_to {label}, normalised {name:<14} {ratio:6.2f}  (≤ 1.25)  {verdict}")
    print(f"   visible_to returns guardian's object-permission rows: {'yes' if correct else 'NO'}")
    for title, plan in plans:
        print(f"\n== EXPLAIN (ANALYZE, BUFFERS) visible_to · {title}\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
