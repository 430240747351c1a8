"""Upgrading a running centre: `migrate` brings the role groups in line even when a later app
added a model whose permissions the groups need (the roles' sync runs before that app's own
post-migrate step would create them)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from agencies.models import Role
from agencies.roles import role_group, role_groups_sync

pytestmark = pytest.mark.django_db


def test_a_new_models_permissions_reach_the_role_groups_on_upgrade():
    supervisors = role_group(Role.SUPERVISOR)
    # As on a database migrated before the gazetteer: its permissions do not exist yet.
    Permission.objects.filter(
        content_type__app_label="incidents", codename__endswith="_area"
    ).delete()

    role_groups_sync()

    granted = set(supervisors.permissions.values_list("codename", flat=True))
    assert {"view_area", "change_area"} <= granted
