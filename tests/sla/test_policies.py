"""The targets and the ladder are rows a city edits; the most specific target wins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from incidents.models import Priority
from sla.models import ClockKind, EscalationStep, Target
from sla.services import target_for
from sla.targets import DEFAULT_TARGETS
from tests.factories import CategoryFactory, make_dispatched_incident

K = ClockKind
MINUTE = dt.timedelta(minutes=1)


def test_a_new_installation_starts_with_the_targets_and_ladder_of_the_domain(db):
    general = {
        (row.kind, row.priority): row.target
        for row in Target.objects.filter(agency=None, category=None)
    }
    assert general == {
        (kind, priority): target
        for kind, by_priority in DEFAULT_TARGETS.items()
        for priority, target in by_priority.items()
    }
    assert general[K.DISPATCH, Priority.P1] == dt.timedelta(seconds=60)
    assert general[K.ON_SCENE, Priority.P2] == 40 * MINUTE

    ladder = [
        (
            s.level,
            s.percent,
            s.notify_duty_officer,
            s.notify_agency_head,
            s.notify_supervisor,
            s.notify_coordinator,
            s.flags_for_evaluation,
        )
        for s in EscalationStep.objects.all()
    ]
    assert ladder == [
        (1, 100, True, False, True, False, False),
        (2, 150, False, True, True, False, False),
        (3, 200, False, False, False, True, True),
    ]


@pytest.fixture
def fire(db):  # type: ignore[no-untyped-def]
    return CategoryFactory(code="KBK", name_en="Fire")


@pytest.fixture
def flood(db):  # type: ignore[no-untyped-def]
    return CategoryFactory(code="BJR", name_en="Flood")


@pytest.fixture
def edited_targets(world, fire):  # type: ignore[no-untyped-def]
    """A city's acknowledge targets for P2, from the most general to the most specific."""
    general = Target.objects.get(
        kind=K.ACKNOWLEDGE, priority=Priority.P2, agency=None, category=None
    )
    general.target = 6 * MINUTE
    general.save()  # one by one: policies refuse bulk updates (their history records them)
    Target.objects.create(
        kind=K.ACKNOWLEDGE, priority=Priority.P2, category=fire, target=4 * MINUTE
    )
    Target.objects.create(
        kind=K.ACKNOWLEDGE, priority=Priority.P2, agency=world.police, target=3 * MINUTE
    )
    Target.objects.create(
        kind=K.ACKNOWLEDGE,
        priority=Priority.P2,
        agency=world.police,
        category=fire,
        target=2 * MINUTE,
    )


def ack_p2(*, category=None, agency=None) -> dt.timedelta:  # type: ignore[no-untyped-def]
    return target_for(
        K.ACKNOWLEDGE,
        priority=Priority.P2,
        category_id=category.pk if category else None,
        agency_id=agency.pk if agency else None,
    )


def test_the_agency_and_category_target_beats_every_other(world, fire, edited_targets):
    assert ack_p2(category=fire, agency=world.police) == 2 * MINUTE


def test_an_agency_target_beats_a_category_target(world, fire, flood, edited_targets):
    assert ack_p2(category=flood, agency=world.police) == 3 * MINUTE
    Target.objects.filter(agency=world.police, category=fire).delete()
    assert ack_p2(category=fire, agency=world.police) == 3 * MINUTE


def test_a_category_target_beats_the_general_one(world, fire, edited_targets):
    assert ack_p2(category=fire, agency=world.health) == 4 * MINUTE


def test_the_edited_general_row_answers_when_nothing_narrower_matches(world, flood, edited_targets):
    assert ack_p2(category=flood, agency=world.health) == 6 * MINUTE


def test_without_any_row_the_domain_default_applies(world, flood, edited_targets):
    Target.objects.filter(
        kind=K.ACKNOWLEDGE, priority=Priority.P2, agency=None, category=None
    ).delete()
    assert ack_p2(category=flood, agency=world.health) == DEFAULT_TARGETS["acknowledge"][2]
    Target.objects.all().delete()
    assert ack_p2(category=flood, agency=world.police) == 5 * MINUTE


def test_another_prioritys_row_never_applies(world, fire, edited_targets):
    assert ack_p2(category=fire, agency=world.police) == 2 * MINUTE
    assert target_for(
        K.ACKNOWLEDGE, priority=Priority.P1, category_id=fire.pk, agency_id=world.police.pk
    ) == dt.timedelta(seconds=60)


def test_a_dispatched_case_gets_the_narrowest_targets_on_its_clocks(world, fire, edited_targets):
    incident, _ = make_dispatched_incident(
        world.operator, [world.police, world.health], category=fire, priority=Priority.P2
    )

    acknowledge = {c.agency: c.target for c in incident.clocks.filter(kind=K.ACKNOWLEDGE)}
    assert acknowledge == {world.police: 2 * MINUTE, world.health: 4 * MINUTE}
    assert incident.clocks.get(kind=K.DISPATCH).target == 2 * MINUTE


def test_the_dispatch_clock_has_no_agency_target(world):
    refused = Target(kind=K.DISPATCH, priority=Priority.P1, agency=world.police, target=MINUTE)
    with pytest.raises(ValidationError) as error:
        refused.full_clean()
    assert "agency" in error.value.message_dict

    Target(
        kind=K.ACKNOWLEDGE, priority=Priority.P1, agency=world.police, target=MINUTE
    ).full_clean()
    Target(
        kind=K.DISPATCH, priority=Priority.P1, category=CategoryFactory(), target=MINUTE
    ).full_clean()


def test_a_second_general_target_for_one_clock_and_priority_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(kind=K.ON_SCENE, priority=Priority.P3, target=90 * MINUTE)
    assert Target.objects.get(kind=K.ON_SCENE, priority=Priority.P3).target == 120 * MINUTE


def test_a_second_target_for_one_agency_and_category_is_refused(world, fire, edited_targets):
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            kind=K.ACKNOWLEDGE,
            priority=Priority.P2,
            agency=world.police,
            category=fire,
            target=MINUTE,
        )


def test_a_higher_level_must_fall_due_later(db):
    level_2 = EscalationStep.objects.get(level=2)
    level_2.percent = 250  # after level 3's 200 %
    with translation.override("en"), pytest.raises(ValidationError) as error:
        level_2.full_clean()
    assert "level 3 is at 200%" in str(error.value.message_dict["percent"])

    level_4 = EscalationStep(level=4, percent=120)
    with pytest.raises(ValidationError):
        level_4.full_clean()
    EscalationStep(level=4, percent=300).full_clean()
