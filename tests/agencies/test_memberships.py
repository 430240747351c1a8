"""People join agencies with a role; the role decides what they may do in the portal."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.access import agency_of, is_agency_staff, is_centre_staff, membership_of
from agencies.models import Membership, Role
from agencies.services import membership_create, membership_end
from incidents.models import Incident
from tests.factories import UserFactory, make_dispatched_incident

User = get_user_model()


def test_an_operator_can_log_in_and_take_calls(world):
    operator = world.operator
    assert operator.is_staff
    assert is_centre_staff(operator)
    assert operator.has_perm("incidents.add_incident")
    assert operator.has_perm("incidents.add_call")


def test_agency_staff_work_their_dispatches_but_open_no_cases(world):
    staff = world.police_staff
    assert staff.is_staff
    assert is_agency_staff(staff)
    assert agency_of(staff) == world.police
    assert staff.has_perm("incidents.change_dispatch")
    assert not staff.has_perm("incidents.add_incident")
    assert not staff.has_perm("incidents.view_call")


@pytest.mark.parametrize(
    ("agency", "role"), [("centre", Role.STAFF), ("police", Role.OPERATOR), ("health", Role.HEAD)]
)
def test_a_role_must_exist_at_the_agency(world, agency, role):
    user = UserFactory()
    target = getattr(world, agency)
    if role in (Role.HEAD,) and not target.is_centre:
        membership_create(user=user, agency=target, role=role, actor=world.coordinator)
        return
    with pytest.raises(ValidationError) as refused:
        membership_create(user=user, agency=target, role=role, actor=world.coordinator)
    assert "role" in refused.value.message_dict
    assert not Membership.objects.filter(user=user).exists()


def test_moving_to_another_agency_ends_the_old_membership(world):
    staff = world.police_staff
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    assert Incident.objects.visible_to(staff).filter(pk=incident.pk).exists()

    membership_create(user=staff, agency=world.health, role=Role.STAFF, actor=world.coordinator)

    assert membership_of(staff).agency == world.health
    assert Membership.objects.filter(user=staff, is_active=True).count() == 1
    assert not staff.groups.filter(name="agency:polresta").exists()
    assert not Incident.objects.visible_to(staff).filter(pk=incident.pk).exists()


def test_an_ended_membership_closes_the_portal(world):
    membership_end(membership=membership_of(world.health_staff), actor=world.coordinator)
    staff = User.objects.get(pk=world.health_staff.pk)  # as the next request loads them
    assert not staff.is_staff
    assert membership_of(staff) is None
    assert not staff.has_perm("incidents.view_incident")


def test_membership_history_names_who_granted_it(world):
    membership = membership_of(world.police_head)
    user = UserFactory()
    granted = membership_create(
        user=user, agency=world.police, role=Role.STAFF, actor=world.coordinator
    )
    assert granted.history.get().history_user == world.coordinator
    assert membership.history.get().history_user is None, "the fixture acted as nobody"


def _membership_read_by_the_orm(user):  # type: ignore[no-untyped-def]
    return Membership.objects.active().filter(user=user).select_related("agency").first()


def test_who_someone_is_reads_the_same_as_the_orm_in_one_statement(world):
    """``membership_of`` writes its statement out (every page reads it first): the membership
    and its agency come back field for field as the ORM gives them, in one query."""
    for person in (world.operator, world.police_staff, world.health_staff, world.supervisor):
        fresh = type(person).objects.get(pk=person.pk)
        with CaptureQueriesContext(connection) as read:
            mine = membership_of(fresh)
        assert len(read.captured_queries) == 1
        expected = _membership_read_by_the_orm(person)
        for model_object, orm_object in ((mine, expected), (mine.agency, expected.agency)):
            for field in type(orm_object)._meta.concrete_fields:
                assert getattr(model_object, field.attname) == getattr(orm_object, field.attname), (
                    field.name
                )
        assert mine.created_at.tzinfo is not None
        assert mine.personal_grants is False


def test_no_one_is_who_an_ended_membership_or_a_closed_agency_made_them(world):
    world.police.is_active = False
    world.police.save()
    assert membership_of(type(world.police_staff).objects.get(pk=world.police_staff.pk)) is None
    membership = Membership.objects.get(user=world.health_staff)
    membership.is_active = False
    membership.save()
    assert membership_of(type(world.health_staff).objects.get(pk=world.health_staff.pk)) is None
    assert membership_of(world.inactive) is None
