"""Two database roles on PostgreSQL: the owner of the tables, which runs ``migrate``, and the
application's, which only reads and writes rows.

The history's triggers (``cc112.history.history_seal``) refuse UPDATE and DELETE, but a
table's owner may TRUNCATE it, ``ALTER TABLE ... DISABLE TRIGGER`` or set
``session_replication_role = replica`` (superusers only) and rewrite it. The application's role
owns nothing and is no superuser, so PostgreSQL refuses it all three; it is granted rows on
every table (history: SELECT and INSERT only) after each ``migrate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def owner_connection(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Point ``using`` at DATABASE_OWNER_URL's role for the block (``migrate``), then back."""
    owner = getattr(settings, "CC112_DATABASE_OWNER", None)
    connection = connections[using]
    if not owner or connection.vendor != "postgresql":
        yield
        return
    app_settings = connection.settings_dict
    connection.close()
    connection.settings_dict = {**app_settings, **{key: owner[key] for key in _LOGIN}}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = app_settings


_LOGIN = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


def app_role() -> str | None:
    """The application's role when it differs from the owner's (else nothing to grant)."""
    owner = getattr(settings, "CC112_DATABASE_OWNER", None)
    user = settings.DATABASES[DEFAULT_DB_ALIAS].get("USER")
    if not owner or not user or user == owner.get("USER"):
        return None
    return user


def grant_app_role(role: str, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Rows of every table to ``role``; only SELECT and INSERT on the history and its chain.

    Run by the owner after ``migrate`` (post_migrate) and by the role test on PostgreSQL."""
    from cc112.history import sealed_tables

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for model in sealed_tables():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}")


def grant_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    role = app_role()
    if role:
        grant_app_role(role, using=using)
