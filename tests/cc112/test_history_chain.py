"""The history is tamper-evident: beat seals each row in a hash chain, ``verify_history`` names
the first link that no longer holds, and the application's database role cannot get round the
triggers (TRUNCATE, DISABLE TRIGGER, replica mode)."""

from __future__ import annotations

import os
import threading
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import HistoryLink
from cc112.db_roles import grant_app_role
from cc112.history import BrokenLink, history_chain_extend, history_models, verify_history
from incidents.models import Incident
from incidents.services import dispatch_acknowledge, note_add
from tests.factories import make_dispatched_incident
from tests.servers import require_postgres

pytestmark = pytest.mark.django_db

# CI creates this role (.ci/run); elsewhere the test creates it (a NOLOGIN role is enough for
# SET ROLE). It owns nothing and is no superuser, like the application's role in production.
APP_ROLE = os.environ.get("CC112_TEST_APP_ROLE", "cc112_app")


def _story(world):  # type: ignore[no-untyped-def]
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    note_add(incident=incident, author=world.police_staff, body="Tim meluncur")
    history_chain_extend()  # as beat's sweep does within seconds
    return incident


def _raw_model_insert(row) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        type(row).objects.bulk_create([row])


def _raw(sql: str) -> None:
    """SQL run around the application, as a table's owner or a superuser could: on PostgreSQL
    with the triggers off (replica mode), which is exactly what the app's role is refused."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql)


def test_every_history_row_written_by_the_services_is_sealed_and_the_chain_holds(world):
    _story(world)
    assert history_chain_extend() == 0  # a second sweep finds nothing left
    table = Incident.history.model._meta.db_table
    rows = Incident.history.model.objects.count()
    links = list(HistoryLink.objects.filter(table=table).order_by("id"))
    assert len(links) == rows > 0
    assert links[0].previous == ""
    assert all(b.previous == a.digest for a, b in pairwise(links))
    assert list(verify_history()) == []
    call_command("verify_history")  # exits 0


def test_verify_history_names_a_forged_row(world):
    incident = _story(world)
    history = Incident.history.model
    table = history._meta.db_table
    forged = incident.history.order_by("history_id")[1]
    _raw(f"UPDATE {table} SET status = 'closed' WHERE history_id = {forged.history_id}")

    assert list(verify_history()) == [
        BrokenLink(table, forged.history_id, "row changed after it was written")
    ]
    with pytest.raises(CommandError, match="broken in 1 table"):
        call_command("verify_history")


def test_verify_history_names_a_removed_row_and_one_slipped_in(world):
    incident = _story(world)
    history = Incident.history.model
    table = history._meta.db_table
    first = incident.history.order_by("history_id").first()
    _raw(f"DELETE FROM {table} WHERE history_id = {first.history_id}")
    assert list(verify_history()) == [BrokenLink(table, first.history_id, "row removed")]

    note = incident.notes.get()
    note_table = note.history.model._meta.db_table
    copy = note.history.get()
    copy.pk = 0  # slipped in below rows already sealed: no sweep will ever seal it
    copy.history_change_reason = "inserted by hand"
    _raw_model_insert(copy)
    assert BrokenLink(note_table, 0, "row without a link (written around the application)") in list(
        verify_history(lookback=0)
    )


def test_rows_written_since_the_last_sweep_wait_for_it_and_are_not_judged(world):
    incident = _story(world)
    note = note_add(incident=incident, author=world.police_staff, body="Sampai di lokasi")
    table = note.history.model._meta.db_table
    assert not HistoryLink.objects.filter(table=table, row_id=note.history.get().pk).exists()
    assert list(verify_history(lookback=0)) == []
    assert history_chain_extend() == 1
    assert HistoryLink.objects.filter(table=table, row_id=note.history.get().pk).exists()


def test_a_forged_link_does_not_hide_a_forged_row(world):
    """Rewriting a row and its own seal still breaks the next link."""
    incident = _story(world)
    table = Incident.history.model._meta.db_table
    rows = list(incident.history.order_by("history_id"))
    _raw(f"UPDATE {table} SET status = 'closed' WHERE history_id = {rows[0].history_id}")
    link = HistoryLink.objects.get(table=table, row_id=rows[0].history_id)
    _raw(f"UPDATE audit_historylink SET digest = 'f' || substr(digest, 2) WHERE id = {link.pk}")
    broken = list(verify_history())
    assert broken and broken[0].table == table


def _sweep(errors: list[BaseException]) -> None:
    try:
        history_chain_extend()
    except BaseException as error:  # reported by the test
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_writers_keep_each_chain_linear(transactional_db, world):
    require_postgres()
    incidents = [make_dispatched_incident(world.operator, [world.police])[0] for _ in range(4)]
    errors: list[BaseException] = []

    def write(incident: Incident) -> None:
        try:
            for n in range(3):
                note_add(incident=incident, author=world.police_staff, body=f"Laporan {n}")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(incident,)) for incident in incidents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # Two beats sweeping at once: each table is sealed by one of them, the chain stays linear.
    sweeps = [threading.Thread(target=_sweep, args=(errors,)) for _ in range(2)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    history_chain_extend()
    assert not errors
    assert HistoryLink.objects.filter(table="incidents_historicalnote").count() == 12
    assert list(verify_history()) == []


# --- The application's role (PostgreSQL) ---------------------------------------------------------


def _as_app_role(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(APP_ROLE)}")
        cursor.execute(sql)


@pytest.fixture
def app_role(db):  # type: ignore[no-untyped-def]
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(APP_ROLE)} NOLOGIN")
    grant_app_role(APP_ROLE)  # as migrate does for DATABASE_URL's role (rolled back after)
    return APP_ROLE


def test_the_app_role_works_cases_and_writes_sealed_history(world, app_role):
    incident, _dispatches = make_dispatched_incident(world.operator, [world.police])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(app_role)}")
        note_add(incident=incident, author=world.police_staff, body="Ditangani")
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role
        history_chain_extend()  # beat's sweep runs as the app's role too
    assert list(verify_history()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE {table}",
        "ALTER TABLE {table} DISABLE TRIGGER cc112_append_only",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
        "UPDATE {table} SET {pk} = {pk}",
        "DELETE FROM {table}",
        "TRUNCATE audit_historylink",
        "DELETE FROM audit_historylink",
        "DROP TABLE {table}",
    ],
)
def test_the_app_role_cannot_get_round_the_history_triggers(world, app_role, statement):
    make_dispatched_incident(world.operator, [world.police])
    for model in history_models():
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        with pytest.raises(DatabaseError, match=r"permission denied|must be owner|append-only"):
            _as_app_role(statement.format(table=table, pk=pk))
        if "{table}" not in statement:
            break
    history_chain_extend()
    assert list(verify_history()) == []
