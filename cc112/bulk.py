"""Setting columns of many rows in one statement, where the ORM's bulk update costs more than
the work.

``QuerySet.bulk_update`` writes a ``CASE WHEN id = ... THEN ...`` per field per row, and
building and compiling those expressions in Python was half of an escalation storm's time
(bench/sla.py). On PostgreSQL one ``UPDATE ... FROM unnest(<arrays>)`` sets them; other
databases (SQLite, the embedded default) keep the ORM's way.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of each of ``objs`` (one model, all saved before) in one statement.

    Only for models whose history does not record these fields: it bypasses ``save()`` and the
    audited querysets' refusal of bulk updates."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(objs, fields)
        return
    opts = model._meta
    quote = connection.ops.quote_name
    columns = [opts.pk, *(opts.get_field(name) for name in fields)]
    arrays = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs]
        for column in columns
    ]
    placeholders = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    pk = quote(opts.pk.column)
    sql = (
        f"UPDATE {quote(opts.db_table)} AS t SET {assignments}"
        f" FROM unnest({placeholders}) AS v ({names}) WHERE t.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def rows_insert(model: type[Model], fields: Sequence[str], rows: Sequence[tuple]) -> list[int]:
    """Insert ``rows`` (tuples of database-ready values, in ``fields``' order) in one statement,
    without building a model instance per row (a storm's notifications, bench/sla.py); their
    ids, in the rows' order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(name).attname for name in fields]
        objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model._base_manager.bulk_create(objs)
        return [obj.pk for obj in objs]
    opts = model._meta
    quote = connection.ops.quote_name
    columns = [opts.get_field(name) for name in fields]
    arrays = [list(values) for values in zip(*rows, strict=True)]
    placeholders = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    names = ", ".join(quote(column.column) for column in columns)
    # Rows come back in the order unnest gave them, as Django's own bulk_create relies on.
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({names}) SELECT * FROM unnest({placeholders})"
        f" RETURNING {quote(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return [row[0] for row in cursor.fetchall()]
