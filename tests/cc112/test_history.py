"""Evaluations rest on the history: every write names who made it and why."""

from __future__ import annotations

import pytest

from cc112.history import SYSTEM_USERNAME, AuditedUpdateRefused, system_user
from incidents.models import Dispatch, Incident, Note
from incidents.services import (
    dispatch_acknowledge,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_close,
    note_add,
)
from tests.factories import make_dispatched_incident


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


def test_the_system_user_cannot_log_in_and_is_created_once(db):
    user = system_user()
    assert user.username == SYSTEM_USERNAME
    assert not user.is_active
    assert not user.has_usable_password()
    assert system_user().pk == user.pk
