"""``manage.py seed_demo``: Kota Ambon's first three months as demo data (see incidents.demo)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _

from cc112.errors import DomainError
from incidents.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DemoPeriod,
    demo_summary,
    seed_demo,
)
from incidents.demo.banner import login_lines
from incidents.models import CallOutcome, IncidentStatus


def _counts(rows: list[tuple[str, int]], label: dict[str, str] | None = None) -> str:
    return ", ".join(f"{(label or {}).get(key, key)} {count}" for key, count in rows)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        # Read when the parser is built, so it follows the active language (argparse needs str).
        return _(
            "Fill the database with Kota Ambon's first three months of 112 calls and cases, "
            "ending today, and a few cases open right now, with demo logins for every role, all "
            "with the password %(password)s. Safe to run again: it adds only what is missing."
        ) % {"password": DEMO_PASSWORD}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Random seed; the same seed gives the same demo (default %(default)s)."),
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help=_("The last day of the three months (default: today in Ambon)."),
        )
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help=_("Do not print the logins (make run prints them once the portal answers)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Run even though DEBUG is off (the demo logins share a known password)."),
        )

    def handle(
        self,
        *args: Any,
        seed: int,
        end: date | None,
        no_logins: bool,
        force: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real server, and the demo creates logins "
                    "with a published password. Use --force if you mean it."
                )
            )

        def progress(message: str, level: int) -> None:
            if verbosity >= level:
                self.stdout.write(message)

        started = time.monotonic()
        try:
            outcome = seed_demo(seed=seed, last_day=end, progress=progress)
        except ValueError as error:
            raise CommandError(_("--end cannot be after today in Ambon.")) from error
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
        elif outcome.live:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "The demo's months are already in the database; added the cases of "
                        "right now (created: %(created)s)."
                    )
                    % {"created": created}
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
        self._write_summary(outcome.period)
        if outcome.live:
            self.stdout.write(
                _("Open right now: %(references)s")
                % {"references": ", ".join(i.reference for i in outcome.live.values())}
            )
        if not no_logins:
            self.stdout.write("")
            self.stdout.write(
                _('Portal: run "python manage.py runserver" and open http://127.0.0.1:8000%(path)s')
                % {"path": reverse("admin:index")}
            )
            self.stdout.write("\n".join(login_lines()))

    def _write_summary(self, period: DemoPeriod) -> None:
        summary = demo_summary(period)
        statuses = {s.value: str(s.label) for s in IncidentStatus}
        outcomes = {o.value: str(o.label) for o in CallOutcome}
        lines = [
            _("Cases from %(start)s to %(end)s: %(count)d")
            % {
                "start": period.first_day.strftime("%d-%m-%Y"),
                "end": period.last_day.strftime("%d-%m-%Y"),
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
