"""What the portal's lists cost on PostgreSQL at 200,000 cases, beside the API's same page.

Run from the project root (the database the URL names is dropped and created)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_bench_portal \\
        .venv/bin/python bench/portal.py --keep

1. Create the database, migrate it, load the network and 200,000 cases of a year through
   ``bench.caseload`` (as ``bench/console.py`` does; ``--reuse`` takes a ``--keep`` run's),
   Kota Ambon's areas first (the case list's kecamatan filter), VACUUM ANALYZE; the police's
   API key through ``api_key_create``.
2. In process, through Django's test client (``force_login``; the API with the police's key),
   each page once with its SQL statements counted, then ``--reps`` rounds after ``--warmup``,
   every page once a round in an order that turns from round to round:
   - the police's case list, first page (``/admin/incidents/incident/``), and their inbox;
     each also right after a change (``*_changed``: the centre's and the police's markers
     moved just before, outside the timing), when the rows kept per marker version and the
     sidebar's counts are read and drawn afresh; every other page is asked for once, untimed,
     just before its timed request (the page between changes);
   - the API's same page (``/api/v1/incidents/``, the police's newest 50);
   - the centre's (unscoped) case list at page 20: by key (``?after=``, as "Older →" reaches
     it) and by number (``?p=20``);
   - a small agency's (BMKG, ~2 % of the cases) case list at page 20 by key; these deep
     pages are each timed right after a change (``READ_AFRESH``): what they measure is the
     scoped read.
3. Print p50/p95 and statements per page, the ratios and the targets (police list and inbox
   ≤ 5 statements besides the session and the user, after a change too; their p50 ≤ 3 × the
   API's; the small agency's page 20 ≤ 2.5 × the unscoped one); end with one JSON line, and
   drop the database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
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
PAGE = 20
PER_PAGE = 50
TARGET_QUERIES = 5  # besides the session and the user every request reads
TARGET_LIST_OVER_API = 3.0
TARGET_SMALL_OVER_UNSCOPED = 2.5
# Deep pages measure the scoped read itself: each right after a change, never a kept page.
READ_AFRESH = {"unscoped_list_p20_keyset", "unscoped_list_p20_offset", "small_list_p20_keyset"}
# Identity reads every request makes before any page's own work (django.contrib.auth).
IDENTITY_TABLES = ('FROM "django_session" WHERE', 'FROM "auth_user" WHERE')


def fail(message: str) -> None:
    print(f"bench/portal.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def member(code: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__agency__code=code, memberships__role=role)
        .order_by("pk")
        .first()
    )


def cursor_at(user: Any, row: int) -> str:
    """The key "Older →" carries to reach the page starting after ``row`` (0-based)."""
    from cc112.admin_paging import keyset_cursor
    from incidents.models import Incident

    moment, pk = (
        Incident.objects.visible_to(user)
        .order_by("-received_at", "-pk")
        .values_list("received_at", "pk")[row]
    )
    return keyset_cursor(moment, pk)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a database a --keep run left")
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=112)
    args = parser.parse_args(argv)

    target = bench_target()
    began = time.perf_counter()
    report: dict[str, Any] = {"database": target.name}
    try:
        fresh = reset_database(target, reuse=args.reuse)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from agencies.defaults import CENTRE_CODE
        from agencies.models import Agency
        from agencies.services import api_key_create
        from incidents.models import Area
        from incidents.pulse import pulse_bump

        if connection.vendor != "postgresql":
            fail(f"connected to {connection.vendor}, not PostgreSQL.")
        call_command("migrate", verbosity=0, interactive=False)
        server = sql("SHOW server_version")[0][0]
        report["postgres"] = server
        say(f"cc112 portal-lists benchmark · PostgreSQL {server} · {target.name}")

        say(f"\n-- 1. {args.cases:,} cases (load {load_average()})")
        loading = time.perf_counter()
        if not Area.objects.exists():
            # Before the cases: afterwards load_areas places each case in its area, one
            # transaction a case (about 25 minutes for 200,000).
            call_command("load_areas", verbosity=0)
        load: dict[str, Any] = {"cases": load_cases(args.cases, args.seed, fresh)}
        sql("VACUUM (ANALYZE)")
        load["seconds"] = round(time.perf_counter() - loading, 1)
        report["load"] = load

        police_staff = member("polresta", "staff")
        small_staff = member("bmkg", "staff")
        centre_operator = member(CENTRE_CODE, "operator")
        _key, secret = api_key_create(
            agency=Agency.objects.get(code="polresta"),
            name=f"bench/portal.py {time.strftime('%Y%m%d-%H%M%S')}",
            actor=None,
            requests_per_minute=100_000,
        )
        report["cases"] = sql("SELECT count(*) FROM incidents_incident")[0][0]

        def client_for(user: Any) -> Client:
            client = Client(headers={"accept-language": "id"})
            client.force_login(user)
            return client

        police, centre, small = (
            client_for(police_staff),
            client_for(centre_operator),
            client_for(small_staff),
        )
        api = Client(headers={"authorization": f"Api-Key {secret}"})
        cases = reverse("admin:incidents_incident_changelist")
        deep_row = (PAGE - 1) * PER_PAGE - 1
        inbox = reverse("admin:incidents_inbox")
        pages: dict[str, tuple[Client, str]] = {
            "police_list_p1": (police, cases),
            "police_inbox": (police, inbox),
            "police_list_p1_changed": (police, cases),
            "police_inbox_changed": (police, inbox),
            "api_p1": (api, "/api/v1/incidents/"),
            "unscoped_list_p20_keyset": (
                centre,
                f"{cases}?after={cursor_at(centre_operator, deep_row)}",
            ),
            "unscoped_list_p20_offset": (centre, f"{cases}?p={PAGE}"),
            "small_list_p20_keyset": (small, f"{cases}?after={cursor_at(small_staff, deep_row)}"),
        }

        say(f"\n-- 2. statements per page (load {load_average()})")
        queries: dict[str, dict[str, int]] = {}
        police_agency = Agency.objects.get(code="polresta").pk

        def before(name: str) -> None:
            """A page between changes is asked for once untimed just before (someone had
            it since the last change: the rounds' changes would otherwise land before
            every page); a page "_changed" right after the markers moved."""
            client, url = pages[name]
            if name.endswith("_changed") or name in READ_AFRESH:
                with transaction.atomic():
                    pulse_bump(agencies=[police_agency])
            else:
                client.get(url)

        for name, (client, url) in pages.items():
            client.get(url)  # the API key's last use is written once a minute: not counted
            before(name)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                fail(f"{name}: {url} answered {response.status_code}")
            identity = sum(
                1 for q in captured.captured_queries if any(t in q["sql"] for t in IDENTITY_TABLES)
            )
            identity = min(identity, 2)
            queries[name] = {"all": len(captured), "besides_identity": len(captured) - identity}
            say(f"   {name:<26} {len(captured)} ({len(captured) - identity} besides session/user)")
        report["queries"] = queries

        say(f"\n-- 3. timing, {args.reps} rounds (load {load_average()})")
        report["load_average_before"] = load_average()
        names = list(pages)
        samples: dict[str, list[float]] = {name: [] for name in names}
        for turn in range(args.warmup + args.reps):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for name in order:
                client, url = pages[name]
                before(name)
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200
                if turn >= args.warmup:
                    samples[name].append(elapsed)
        figures = {name: ms_figures(values) for name, values in samples.items()}
        for name, value in figures.items():
            say(f"   {name:<26} {shown(value)}")
        report["figures"] = figures
        report["load_average_after"] = load_average()

        p50 = {name: value["p50"] for name, value in figures.items()}
        ratios = {
            "police_list_over_api": round(p50["police_list_p1"] / p50["api_p1"], 2),
            "police_inbox_over_api": round(p50["police_inbox"] / p50["api_p1"], 2),
            "police_list_changed_over_api": round(p50["police_list_p1_changed"] / p50["api_p1"], 2),
            "police_inbox_changed_over_api": round(p50["police_inbox_changed"] / p50["api_p1"], 2),
            "small_p20_over_unscoped_p20_keyset": round(
                p50["small_list_p20_keyset"] / p50["unscoped_list_p20_keyset"], 2
            ),
            "small_p20_over_unscoped_p20_offset": round(
                p50["small_list_p20_keyset"] / p50["unscoped_list_p20_offset"], 2
            ),
        }
        report["ratios_p50"] = ratios
        say("\n   p50 ratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
        report["targets"] = {
            "police_list_queries_met": queries["police_list_p1"]["besides_identity"]
            <= TARGET_QUERIES,
            "police_inbox_queries_met": queries["police_inbox"]["besides_identity"]
            <= TARGET_QUERIES,
            "after_change_queries_met": max(
                queries["police_list_p1_changed"]["besides_identity"],
                queries["police_inbox_changed"]["besides_identity"],
            )
            <= TARGET_QUERIES,
            "police_list_over_api_met": ratios["police_list_over_api"] <= TARGET_LIST_OVER_API,
            "police_inbox_over_api_met": ratios["police_inbox_over_api"] <= TARGET_LIST_OVER_API,
            "small_over_unscoped_met": ratios["small_p20_over_unscoped_p20_keyset"]
            <= TARGET_SMALL_OVER_UNSCOPED,
        }
    finally:
        if not args.keep and "django" in sys.modules:
            drop_database(target)
    report["seconds"] = round(time.perf_counter() - began, 1)
    say("\n== targets")
    for name, value in report.get("targets", {}).items():
        say(f"   {name:<28} {'ok' if value else 'MISSED'}")
    print(json.dumps(report, separators=(",", ":"), sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
