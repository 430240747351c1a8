"""Status badges show the label in the user's language, never the stored value."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.admin.calls import OUTCOME_COLOURS
from incidents.admin.cases import PRIORITY_COLOURS, STATUS_COLOURS
from incidents.admin.dispatches import DISPATCH_STATUS_COLOURS
from incidents.models import CallOutcome, DispatchStatus, IncidentStatus, Priority
from incidents.services import incident_close
from tests.factories import make_incident


@pytest.mark.parametrize(
    ("colours", "choices"),
    [
        (STATUS_COLOURS, IncidentStatus),
        (DISPATCH_STATUS_COLOURS, DispatchStatus),
        (OUTCOME_COLOURS, CallOutcome),
        (PRIORITY_COLOURS, Priority),
    ],
)
def test_every_choice_has_a_badge(colours, choices):
    # unfold shows the raw value ("closed") for a key missing from the colours.
    assert set(colours) == set(choices.values)


def test_a_closed_case_reads_ditutup_in_the_list(world, client):
    incident = make_incident(world.operator)
    incident_close(incident=incident, actor=world.operator, note="Informasi diberikan")
    client.force_login(world.operator)
    page = client.get(
        reverse("admin:incidents_incident_changelist"), HTTP_ACCEPT_LANGUAGE="id"
    ).content.decode()
    assert "Ditutup" in page
    assert ">closed<" not in "".join(page.lower().split())


def test_an_agency_sees_no_link_to_the_centres_call_record(world, client):
    from tests.factories import make_dispatched_incident

    incident, _ = make_dispatched_incident(world.operator, [world.police])
    call_url = reverse("admin:incidents_call_change", args=[incident.call_id])
    case_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    client.force_login(world.police_staff)
    assert call_url not in client.get(case_url).content.decode()
    client.force_login(world.operator)
    assert call_url in client.get(case_url).content.decode()
