"""The centre sends a case to agencies; each agency works only its own dispatch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cc112.errors import ActionForbidden
from incidents.models import DispatchStatus
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_mark_on_scene,
    incident_dispatch,
)
from tests.factories import make_dispatched_incident, make_incident


def test_one_case_goes_to_several_agencies_at_once(world):
    _incident, dispatches = make_dispatched_incident(world.operator, [world.police, world.health])
    assert {d.agency for d in dispatches} == {world.police, world.health}
    assert {d.status for d in dispatches} == {DispatchStatus.PENDING}
    assert all(d.dispatched_by == world.operator for d in dispatches)


def test_an_agency_is_not_sent_the_same_case_twice_while_it_works_on_it(world):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    with pytest.raises(ValidationError) as refused:
        incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    assert "Polresta" in refused.value.message_dict["agencies"][0]
    assert incident.dispatches.count() == 1


def test_a_case_is_not_dispatched_to_the_centre_itself_or_to_nobody(world):
    incident = make_incident(world.operator)
    with pytest.raises(ValidationError):
        incident_dispatch(incident=incident, agencies=[world.centre], actor=world.operator)
    with pytest.raises(ValidationError):
        incident_dispatch(incident=incident, agencies=[], actor=world.operator)
    assert incident.dispatches.count() == 0


def test_agency_staff_cannot_dispatch(world):
    incident = make_incident(world.operator)
    with pytest.raises(ActionForbidden):
        incident_dispatch(incident=incident, agencies=[world.health], actor=world.police_head)


def test_agency_cannot_acknowledge_another_agencys_dispatch_on_a_shared_case(world):
    _incident, [police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health]
    )
    with pytest.raises(ActionForbidden):
        dispatch_acknowledge(dispatch=health, actor=world.police_staff)
    health.refresh_from_db()
    assert health.status == DispatchStatus.PENDING
    assert dispatch_acknowledge(dispatch=police, actor=world.police_staff).acknowledged_by == (
        world.police_staff
    )


def test_only_the_centre_cancels_a_dispatch(world):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police])
    with pytest.raises(ActionForbidden):
        dispatch_cancel(dispatch=police, actor=world.police_head, reason="Tidak perlu")
    dispatch_cancel(dispatch=police, actor=world.supervisor, reason="Salah instansi")


def test_operator_records_an_acknowledgement_radioed_in_by_the_agency(world):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police])
    radioed = police.dispatched_at + dt.timedelta(seconds=45)
    with pytest.raises(ValidationError):
        dispatch_acknowledge(
            dispatch=police, actor=world.operator, at=police.dispatched_at - dt.timedelta(1)
        )
    police = dispatch_acknowledge(dispatch=police, actor=world.operator, at=radioed)
    assert police.acknowledged_at == radioed
    assert police.acknowledged_by == world.operator


def test_steps_cannot_be_recorded_out_of_order_in_time(world):
    now = timezone.now()
    incident = make_incident(world.operator, received_at=now - dt.timedelta(minutes=30))
    [police] = incident_dispatch(
        incident=incident,
        agencies=[world.police],
        actor=world.operator,
        at=now - dt.timedelta(minutes=29),
    )
    dispatch_acknowledge(
        dispatch=police, actor=world.police_staff, at=now - dt.timedelta(minutes=28)
    )
    with pytest.raises(ValidationError):
        dispatch_mark_on_scene(
            dispatch=police, actor=world.police_staff, at=now - dt.timedelta(minutes=29)
        )
    with pytest.raises(ValidationError):
        incident_dispatch(
            incident=incident,
            agencies=[world.health],
            actor=world.operator,
            at=now - dt.timedelta(hours=1),
        )
