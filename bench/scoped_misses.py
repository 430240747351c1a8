"""Does a 404 tell a case that exists but is not yours from one that does not exist? Time both.

Run from the project root against a database with cases (e.g. after ``manage.py seed_demo``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc112_demo DEBUG=true \\
        .venv/bin/python bench/scoped_misses.py --requests 200

1. Pick a partner agency's staff member, a case id that exists but is not theirs ("foreign")
   and one above every id ("missing"); check that both answer 404 with the same body.
2. For each page (the API's case, a dispatch and the case's notes; the portal's case page),
   after ``--warmup`` untimed rounds, time ``--requests`` requests of each kind in-process
   (Django's test client: no network to blur the figures), interleaved and alternating which
   goes first, so that other work on the machine hits both alike.
3. Print the medians, their difference and ratio per page, and end with one JSON line.
The target (issue 16): the medians within 2 ms of each other.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings")

TARGET_MS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from agencies.models import Membership
    from incidents.models import Dispatch, Incident

    setup_test_environment()  # the test client's hosts, as under pytest
    membership = (
        Membership.objects.active()
        .filter(agency__is_centre=False, user__api_key__isnull=True, user__is_active=True)
        .select_related("user", "agency")
        .order_by("agency__code", "user__username")
        .first()
    )
    if membership is None:
        print("no partner agency staff here: run manage.py seed_demo first", file=sys.stderr)
        return 2
    user = membership.user
    visible = Incident.objects.visible_to(user).values("pk")
    foreign_case = Incident.objects.exclude(pk__in=visible).order_by("-pk").first()
    foreign_dispatch = (
        Dispatch.objects.exclude(pk__in=Dispatch.objects.visible_to(user).values("pk"))
        .order_by("-pk")
        .first()
    )
    if foreign_case is None or foreign_dispatch is None:
        print("every case is visible to this user: nothing to compare", file=sys.stderr)
        return 2
    missing_case = (Incident.objects.order_by("-pk").first().pk or 0) + 1000
    missing_dispatch = (Dispatch.objects.order_by("-pk").first().pk or 0) + 1000
    pages = {
        "api_case": "/api/v1/incidents/{case}/",
        "api_notes": "/api/v1/incidents/{case}/notes/",
        "api_dispatch": "/api/v1/dispatches/{dispatch}/",
        "portal_case": "/admin/incidents/incident/{case}/change/",
    }
    ids = {
        "foreign": {"case": foreign_case.pk, "dispatch": foreign_dispatch.pk},
        "missing": {"case": missing_case, "dispatch": missing_dispatch},
    }
    from agencies.services import api_key_create, api_key_revoke

    # The partner's own system, as the issue measured it: a key issued for the bench, revoked
    # at the end (both leave their history record).
    api_key, secret = api_key_create(
        agency=membership.agency, name="bench 404 timing", actor=None, requests_per_minute=100_000
    )
    clients = {"session": Client(), "api_key": Client(HTTP_AUTHORIZATION=f"Api-Key {secret}")}
    clients["session"].force_login(user)
    print(
        f"as {user.username} ({membership.agency.code}); foreign {ids['foreign']}, "
        f"missing {ids['missing']}; {args.requests} requests each"
    )

    report: dict[str, Any] = {"user": user.username, "requests": args.requests, "pages": {}}
    runs = [(f"{name}", pattern, "session") for name, pattern in pages.items()]
    runs += [
        (f"{name}_key", pattern, "api_key") for name, pattern in pages.items() if "api" in name
    ]
    try:
        worst = _time(runs, ids, clients, args, report)
    finally:
        api_key_revoke(api_key=api_key, actor=None, reason="bench done")
    report["worst_difference_ms"] = round(worst, 2)
    report["target_ms"] = TARGET_MS
    report["ok"] = worst <= TARGET_MS
    print(json.dumps(report))
    return 0 if report["ok"] else 1


def _time(runs: list, ids: dict, clients: dict, args: Any, report: dict) -> float:
    worst = 0.0
    for name, pattern, who in runs:
        client = clients[who]
        urls = {kind: pattern.format(**ids[kind]) for kind in ids}
        answers = {kind: client.get(url) for kind, url in urls.items()}
        statuses = {kind: answer.status_code for kind, answer in answers.items()}
        same = answers["foreign"].content == answers["missing"].content
        if set(statuses.values()) != {404}:
            raise SystemExit(f"{name}: not 404 for both: {statuses}")
        samples: dict[str, list[float]] = {"foreign": [], "missing": []}
        for round_ in range(args.warmup + args.requests):
            order = ("foreign", "missing") if round_ % 2 else ("missing", "foreign")
            for kind in order:
                began = time.perf_counter()
                client.get(urls[kind])
                elapsed = (time.perf_counter() - began) * 1000
                if round_ >= args.warmup:
                    samples[kind].append(elapsed)
        foreign = statistics.median(samples["foreign"])
        missing = statistics.median(samples["missing"])
        worst = max(worst, abs(foreign - missing))
        report["pages"][name] = {
            "foreign_ms": round(foreign, 2),
            "missing_ms": round(missing, 2),
            "difference_ms": round(foreign - missing, 2),
            "ratio": round(foreign / missing, 3),
            "same_body": same,
        }
        print(
            f"{name:14} foreign {foreign:7.2f} ms  missing {missing:7.2f} ms  "
            f"diff {foreign - missing:+6.2f} ms  ratio {foreign / missing:5.3f}  "
            f"same body: {same}"
        )
    return worst


if __name__ == "__main__":
    sys.exit(main())
