"""``manage.py demo_banner``: once the portal answers and the escalation sweep has run, print
the portal's address and the demo logins.

``make run`` starts it beside the web server, the workers and beat (Procfile.dev), so the
lines a person needs come last, after the processes' start-up output, not scrolled away
above it. It then waits, as honcho stops every process when one of them ends.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.demo.banner import login_lines, portal_line
from sla.models import Sweep

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Print the portal's address and the demo logins once the portal answers."

    def add_arguments(self, parser: CommandParser) -> None:
        # Not $PORT: honcho gives each process its own (the first one's, plus 100 per process).
        parser.add_argument("--url", default=settings.CC112_PORTAL_URL)
        parser.add_argument(
            "--wait", type=float, default=120.0, help="Seconds to wait for the portal."
        )
        parser.add_argument(
            "--exit", action="store_true", help="Exit after printing (default: keep running)."
        )

    def handle(self, *args: Any, url: str, wait: float, exit: bool, **options: Any) -> None:
        login_page = url.rstrip("/") + reverse("admin:login")
        started = timezone.now()
        deadline = time.monotonic() + wait
        # The web server first, then a sweep finished since: beat and its worker are up too.
        while not self._answers(login_page) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        while not self._swept_since(started) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        rule = "=" * 72
        lines = ["", rule, portal_line(url), *login_lines()]
        lines += [_("Ctrl-C stops the web server, the workers and beat."), rule, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
        if not exit:
            threading.Event().wait()

    @staticmethod
    def _swept_since(moment: datetime) -> bool:
        return Sweep.objects.filter(last_finished_at__gt=moment).exists()

    @staticmethod
    def _answers(address: str) -> bool:
        try:
            with urllib.request.urlopen(address, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
