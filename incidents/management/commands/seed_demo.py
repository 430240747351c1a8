"""``manage.py seed_demo``: Kota Ambon's first three months as demo data (see incidents.demo)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Role
from cc112.errors import DomainError
from incidents.demo import (
    DEFAULT_SEED,
    DEMO_END,
    DEMO_PASSWORD,
    DEMO_START,
    DemoLogin,
    demo_summary,
    seed_demo,
)
from incidents.models import CallOutcome, IncidentStatus


def _counts(rows: list[tuple[str, int]], label: dict[str, str] | None = None) -> str:
    return ", ".join(f"{(label or {}).get(key, key)} {count}" for key, count in rows)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        # Read when the parser is built, so it follows the active language (argparse needs str).
        return _(
            "Fill the database with Kota Ambon's first three months of 112 calls and cases, "
            "with demo logins for every role, all with the password %(password)s. Safe to run "
            "again: it adds only what is missing."
        ) % {"password": DEMO_PASSWORD}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Random seed; the same seed gives the same demo (default %(default)s)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Run even though DEBUG is off (the demo logins share a known password)."),
        )

    def handle(self, *args: Any, seed: int, force: bool, verbosity: int, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real server, and the demo creates logins "
                    "with a published password. Use --force if you mean it."
                )
            )
        if timezone.now() < DEMO_END:
            raise CommandError(
                _("This clock is before %(end)s, the end of the demo's three months.")
                % {"end": DEMO_END.strftime("%d-%m-%Y")}
            )

        def progress(message: str, level: int) -> None:
            if verbosity >= level:
                self.stdout.write(message)

        started = time.monotonic()
        try:
            outcome = seed_demo(seed=seed, progress=progress)
        except (ValidationError, DomainError) as error:
            raise CommandError(_("The demo could not be installed: %s") % error) from error
        if verbosity < 1:
            return

        elapsed = time.monotonic() - started
        created = ", ".join(f"{name} {count}" for name, count in outcome.created.items())
        if outcome.recorded:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo recorded in %(seconds).1f s (seed %(seed)d). Created: %(created)s.")
                    % {"seconds": elapsed, "seed": seed, "created": created}
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The demo activity is already in the database; nothing was added "
                        "(created: %(created)s)."
                    )
                    % {"created": created}
                )
            )
        self._write_summary()
        self._write_logins(outcome.logins)

    def _write_summary(self) -> None:
        summary = demo_summary()
        statuses = {s.value: str(s.label) for s in IncidentStatus}
        outcomes = {o.value: str(o.label) for o in CallOutcome}
        lines = [
            _("Cases from %(start)s to %(end)s: %(count)d")
            % {
                "start": DEMO_START.strftime("%d-%m-%Y"),
                "end": (DEMO_END - timedelta(days=1)).strftime("%d-%m-%Y"),
                "count": summary.cases,
            },
            "  " + _("by category: %(counts)s") % {"counts": _counts(summary.by_category)},
            "  "
            + _("of which ambulance requests (MED): %(count)d")
            % {"count": summary.ambulance_requests},
            "  " + _("by kecamatan: %(counts)s") % {"counts": _counts(summary.by_kecamatan)},
            "  "
            + _("still open: %(counts)s")
            % {"counts": _counts(summary.open_by_status, statuses) or "0"},
            _("Calls that did not become cases: %(count)d")
            % {"count": sum(count for _outcome, count in summary.other_calls)},
            "  " + _counts(summary.other_calls, outcomes),
            "  "
            + _("prank calls in the first three weeks: %(count)d")
            % {"count": summary.pranks_first_three_weeks},
        ]
        self.stdout.write("\n".join(lines))

    def _write_logins(self, logins: tuple[DemoLogin, ...]) -> None:
        agencies = Agency.objects.in_bulk(
            {login.agency_code for login in logins}, field_name="code"
        )
        rows = [(_("Username"), _("Role"), _("Agency"), _("Password"))] + [
            (
                login.username,
                str(Role(login.role).label),
                agencies[login.agency_code].short_name,
                DEMO_PASSWORD,
            )
            for login in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        self.stdout.write(
            _('Portal: run "python manage.py runserver" and open http://127.0.0.1:8000%(path)s')
            % {"path": reverse("admin:index")}
        )
        self.stdout.write(_("Demo logins:"))
        for row in rows:
            self.stdout.write(
                "  "
                + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
