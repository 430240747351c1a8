"""Who may do what: the portal reads a person's permissions in one written-out statement,
and it must grant exactly what Django's own backend grants, no more and no less."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cc112.auth import ModelPermissionBackend
from tests.factories import UserFactory


def _fresh(user):  # type: ignore[no-untyped-def]
    return type(user).objects.get(pk=user.pk)  # no permissions read yet


def test_a_persons_permissions_are_their_own_and_their_groups_read_in_one_statement(world):
    dispatcher = Group.objects.create(name="dispatchers")
    dispatcher.permissions.add(Permission.objects.get(codename="view_incident"))
    clerk = UserFactory(username="clerk")
    clerk.groups.add(dispatcher)
    clerk.user_permissions.add(Permission.objects.get(codename="view_category"))
    bystander = UserFactory(username="bystander")

    person = _fresh(clerk)
    with CaptureQueriesContext(connection) as read:
        granted = ModelPermissionBackend().get_all_permissions(person)

    assert len(read.captured_queries) == 1
    assert granted == {"incidents.view_incident", "incidents.view_category"}
    assert granted == ModelBackend().get_all_permissions(_fresh(clerk))
    assert ModelPermissionBackend().get_all_permissions(_fresh(bystander)) == set()


def test_every_role_in_the_network_gets_what_djangos_backend_gives_it(world):
    for person in (world.operator, world.supervisor, world.police_staff, world.police_head):
        assert ModelPermissionBackend().get_all_permissions(_fresh(person)) == (
            ModelBackend().get_all_permissions(_fresh(person))
        ), person


def test_an_administrator_holds_every_permission_and_an_inactive_account_none(world):
    admin = UserFactory(username="root", is_superuser=True)
    assert ModelPermissionBackend().get_all_permissions(_fresh(admin)) == (
        ModelBackend().get_all_permissions(_fresh(admin))
    )
    assert len(ModelPermissionBackend().get_all_permissions(_fresh(admin))) == (
        Permission.objects.count()
    )
    assert ModelPermissionBackend().get_all_permissions(_fresh(world.inactive)) == set()
