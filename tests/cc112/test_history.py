"""Evaluations rest on the history: every write names who made it and why."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agencies.models import ApiKey
from agencies.services import api_key_create
from cc112.history import (
    SYSTEM_USERNAME,
    AuditedUpdateRefused,
    history_models,
    system_user,
    unrecorded_fields,
)
from incidents.models import Dispatch, Incident, Note
from incidents.services import (
    dispatch_acknowledge,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_close,
    note_add,
)
from sla.models import Target
from tests.factories import make_dispatched_incident
from tests.servers import require_postgres


def test_every_step_of_a_case_is_recorded_with_its_actor_and_reason(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    dispatch_mark_en_route(dispatch=dispatch, actor=world.police_staff)
    dispatch_mark_on_scene(dispatch=dispatch, actor=world.police_head)
    dispatch_resolve(dispatch=dispatch, actor=world.police_head, resolution="Diamankan")
    note_add(incident=incident, author=world.police_staff, body="Dua orang diamankan")
    incident_close(incident=incident, actor=world.supervisor)

    dispatch_rows = [
        (h.history_user.username, h.history_change_reason, h.status)
        for h in dispatch.history.order_by("history_id")
    ]
    assert dispatch_rows == [
        ("operator", "dispatched", "pending"),
        ("police", "acknowledged", "acknowledged"),
        ("police", "en route", "en_route"),
        ("police_head", "on scene", "on_scene"),
        ("police_head", "resolved", "resolved"),
    ]
    incident_rows = [
        (h.history_user.username, h.status) for h in incident.history.order_by("history_id")
    ]
    assert incident_rows == [
        ("operator", "received"),
        ("operator", "dispatched"),
        ("police", "in_progress"),
        ("police_head", "resolved"),
        ("supervisor", "closed"),
    ]
    note = Note.objects.get()
    assert note.history.get().history_user == world.police_staff
    assert note.agency == world.police


@pytest.mark.parametrize("model", [Incident, Dispatch, Note])
def test_bulk_updates_on_audited_models_are_refused(world, model):
    make_dispatched_incident(world.operator, [world.police])
    with pytest.raises(AuditedUpdateRefused):
        model.objects.all().update(pk=1)
    with pytest.raises(AuditedUpdateRefused):
        model.objects.bulk_update(list(model.objects.all()), ["pk"])


def test_every_audited_model_refuses_bulk_updates_of_what_its_history_records(db):
    # Many-to-many history (a category's suggested agencies) is written by the relation's own
    # add/remove; its auto-created table has no manager of ours and no service writes it.
    audited = {
        model.instance_type
        for model in history_models()
        if hasattr(model, "instance_type") and not model.instance_type._meta.auto_created
    }
    assert {Incident, Dispatch, Note, ApiKey, Target} <= audited
    for model in audited:
        recorded = next(
            field.name
            for field in model._meta.concrete_fields
            if not field.primary_key and field.name not in unrecorded_fields(model)
        )
        with pytest.raises(AuditedUpdateRefused):
            model._default_manager.none().update(**{recorded: None})


def test_what_the_history_leaves_out_may_change_in_bulk(world):
    api_key, _ = api_key_create(agency=world.police, name="SIM Polresta", actor=None)
    moment = timezone.now()
    assert ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=moment) == 1
    assert api_key.history.count() == 1  # created; its use is not a change of the key


def _history_tables() -> list[str]:
    return [model._meta.db_table for model in history_models()]


def test_on_postgresql_the_history_cannot_be_edited_or_deleted(world):
    require_postgres()
    case, (dispatch,) = make_dispatched_incident(world.operator, [world.police])
    record = case.history.earliest("history_date")

    for statement in (
        f"UPDATE {case.history.model._meta.db_table} SET history_user_id = NULL"
        f" WHERE history_id = {record.history_id}",
        f"DELETE FROM {case.history.model._meta.db_table} WHERE history_id = {record.history_id}",
    ):
        with (
            pytest.raises(IntegrityError, match="history is append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        dispatch.history.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        world.operator.delete()  # the history would lose who took the call

    recorded = dispatch.history.count()
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)  # recording goes on
    assert dispatch.history.count() == recorded + 1
    assert case.history.earliest("history_date").history_user == world.operator


def test_on_postgresql_every_history_table_is_sealed(db):
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = 'cc112_append_only' AND t.tgenabled = 'O'"
        )
        sealed = {name for (name,) in cursor.fetchall()}
    assert sealed == {*_history_tables(), "audit_historylink"}  # and the hash chain's links
    assert "incidents_historicalcategory_suggested_agencies" in sealed  # many-to-many history


def test_the_system_user_cannot_log_in_and_is_created_once(db):
    user = system_user()
    assert user.username == SYSTEM_USERNAME
    assert not user.is_active
    assert not user.has_usable_password()
    assert system_user().pk == user.pk
