"""An administrator changes an agency's details, e.g. puts a city office on office hours."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from agencies.models import WorkingHours
from agencies.services import agency_update
from tests.factories import UserFactory


def test_an_office_moves_to_office_hours_with_its_history(world) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    agency_update(agency=world.health, actor=admin, changes={"working_hours": WorkingHours.OFFICE})
    world.health.refresh_from_db()
    assert world.health.working_hours == WorkingHours.OFFICE
    last = world.health.history.first()
    assert last.history_user == admin
    assert last.history_change_reason == "agency changed: working_hours"


def test_the_code_and_the_centre_flag_cannot_be_changed(world) -> None:
    with pytest.raises(ValidationError) as error:
        agency_update(agency=world.police, actor=None, changes={"code": "x", "is_centre": True})
    assert set(error.value.message_dict) == {"code", "is_centre"}


def test_the_centre_cannot_be_switched_off(world) -> None:
    with pytest.raises(ValidationError):
        agency_update(agency=world.centre, actor=None, changes={"is_active": False})
    world.centre.refresh_from_db()
    assert world.centre.is_active


def test_an_administrator_edits_an_agency_in_the_portal(world) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    url = reverse("admin:agencies_agency_change", args=(world.police.pk,))
    form = {
        "name": world.police.name,
        "short_name": "Polresta PP Lease",
        "kind": world.police.kind,
        "working_hours": WorkingHours.ALWAYS,
        "phone": "",
        "email": "bad address",
        "is_active": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    world.police.refresh_from_db()
    assert world.police.short_name == "Polresta"

    response = client.post(url, {**form, "email": "piket@polresta.example"})
    assert response.status_code == 302
    world.police.refresh_from_db()
    assert (world.police.short_name, world.police.email) == (
        "Polresta PP Lease",
        "piket@polresta.example",
    )


def test_staff_cannot_edit_an_agency(world) -> None:
    client = Client()
    client.force_login(world.coordinator)
    url = reverse("admin:agencies_agency_change", args=(world.police.pk,))
    response = client.post(url, {"short_name": "X", "name": "X", "kind": "police"})
    assert response.status_code == 403
    world.police.refresh_from_db()
    assert world.police.short_name == "Polresta"
