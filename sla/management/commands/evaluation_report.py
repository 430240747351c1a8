"""``manage.py evaluation_report --start 2025-09-08 --end 2025-12-07 --format csv``: the period
report the city presents, from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sla.reports import period_report, report_csv, report_xlsx
from sla.scorecards import Period


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("%(text)s is not a date (YYYY-MM-DD).") % {"text": text}) from None


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "The period report (calls, cases, categories ranked, agencies, kecamatan, hours, "
            "shifts, SLA compliance, the change from the previous period) from START to END, "
            "both days included, in the centre's time zone."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, help=_("First day, YYYY-MM-DD."))
        parser.add_argument("--end", required=True, help=_("Last day, YYYY-MM-DD."))
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", help=_("Write to this file (default: standard output)."))

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["start"]), _day(options["end"])
        if last < first:
            raise CommandError(_("The end comes before the start."))
        report = period_report(Period.of_days(first, last))
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError(_("XLSX is a binary file: give --output FILE."))
            Path(options["output"]).write_bytes(report_xlsx(report))
            return
        if options["format"] == "json":
            content = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        else:
            content = report_csv(report)
        if options["output"]:
            Path(options["output"]).write_text(content, encoding="utf-8")
        else:
            self.stdout.write(content, ending="")
