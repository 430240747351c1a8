"""How a moment reads everywhere: in the portal, messages and emails in the centre's zone, to the
second (targets are in seconds); in the API in UTC, as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import CharField, Func
from django.utils import timezone


def local_moment(at: datetime) -> str:
    """16-12-2025 10:01:00 WIT: in the centre's time zone, named (stored times are UTC).

    Written with ``strftime``, not ``formats.date_format``: the case list writes fifty a page
    and Django's formatter was a tenth of its rows' cost (bench/portal.py)."""
    local = timezone.localtime(at)
    return f"{local:%d-%m-%Y %H:%M:%S} {local.tzname()}"


def utc_text(moment: datetime | None) -> str | None:
    """2025-12-16T01:01:00.000000Z: how the API writes a moment (UTC, to the microsecond, as
    stored), the same text ``UtcText`` has the database make."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # what the database returns is in UTC already
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class UtcText(Func):
    """A stored moment as ``utc_text`` writes it, made by the database: the case list reads
    five moments a row, and turning each into a ``datetime`` (Django's PostgreSQL loader is
    Python) only to write it out again was a tenth of a list request (bench/api.py)."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, the fraction only when not zero.
        template = (
            "REPLACE(%(expressions)s, ' ', 'T')"
            " || CASE WHEN LENGTH(%(expressions)s) = 19 THEN '.000000Z' ELSE 'Z' END"
        )
        return self.as_sql(compiler, connection, template=template, **extra)
