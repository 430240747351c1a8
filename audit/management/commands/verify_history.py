"""``manage.py verify_history``: walk every history table's hash chain, name the first broken
link of each, and exit 1 if any; print each table's last digest (to note down elsewhere)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cc112.history import history_chain_extend, history_heads, verify_history


class Command(BaseCommand):
    help = "Check the history's hash chain; name the first broken link of each table."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument("--heads", action="store_true", help="print each table's last digest")
        parser.add_argument(
            "--seal", action="store_true", help="seal rows written since beat's last sweep first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["seal"]:
            self.stdout.write(f"sealed {history_chain_extend(using=using)} row(s)")
        broken = list(verify_history(using=using))
        if options["heads"]:
            for table, digest in sorted(history_heads(using=using).items()):
                self.stdout.write(f"{table} {digest or '-'}")
        if broken:
            for link in broken:
                self.stderr.write(f"BROKEN {link}")
            raise CommandError(f"the history chain is broken in {len(broken)} table(s)")
        self.stdout.write(self.style.SUCCESS("history chain intact"))
