"""The call screen's one submit stays at the speed of the call: a fixed, small number of SQL
statements however many agencies it dispatches to (bench/console.py times it on a year of
calls), and still every record it owes: history, grants, clocks, notifications, markers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_groups_with_perms

from agencies.models import Role
from incidents.models import Dispatch
from incidents.pulse import CENTRE, agency_key, pulse_version
from incidents.services import incident_create_and_dispatch
from sla.models import Clock, Notification
from tests.factories import AgencyFactory, CategoryFactory, make_member
from tests.sla.frozen import T0

pytestmark = pytest.mark.django_db

# The submit's statements, PostgreSQL and SQLite alike (73 before they were counted): the
# operator's memberships; the caller's identity (its own table, for retention); the call, the
# reference, the case and their history; the ladder and
# targets; the dispatches, their history and the grants; every clock, the case's and the
# dispatches', the operator's already answered; the case's status and its history; the webhook
# subscriptions; the notifications (their members found inside the insert); the markers; the
# savepoint. A change that adds statements per agency or per clock fails here before it slows
# the screen.
MAX_STATEMENTS = 20


def submit(world, agencies):  # type: ignore[no-untyped-def]
    category = CategoryFactory()
    operator = type(world.operator).objects.get(pk=world.operator.pk)  # as a request loads them
    with CaptureQueriesContext(connection) as statements:
        incident, dispatches = incident_create_and_dispatch(
            actor=operator,
            agencies=agencies,
            category=category,
            location_text="Depan Gereja Maranatha",
            description="Tabrakan motor",
            caller_phone="081234567890",
            received_at=T0 - dt.timedelta(seconds=30),
        )
    return incident, dispatches, len(statements)


def test_one_submit_takes_the_same_few_statements_for_two_agencies_or_three(world, time_machine):
    time_machine.move_to(T0, tick=False)
    fire = AgencyFactory(code="damkar", short_name="Damkar")
    make_member(fire, role=Role.STAFF)

    _incident, _dispatches, two = submit(world, [world.police, world.health])
    _incident, _dispatches, three = submit(world, [world.police, world.health, fire])

    assert two <= MAX_STATEMENTS, f"{two} statements for one submit"
    assert three == two


def test_the_submit_leaves_every_record_and_moves_each_marker_once(world, time_machine):
    time_machine.move_to(T0, tick=False)
    before = {key: pulse_version(key) for key in (CENTRE, *_agency_keys(world))}

    incident, dispatches, _count = submit(world, [world.police, world.health])

    assert incident.status == "dispatched" and incident.first_dispatched_at == T0
    assert incident.history.count() == 2  # created, then dispatched
    assert [d.history.get().history_change_reason for d in dispatches] == ["dispatched"] * 2
    assert all(d.history.get().history_user == world.operator for d in dispatches)
    assert set(get_groups_with_perms(incident)) == {world.police.group, world.health.group}
    assert Clock.objects.filter(incident=incident).count() == 3 + 3 * 2
    assert Clock.objects.get(incident=incident, kind="dispatch").state == "met"
    assert Notification.objects.filter(dispatch__in=dispatches).count() == (
        Notification.objects.filter(incident=incident).count()
    )
    assert Notification.objects.filter(incident=incident).exists()
    after = {key: pulse_version(key) for key in before}
    assert {key: after[key] - before[key] for key in before} == {key: 1 for key in before}
    assert Dispatch.objects.filter(incident=incident).count() == 2


def _agency_keys(world) -> list[str]:  # type: ignore[no-untyped-def]
    return [agency_key(world.police.pk), agency_key(world.health.pk)]
