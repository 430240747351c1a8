"""The live pages' change markers: which marker a change moves, and reading one cheaply.

The centre's board reads the ``centre`` marker; an agency's inbox reads ``agency-<id>``. Every
change the centre's board shows moves the centre's marker; a change to an agency's dispatch, or
to a case it has an open dispatch on, also moves that agency's. The markers move inside the
change's transaction, so a page that sees the new version also sees the change.

Row locks: a marker's row is held from its bump to the commit, so writers queue on it for that
long. Services bump as their last step (after their clocks and rows), and every bump takes the
centre's row first: whoever holds an agency's row already holds the centre's, so two writers
never wait on each other's rows in opposite order.

A service whose steps each bump (the call screen's submit: the case opened, its status moved,
its dispatches created) runs them in ``pulse_batch()``: each marker moves once, at the block's
end, in one statement. A page sees a new version for the change all the same; the rows are
locked for less time, and the submit writes a few statements fewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.utils import timezone

from incidents.models import Pulse

CENTRE = "centre"


def agency_key(agency_id: int) -> str:
    return f"agency-{agency_id}"


# The markers bumped inside the current pulse_batch() (None outside one).
_batched: ContextVar[set[str] | None] = ContextVar("cc112_pulse_batch", default=None)


@contextmanager
def pulse_batch() -> Iterator[None]:
    """Bumps inside the block move each marker once, when the block ends without an error
    (still inside the transaction); a nested block joins the outer one."""
    if _batched.get() is not None:
        yield
        return
    keys: set[str] = set()
    token = _batched.set(keys)
    try:
        yield
    finally:
        _batched.reset(token)
    if keys:
        _bump([CENTRE, *sorted(keys - {CENTRE})])


def pulse_bump(*, agencies: Iterable[int | None] = ()) -> None:
    """Move the centre's marker and each of these agencies' (ids; None is ignored); inside a
    ``pulse_batch()``, at its end."""
    keys = {agency_key(a) for a in agencies if a is not None}
    batched = _batched.get()
    if batched is not None:
        batched |= {CENTRE, *keys}
        return
    _bump([CENTRE, *sorted(keys)])


def _bump(keys: list[str]) -> None:
    """``INSERT ... ON CONFLICT DO UPDATE`` (PostgreSQL, SQLite ≥ 3.24): a marker's row is made
    by its first change, with no read before the write and no race between two first changes.

    One statement; its rows are written in the order given, the centre's first: the lock order
    the module's doc explains.
    """
    quote = connection.ops.quote_name
    table, version = quote(Pulse._meta.db_table), quote("version")
    rows = ", ".join(["(%s, 1, %s)"] * len(keys))
    sql = (
        f"INSERT INTO {table} ({quote('key')}, {version}, {quote('changed_at')}) VALUES {rows}"
        f" ON CONFLICT ({quote('key')}) DO UPDATE SET {version} = {table}.{version} + 1,"
        f" {quote('changed_at')} = excluded.{quote('changed_at')}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in keys for value in (key, now)])


def pulse_version(key: str) -> int:
    """The marker's version (0 before its first change): one primary-key read, no ORM."""
    quote = connection.ops.quote_name
    sql = f"SELECT {quote('version')} FROM {quote(Pulse._meta.db_table)} WHERE {quote('key')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return row[0] if row else 0


def pulse_version_for(request: Any, key: str) -> int:
    """``pulse_version``, read once per request: a page, its rows and its sidebar follow one
    version. The centre's marker comes with any other in the same statement (the sidebar
    follows it on every page)."""
    versions = request.__dict__.setdefault("_cc112_pulse_versions", {})
    if key not in versions:
        keys = sorted({key, CENTRE} - set(versions))
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('key')}, {quote('version')} FROM {quote(Pulse._meta.db_table)}"
            f" WHERE {quote('key')} IN ({', '.join(['%s'] * len(keys))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, keys)
            found = dict(cursor.fetchall())
        versions.update({name: found.get(name, 0) for name in keys})
    return versions[key]
