"""What `make run` prints last (the banner) and how its console reports emails."""

from __future__ import annotations

import logging
from io import StringIO

from django.core.management import call_command
from django.utils import translation

from sla.tasks import deliver_notifications


def test_the_banner_prints_the_portals_address_and_the_logins(world):  # type: ignore[no-untyped-def]
    out = StringIO()

    with translation.override("en"):
        # Nothing answers on this port: the banner waits no longer than it is told.
        call_command("demo_banner", url="http://127.0.0.1:9/", wait=0.0, exit=True, stdout=out)

    text = out.getvalue()
    assert "Portal: http://127.0.0.1:9/admin/" in text
    assert "Demo logins:" in text
    assert text.rstrip().splitlines()[-2].startswith("Ctrl-C stops")  # the logins above it


def test_an_email_batch_is_one_line_in_the_workers_log(db, caplog):  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="sla.tasks"):
        deliver_notifications([987654])  # no such notification

    [line] = [r.getMessage() for r in caplog.records if r.name == "sla.tasks"]
    assert line == "1 notification emails (locmem): missing 1"
