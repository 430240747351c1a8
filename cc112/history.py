"""Who did what and why: every write to an audited model carries its actor and a reason.

django-simple-history reads ``_history_user`` and ``_change_reason`` off the instance when it
writes the historical row; services set both through :func:`attribute` so that the portal, the
API, Celery tasks and management commands all leave the same kind of record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Max
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


def sealed_tables() -> list[type[models.Model]]:
    from audit.models import HistoryLink

    return [*history_models(), HistoryLink]


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
        for model in sealed_tables():
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


# --- The hash chain ------------------------------------------------------------------------------
#
# Each history row gets a link (audit.HistoryLink): SHA-256 over its table, id, stored columns
# and the previous link's digest in that table. The triggers above stop UPDATE and DELETE by
# the application; the chain shows any change made around them (by the tables' owner, a
# restored backup, SQL run by hand), and ``manage.py verify_history`` names where it breaks.

GENESIS = ""
# pg_advisory_xact_lock(class, key): this class is the history chain's; the key is the table's.
CHAIN_LOCK_CLASS = 112_005


def _columns(model: type[models.Model]) -> list[str]:
    return sorted(field.attname for field in model._meta.concrete_fields)


def _digest(table: str, row_id: int, previous: str, values: dict[str, Any]) -> str:
    content = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{table}\n{row_id}\n{content}".encode()).hexdigest()


def _lock_chain(using: str, table: str) -> None:
    """Serialise appends to one table's chain until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transactions already let one writer at a time). Without it two transactions
    would read the same last link, and the second would fail on ``audit_link_linear``."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CHAIN_LOCK_CLASS, table]
            )


def history_link(model: type[models.Model], pks: Iterable[int], *, using: str) -> None:
    """Seal new rows of one history table, in id order, after its last link.

    1. Take the table's chain lock (held until the writer's transaction ends).
    2. Read the last digest, and the rows as stored (what ``verify_history`` will read).
    3. Write one link per row, each on the one before.
    """
    from audit.models import HistoryLink

    pks = sorted(pks)
    if not pks:
        return
    table = model._meta.db_table
    columns = _columns(model)
    pk_name = model._meta.pk.attname
    with transaction.atomic(using=using):
        _lock_chain(using, table)
        links = HistoryLink.objects.using(using).filter(table=table)
        previous = links.order_by("-id").values_list("digest", flat=True).first() or GENESIS
        rows = model._base_manager.using(using).filter(pk__in=pks).order_by("pk")
        new = []
        for values in rows.values(*columns):
            digest = _digest(table, values[pk_name], previous, values)
            new.append(
                HistoryLink(
                    table=table,
                    row_id=values[pk_name],
                    columns=",".join(columns),
                    previous=previous,
                    digest=digest,
                )
            )
            previous = digest
        HistoryLink.objects.using(using).bulk_create(new)


