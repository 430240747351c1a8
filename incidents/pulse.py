"""The live pages' change markers: which marker a change moves, and reading one cheaply.

The centre's board reads the ``centre`` marker; an agency's inbox reads ``agency-<id>``. Every
change the centre's board shows moves the centre's marker; a change to an agency's dispatch, or
to a case it has an open dispatch on, also moves that agency's. The markers move inside the
change's transaction, so a page that sees the new version also sees the change.

Row locks: a marker's row is held from its bump to the commit, so writers queue on it for that
long. Services bump as their last step (after their clocks and rows), and every bump takes the
centre's row first: whoever holds an agency's row already holds the centre's, so two writers
never wait on each other's rows in opposite order.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from incidents.models import Pulse

CENTRE = "centre"


def agency_key(agency_id: int) -> str:
    return f"agency-{agency_id}"


def pulse_bump(*, agencies: Iterable[int | None] = ()) -> None:
    """Move the centre's marker and each of these agencies' (ids; None is ignored).

    ``INSERT ... ON CONFLICT DO UPDATE`` (PostgreSQL, SQLite ≥ 3.24): a marker's row is made by
    its first change, with no read before the write and no race between two first changes.
    """
    keys = [CENTRE, *sorted({agency_key(a) for a in agencies if a is not None})]
    quote = connection.ops.quote_name
    table, version = quote(Pulse._meta.db_table), quote("version")
    sql = (
        f"INSERT INTO {table} ({quote('key')}, {version}, {quote('changed_at')})"
        " VALUES (%s, 1, %s)"
        f" ON CONFLICT ({quote('key')}) DO UPDATE SET {version} = {table}.{version} + 1,"
        f" {quote('changed_at')} = excluded.{quote('changed_at')}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        # One statement per row, the centre's first: the lock order the module's doc explains.
        for key in keys:
            cursor.execute(sql, [key, now])


def pulse_version(key: str) -> int:
    """The marker's version (0 before its first change): one primary-key read, no ORM."""
    quote = connection.ops.quote_name
    sql = f"SELECT {quote('version')} FROM {quote(Pulse._meta.db_table)} WHERE {quote('key')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return row[0] if row else 0
