"""An install upgraded with cases on it: its callers move into their own table, and the
history tables keep no copy of any name or number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("incidents", "0010_pulse"), ("agencies", "0003_webhooks")]
AFTER = [
    ("incidents", "0012_caller_identity_out_of_history"),
    ("agencies", "0004_data_protection_role"),
]
T0 = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC)


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_moves_callers_out_of_the_cases_calls_and_their_history() -> None:
    old = _migrate(BEFORE)
    User = old.get_model("auth", "User")
    Category = old.get_model("incidents", "Category")
    Call = old.get_model("incidents", "Call")
    Incident = old.get_model("incidents", "Incident")
    HistoricalIncident = old.get_model("incidents", "HistoricalIncident")
    operator = User.objects.create(username="op")
    category = Category.objects.create(code="MED", name_id="Medis", name_en="Medical")
    case_call = Call.objects.create(
        operator=operator,
        answered_at=T0,
        callback_number="0812 3456 4321",
        caller_key="6281234564321",
        outcome="incident",
    )
    prank = Call.objects.create(
        operator=operator,
        answered_at=T0,
        callback_number="0813 0000 1111",
        caller_key="6281300001111",
        outcome="prank",
    )
    closed_at = T0 + dt.timedelta(hours=2)
    case = Incident.objects.create(
        reference="112-AMB-2025-000001",
        call=case_call,
        caller_name="Ibu Sari",
        caller_phone="0812 3456 4321",
        location_text="Pasar Mardika",
        category=category,
        priority=2,
        description="Sesak napas",
        status="closed",
        received_at=T0,
        closed_at=closed_at,
    )
    HistoricalIncident.objects.create(
        id=case.pk,
        reference=case.reference,
        caller_name="Ibu Sari",
        caller_phone="0812 3456 4321",
        location_text="Pasar Mardika",
        category_id=category.pk,
        priority=2,
        description="Sesak napas",
        status="received",
        channel="phone",
        received_at=T0,
        created_at=T0,
        updated_at=T0,
        history_date=T0,
        history_type="+",
    )
    updated_at = Incident.objects.get(pk=case.pk).updated_at

    try:
        new = _migrate(AFTER)
        Identity = new.get_model("incidents", "CallerIdentity")
        moved = new.get_model("incidents", "Incident").objects.get(pk=case.pk)
        identity = Identity.objects.get(pk=moved.caller_id)
        assert (identity.name, identity.phone, identity.key) == (
            "Ibu Sari",
            "0812 3456 4321",
            "6281234564321",
        )
        assert identity.had_phone and identity.released_at == closed_at
        assert moved.updated_at == updated_at  # partners' sync cursors do not move
        calls = new.get_model("incidents", "Call").objects
        assert calls.get(pk=case_call.pk).caller_id == identity.pk  # one caller, one row
        prank_caller = Identity.objects.get(pk=calls.get(pk=prank.pk).caller_id)
        assert (prank_caller.phone, prank_caller.released_at) == ("0813 0000 1111", T0)
        history = new.get_model("incidents", "HistoricalIncident").objects.get(id=case.pk)
        assert history.status == "received"  # the record stays, without the identity
        for table in ("incidents_historicalincident", "incidents_historicalcall"):
            assert not _columns(table) & {
                "caller_name",
                "caller_phone",
                "callback_number",
                "caller_key",
            }
    finally:
        _migrate(_latest())


def _latest():  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
