"""Setting up the network in the portal: agencies, who works where, and in which role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from agencies.access import agency_of
from agencies.models import Agency, Membership, Role
from tests.factories import UserFactory

User = get_user_model()


@pytest.fixture
def portal():  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})

    def as_user(user):  # type: ignore[no-untyped-def]
        client.logout()
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return User.objects.create_superuser("root", "root@example.org", "rahasia-112")


def new_agency_data(**overrides) -> dict:  # type: ignore[no-untyped-def]
    data = {
        "code": "damkar",
        "short_name": "Damkar",
        "name": "Dinas Pemadam Kebakaran Kota Ambon",
        "kind": "city_office",
        "working_hours": "24_7",
        "phone": "0911 352 113",
        "email": "",
    }
    data.update(overrides)
    return data


def test_an_administrator_adds_an_agency_with_its_group(world, admin_user, portal):
    response = portal(admin_user).post(reverse("admin:agencies_agency_add"), new_agency_data())

    assert response.status_code == 302
    agency = Agency.objects.get(code="damkar")
    assert agency.group == Group.objects.get(name="agency:damkar")
    created = agency.history.get()
    assert (created.history_user, created.history_change_reason) == (admin_user, "agency created")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"code": "polresta"}, "code"), ({"name": ""}, "name"), ({"kind": "bank"}, "kind")],
    ids=["taken-code", "no-name", "unknown-kind"],
)
def test_a_bad_agency_shows_form_errors_and_creates_nothing(
    world, admin_user, portal, overrides, field
):
    before = (Agency.objects.count(), Group.objects.count())
    response = portal(admin_user).post(
        reverse("admin:agencies_agency_add"), new_agency_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert (Agency.objects.count(), Group.objects.count()) == before


def test_a_second_112_centre_is_refused(world, admin_user, portal):
    response = portal(admin_user).post(
        reverse("admin:agencies_agency_add"), new_agency_data(is_centre="on", kind="centre")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not Agency.objects.filter(code="damkar").exists()


def test_agencies_are_edited_through_their_service_and_keep_their_code(world, admin_user, portal):
    url = reverse("admin:agencies_agency_change", args=(world.police.pk,))
    client = portal(admin_user)
    assert client.get(url).status_code == 200
    response = client.post(url, new_agency_data(code="diganti", name="Diganti", kind="police"))
    assert response.status_code == 302
    world.police.refresh_from_db()
    assert (world.police.code, world.police.name) == ("polresta", "Diganti")
    assert world.police.history.first().history_change_reason.startswith("agency changed: ")


def test_an_administrator_places_a_new_user_at_the_police(world, admin_user, portal):
    newcomer = UserFactory(username="brigadir")
    response = portal(admin_user).post(
        reverse("admin:agencies_membership_add"),
        {"user": newcomer.pk, "agency": world.police.pk, "role": Role.DUTY_OFFICER},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert (membership.agency, membership.role, membership.is_active) == (
        world.police,
        Role.DUTY_OFFICER,
        True,
    )
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    assert newcomer.has_perm("incidents.change_dispatch")


def test_a_role_the_agency_does_not_have_is_a_form_error(world, admin_user, portal):
    newcomer = UserFactory(username="salah_peran")
    response = portal(admin_user).post(
        reverse("admin:agencies_membership_add"),
        {"user": newcomer.pk, "agency": world.police.pk, "role": Role.OPERATOR},
    )
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()
    newcomer.refresh_from_db()
    assert not newcomer.is_staff


def test_moving_to_another_agency_ends_the_old_membership(world, admin_user, portal):
    portal(admin_user).post(
        reverse("admin:agencies_membership_add"),
        {"user": world.police_staff.pk, "agency": world.health.pk, "role": Role.STAFF},
    )
    memberships = Membership.objects.filter(user=world.police_staff)
    assert {(m.agency, m.is_active) for m in memberships} == {
        (world.police, False),
        (world.health, True),
    }
    assert agency_of(User.objects.get(pk=world.police_staff.pk)) == world.health


def test_ending_a_membership_takes_the_portal_away(world, admin_user, portal):
    membership = Membership.objects.get(user=world.police_staff, is_active=True)
    client = portal(admin_user)
    change = reverse("admin:agencies_membership_change", args=(membership.pk,))
    end = reverse("admin:agencies_membership_end_membership", args=(membership.pk,))
    assert end in client.get(change).content.decode()

    assert client.get(end).status_code == 200
    response = client.post(end)

    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert membership.history.latest("history_date").history_user == admin_user
    staff = User.objects.get(pk=world.police_staff.pk)
    assert not staff.is_staff
    response = portal(staff).get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 302


def test_memberships_are_not_edited_in_place(world, admin_user, portal):
    membership = Membership.objects.get(user=world.police_staff, is_active=True)
    url = reverse("admin:agencies_membership_change", args=(membership.pk,))
    response = portal(admin_user).post(url, {"role": Role.HEAD})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.STAFF


def test_a_supervisor_sees_who_works_where_but_does_not_place_people(world, portal):
    client = portal(world.supervisor)
    assert client.get(reverse("admin:agencies_membership_changelist")).status_code == 200
    assert client.get(reverse("admin:agencies_membership_add")).status_code == 403
    membership = Membership.objects.get(user=world.police_staff, is_active=True)
    end = reverse("admin:agencies_membership_end_membership", args=(membership.pk,))
    assert client.post(end).status_code == 403
    membership.refresh_from_db()
    assert membership.is_active


def test_agency_staff_see_agencies_but_not_memberships_or_users(world, portal):
    client = portal(world.police_staff)
    assert client.get(reverse("admin:agencies_agency_changelist")).status_code == 200
    assert client.get(reverse("admin:agencies_membership_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:agencies_agency_add")).status_code == 403


def test_the_user_picker_only_answers_administrators(world, admin_user, portal):
    url = reverse("admin:autocomplete")
    params = {
        "app_label": "agencies",
        "model_name": "membership",
        "field_name": "user",
        "term": "police",
    }
    found = portal(admin_user).get(url, params).json()["results"]
    assert {row["text"] for row in found} >= {"police", "police_head"}
    assert portal(world.supervisor).get(url, params).status_code == 403
