"""Who did what and why: every write to an audited model carries its actor and a reason.

django-simple-history reads ``_history_user`` and ``_change_reason`` off the instance when it
writes the historical row; services set both through :func:`attribute` so that the portal, the
API, Celery tasks and management commands all leave the same kind of record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, models
from simple_history.models import HistoricalChanges

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SYSTEM_USERNAME = "system"


def attribute(instance: models.Model, *, actor: AbstractBaseUser | None, reason: str) -> None:
    """Mark the next history row of ``instance`` with its actor and reason."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason[:100]  # type: ignore[attr-defined]


def system_user() -> AbstractBaseUser:
    """The account that background tasks and commands act as (never able to log in)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Sistem", "last_name": "cc112", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class AuditedUpdateRefused(RuntimeError):
    """A bulk update would change audited rows without leaving history."""


def _refuse_unrecorded(model: type[models.Model], fields: Iterable[str], how: str) -> None:
    # A field the history leaves out (an API key's last use) may change in bulk: nothing is lost.
    unrecorded = set(unrecorded_fields(model))
    if not set(fields) <= unrecorded:
        raise AuditedUpdateRefused(
            f"{model.__name__}.objects.{how}() leaves no history; use a service."
        )


class AuditedQuerySet(models.QuerySet):
    """A queryset whose bulk writes cannot bypass history.

    ``update()`` and ``bulk_update()`` write rows without a historical record, which would let
    evaluation figures be changed quietly. Writes go through services that save instances.
    Every model with history has one (``tests/cc112/test_history.py`` checks).
    """

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        _refuse_unrecorded(self.model, kwargs, "update")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):  # type: ignore[no-untyped-def]
        _refuse_unrecorded(self.model, fields, "bulk_update")
        return super().bulk_update(objs, fields, batch_size=batch_size)


def unrecorded_fields(model: type[models.Model]) -> list[str]:
    """The fields of an audited model that its history leaves out."""
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager is None:
        return []
    return list(getattr(model, manager).model._history_excluded_fields)


def history_models() -> list[type[models.Model]]:
    """The historical models (simple_history's, many-to-many ones included)."""
    return [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]


APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION cc112_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cc112: % of a history record in % refused: history is append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def history_seal(*, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """On PostgreSQL, make every history table refuse UPDATE and DELETE (a row trigger), so
    that a record an evaluation rests on cannot be quietly edited, by the ORM or by SQL.

    Run after every ``migrate`` (``post_migrate``), so a history table added later is sealed
    too; installing again changes nothing. Only a database owner who drops the trigger can get
    round it, and that is DDL, not a quiet edit. Row triggers: a statement that touches no
    history row (deleting an account that never acted) passes.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(APPEND_ONLY_FUNCTION)
        for model in history_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DROP TRIGGER IF EXISTS cc112_append_only ON {table}")
            cursor.execute(
                f"CREATE TRIGGER cc112_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION cc112_history_append_only()"
            )


def apply_changes(instance: models.Model, changes: dict[str, object]) -> list[str]:
    """Set ``changes`` on ``instance`` (text stripped); the names of the fields that changed,
    for the history's reason."""
    changed = []
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
