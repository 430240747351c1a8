"""Logging in to the portal through its login page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def test_the_login_page_opened_by_itself_leads_into_the_portal(world):  # type: ignore[no-untyped-def]
    # unfold's login form carries no "next" field; Django's default (/accounts/profile/) is
    # a page this portal does not have.
    response = Client().post(reverse("admin:login"), {"username": "operator", "password": PASSWORD})

    assert response.status_code == 302
    # ...whence each person goes on to their home (tests/cc112/test_homes.py).
    assert response["Location"] == reverse("admin:index")


def test_the_login_page_sent_to_from_a_page_leads_back_to_it(world):  # type: ignore[no-untyped-def]
    cases = reverse("admin:incidents_incident_changelist")
    login = Client().get(cases)["Location"]

    response = Client().post(login, {"username": "operator", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == cases
