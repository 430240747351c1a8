"""Personas shared by the whole suite (see ``world``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from agencies.models import Agency, AgencyKind, Role
from tests.factories import AgencyFactory, UserFactory, make_member

# Real-browser fixtures (page, new_page, browser, screenshot): see tests/browser.py.
pytest_plugins = ["tests.browser"]


@dataclass
class World:
    centre: Agency
    police: Agency
    health: Agency
    operator: object
    supervisor: object
    coordinator: object
    police_staff: object
    police_head: object
    health_staff: object
    outsider: object
    inactive: object


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: figures or lookups one test kept (the centre's
    figures for a period, an API key's account) must not answer for another's data."""
    cache.clear()


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    """The 112 centre, two partner agencies and one person in each role."""
    centre = AgencyFactory(
        code="c112",
        name="Call Center 112",
        short_name="112",
        kind=AgencyKind.CENTRE,
        is_centre=True,
    )
    police = AgencyFactory(code="polresta", short_name="Polresta", kind=AgencyKind.POLICE)
    health = AgencyFactory(code="dinkes", short_name="Dinkes", kind=AgencyKind.CITY_OFFICE)
    inactive = make_member(police, Role.STAFF, username="retired")
    inactive.is_active = False
    inactive.save()
    return World(
        centre=centre,
        police=police,
        health=health,
        operator=make_member(centre, Role.OPERATOR, username="operator"),
        supervisor=make_member(centre, Role.SUPERVISOR, username="supervisor"),
        coordinator=make_member(centre, Role.COORDINATOR, username="coordinator"),
        police_staff=make_member(police, Role.STAFF, username="police"),
        police_head=make_member(police, Role.HEAD, username="police_head"),
        health_staff=make_member(health, Role.STAFF, username="health"),
        outsider=UserFactory(username="outsider"),
        inactive=inactive,
    )
