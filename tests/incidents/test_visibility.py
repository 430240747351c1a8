"""Who sees which cases, through the one scoping rule."""

from __future__ import annotations

import pytest

from incidents.models import Call, Dispatch, Incident, Note
from incidents.services import dispatch_cancel, incident_dispatch, note_add
from tests.factories import make_dispatched_incident, make_incident


@pytest.fixture
def cases(world):  # type: ignore[no-untyped-def]
    police_case, _ = make_dispatched_incident(world.operator, [world.police])
    health_case, _ = make_dispatched_incident(world.operator, [world.health])
    shared_case, _ = make_dispatched_incident(world.operator, [world.police, world.health])
    undispatched = make_incident(world.operator)
    return police_case, health_case, shared_case, undispatched


@pytest.mark.parametrize("persona", ["operator", "supervisor", "coordinator"])
def test_the_centre_sees_every_case(world, cases, persona):
    assert set(Incident.objects.visible_to(getattr(world, persona))) == set(cases)


def test_an_agency_sees_only_cases_dispatched_to_it(world, cases):
    police_case, health_case, shared_case, _undispatched = cases
    for staff in (world.police_staff, world.police_head):
        assert set(Incident.objects.visible_to(staff)) == {police_case, shared_case}
    assert set(Incident.objects.visible_to(world.health_staff)) == {health_case, shared_case}


@pytest.mark.parametrize("persona", ["outsider", "inactive"])
def test_no_membership_or_no_longer_active_sees_nothing(world, cases, persona):
    user = getattr(world, persona)
    assert not Incident.objects.visible_to(user).exists()
    assert not Dispatch.objects.visible_to(user).exists()
    assert not Note.objects.visible_to(user).exists()
    assert not Call.objects.visible_to(user).exists()


def test_a_cancelled_dispatch_takes_the_case_away(world, cases):
    police_case = cases[0]
    dispatch_cancel(
        dispatch=police_case.dispatches.get(), actor=world.operator, reason="Salah instansi"
    )
    assert police_case not in Incident.objects.visible_to(world.police_staff)
    incident_dispatch(incident=police_case, agencies=[world.police], actor=world.operator)
    assert police_case in Incident.objects.visible_to(world.police_staff)


def test_partners_on_a_shared_case_see_each_others_dispatches_and_notes(world, cases):
    shared_case = cases[2]
    note_add(incident=shared_case, author=world.health_staff, body="Ambulans menuju lokasi")
    assert set(Dispatch.objects.visible_to(world.police_staff).filter(incident=shared_case)) == set(
        shared_case.dispatches.all()
    )
    assert Note.objects.visible_to(world.police_staff).filter(incident=shared_case).count() == 1
    assert not Dispatch.objects.visible_to(world.police_staff).filter(incident=cases[1]).exists()


def test_call_records_stay_inside_the_centre(world, cases):
    assert Call.objects.visible_to(world.operator).count() == 4
    assert not Call.objects.visible_to(world.police_head).exists()


def test_an_agency_cannot_write_on_a_case_it_cannot_see(world, cases):
    from cc112.errors import ActionForbidden

    with pytest.raises(ActionForbidden):
        note_add(incident=cases[1], author=world.police_staff, body="?")