def _try_lock_chain(using: str, table: str) -> bool:
    """The chain's lock if free (PostgreSQL): a second sweep (a second beat) skips the table."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [CHAIN_LOCK_CLASS, table]
        )
        return bool(cursor.fetchone()[0])


# Rows are sealed by beat (``audit.tasks.seal_history``), not as they are written: a seal on
# the write path cost four statements a history row and made every writer of a table wait for
# the others until commit. Writers commit out of id order, so each sweep looks back this many ids
# below the last seal for rows committed late; a row below that and unsealed was slipped in.
SEAL_LOOKBACK = 10_000


def _last_sealed(using: str, table: str) -> int:
    from audit.models import HistoryLink

    last = HistoryLink.objects.using(using).filter(table=table).aggregate(last=Max("row_id"))
    return last["last"] or 0


def history_chain_extend(
    *, using: str = DEFAULT_DB_ALIAS, lookback: int = SEAL_LOOKBACK, batch: int = 5000
) -> int:
    """Seal every history table's rows written since the last sweep; the number sealed.

    Idempotent and safe twice at once: each table is sealed under its chain's lock, and a
    sweep that finds the lock taken leaves that table to the one holding it.
    """
    from audit.models import HistoryLink

    sealed = 0
    for model in history_models():
        table = model._meta.db_table
        with transaction.atomic(using=using):
            if not _try_lock_chain(using, table):
                continue
            floor = _last_sealed(using, table) - lookback
            done = HistoryLink.objects.using(using).filter(table=table, row_id__gt=floor)
            pks = list(
                model._base_manager.using(using)
                .filter(pk__gt=floor)
                .exclude(pk__in=done.values("row_id"))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            history_link(model, pks, using=using)
            sealed += len(pks)
    return sealed


@dataclass(frozen=True)
class BrokenLink:
    table: str
    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.problem}"


def _verify_table(
    model: type[models.Model], using: str, batch: int, lookback: int
) -> BrokenLink | None:
    from audit.models import HistoryLink

    table = model._meta.db_table
    pk_name = model._meta.pk.attname
    expected = GENESIS
    links = HistoryLink.objects.using(using).filter(table=table).order_by("id")
    last_id = 0
    while True:
        chunk = list(links.filter(id__gt=last_id)[:batch])
        if not chunk:
            break
        last_id = chunk[-1].id
        by_columns: dict[str, dict[int, dict]] = {}
        for columns in {link.columns for link in chunk}:
            ids = [link.row_id for link in chunk if link.columns == columns]
            try:
                rows = model._base_manager.using(using).filter(pk__in=ids)
                found = {row[pk_name]: row for row in rows.values(*columns.split(","))}
            except Exception as error:  # a sealed column dropped since: say so, do not crash
                return BrokenLink(table, ids[0], f"sealed columns unreadable ({error})")
            by_columns[columns] = found
        for link in chunk:
            if link.previous != expected:
                return BrokenLink(table, link.row_id, "link does not follow the one before")
            values = by_columns[link.columns].get(link.row_id)
            if values is None:
                return BrokenLink(table, link.row_id, "row removed")
            if _digest(table, link.row_id, link.previous, values) != link.digest:
                return BrokenLink(table, link.row_id, "row changed after it was written")
            expected = link.digest
    reach = _last_sealed(using, table) - lookback
    unsealed = (
        model._base_manager.using(using)
        .filter(pk__lte=reach)
        .exclude(pk__in=HistoryLink.objects.using(using).filter(table=table).values("row_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if unsealed is not None:
        return BrokenLink(table, unsealed, "row without a link (written around the application)")
    return None


def verify_history(
    *, using: str = DEFAULT_DB_ALIAS, batch: int = 2000, lookback: int = SEAL_LOOKBACK
) -> Iterator[BrokenLink]:
    """The first broken link of each history table's chain (none when all hold). Rows newer than
    the last seal (less ``lookback`` ids) are not judged: the next sweep seals them."""
    for model in sorted(history_models(), key=lambda model: model._meta.db_table):
        broken = _verify_table(model, using, batch, lookback)
        if broken is not None:
            yield broken


def history_heads(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """Each table's last digest: written down elsewhere (a report, a ticket), it shows later
    that the chain was not rebuilt from scratch by someone who could rewrite all of it."""
    from audit.models import HistoryLink

    heads = {}
    for model in history_models():
        table = model._meta.db_table
        last = HistoryLink.objects.using(using).filter(table=table).order_by("-id").first()
        heads[table] = last.digest if last else GENESIS
    return heads


def history_chain_genesis(registry: Any, using: str = DEFAULT_DB_ALIAS) -> int:
    """Link the rows written before the chain existed (its migration, with the migration's
    own models: the history tables as they are at that point), once, in id order."""
    from audit.models import HistoryLink

    linked = 0
    history = [model for model in registry.get_models() if issubclass(model, HistoricalChanges)]
    for model in history:
        table = model._meta.db_table
        done = HistoryLink.objects.using(using).filter(table=table).values("row_id")
        pks = list(
            model._base_manager.using(using).exclude(pk__in=done).values_list("pk", flat=True)
        )
        history_link(model, pks, using=using)
        linked += len(pks)
    return linked
