"""An operator takes calls and opens cases; bad input is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cc112.errors import ActionForbidden
from incidents.models import Call, CallOutcome, Channel, Incident, IncidentStatus
from incidents.services import call_record, incident_create, incident_update
from tests.factories import CategoryFactory, make_incident

WIT = dt.timezone(dt.timedelta(hours=9))


def test_operator_opens_a_case_from_a_112_call(world):
    category = CategoryFactory(code="KTB", default_priority=2)
    incident = incident_create(
        actor=world.operator,
        category=category,
        location_text="Pasar Mardika",
        kecamatan="Sirimau",
        description="Perkelahian antar pemuda",
        caller_name="Ibu Maria",
        caller_phone="081234567890",
    )
    assert re.fullmatch(r"112-AMB-\d{4}-\d{6}", incident.reference)
    assert incident.status == IncidentStatus.RECEIVED
    assert incident.priority == 2, "the category's default priority"
    assert incident.operator == world.operator
    assert incident.call.outcome == CallOutcome.INCIDENT
    assert incident.call.callback_number == "081234567890"
    assert incident.call.answered_at == incident.received_at


def test_a_whatsapp_report_has_no_call_record(world):
    incident = make_incident(world.operator, channel=Channel.WHATSAPP)
    assert incident.call is None


def test_references_count_up_per_year_in_the_centres_time_zone(world):
    # 31 Dec 2025 16:30 UTC is already 1 Jan 2026 01:30 in Ambon (WIT, UTC+9).
    with time_machine.travel(dt.datetime(2026, 1, 2, tzinfo=dt.UTC), tick=False):
        late_2025 = make_incident(
            world.operator, received_at=dt.datetime(2025, 12, 31, 14, 0, tzinfo=dt.UTC)
        )
        new_year = make_incident(
            world.operator, received_at=dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC)
        )
        second = make_incident(world.operator)
    assert late_2025.reference == "112-AMB-2025-000001"
    assert new_year.reference == "112-AMB-2026-000001"
    assert second.reference == "112-AMB-2026-000002"


def test_times_are_stored_in_utc_and_shown_in_wit(world):
    incident = make_incident(
        world.operator, received_at=timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    )
    assert incident.received_at.utcoffset() == dt.timedelta(0)
    assert timezone.localtime(incident.received_at).utcoffset() == dt.timedelta(hours=9)


def test_prank_call_is_recorded_without_a_case(world):
    call = call_record(operator=world.operator, outcome=CallOutcome.PRANK)
    assert call.outcome == CallOutcome.PRANK
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message_field"),
    [
        ("caller_phone", "not a phone", "caller_phone"),
        ("location_text", "   ", "location_text"),
        ("description", "", "description"),
        ("latitude", 123, "latitude"),
        ("received_at", "future", "received_at"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(world, field, value, message_field):
    if value == "future":
        value = timezone.now() + dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        make_incident(world.operator, **{field: value})
    assert message_field in refused.value.message_dict
    assert Incident.objects.count() == 0
    assert Call.objects.count() == 0


def test_a_naive_time_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        make_incident(world.operator, received_at=dt.datetime(2025, 9, 8, 10, 0))
    assert "received_at" in refused.value.message_dict


def test_a_retired_category_cannot_be_used(world):
    category = CategoryFactory(is_active=False)
    with pytest.raises(ValidationError) as refused:
        make_incident(world.operator, category=category)
    assert "category" in refused.value.message_dict


def test_a_call_opens_at_most_one_case(world):
    call = call_record(operator=world.operator, outcome=CallOutcome.INCIDENT)
    first = make_incident(world.operator, call=call)
    assert first.received_at == call.answered_at
    with pytest.raises(ValidationError):
        make_incident(world.operator, call=call)
    prank = call_record(operator=world.operator, outcome=CallOutcome.PRANK)
    with pytest.raises(ValidationError):
        make_incident(world.operator, call=prank)


def test_a_call_cannot_end_before_it_was_answered(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        call_record(
            operator=world.operator,
            outcome=CallOutcome.DROPPED,
            answered_at=now,
            ended_at=now - dt.timedelta(seconds=5),
        )
    assert "ended_at" in refused.value.message_dict


@pytest.mark.parametrize("persona", ["police_staff", "police_head", "outsider"])
def test_only_the_centre_opens_cases_and_records_calls(world, persona):
    with pytest.raises(ActionForbidden):
        make_incident(getattr(world, persona))
    with pytest.raises(ActionForbidden):
        call_record(operator=getattr(world, persona), outcome=CallOutcome.PRANK)
    assert Incident.objects.count() == 0


def test_operator_corrects_a_case_and_history_keeps_the_old_value(world):
    incident = make_incident(world.operator, kecamatan="Sirimau")
    incident_update(
        incident=incident, actor=world.supervisor, changes={"kecamatan": "Nusaniwe", "priority": 1}
    )
    latest, created = incident.history.all()[:2]
    assert latest.kecamatan == "Nusaniwe"
    assert created.kecamatan == "Sirimau"
    assert latest.history_user == world.supervisor
    assert latest.history_change_reason == "corrected: kecamatan, priority"


def test_a_correction_that_changes_nothing_leaves_no_record(world):
    incident = make_incident(world.operator, kecamatan="Sirimau")
    incident_update(incident=incident, actor=world.operator, changes={"kecamatan": "Sirimau"})
    assert incident.history.count() == 1


def test_status_and_reference_cannot_be_corrected(world):
    incident = make_incident(world.operator)
    with pytest.raises(ValidationError) as refused:
        incident_update(
            incident=incident,
            actor=world.operator,
            changes={"status": IncidentStatus.CLOSED, "reference": "x"},
        )
    assert set(refused.value.message_dict) == {"status", "reference"}


def test_agency_staff_cannot_correct_a_case(world):
    incident = make_incident(world.operator)
    with pytest.raises(ActionForbidden):
        incident_update(incident=incident, actor=world.police_head, changes={"priority": 1})
