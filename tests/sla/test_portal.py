"""A supervisor opens a case and reads each clock's state, and why one breached."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from incidents.models import Priority
from incidents.services import dispatch_acknowledge, incident_dispatch
from sla.models import BreachReason, Clock, ClockKind
from sla.services import escalations_fire_due
from tests.factories import make_incident


def page_of(user, incident) -> str:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    response = client.get(reverse("admin:incidents_incident_change", args=(incident.pk,)))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_says_which_step_whose_and_how_late(world, duty_officer, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    after(seconds=90)  # within the operator's two minutes
    [dispatch] = incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    after(seconds=90 + 7 * 60)  # the police take seven minutes of their five to acknowledge
    escalations_fire_due()
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)

    page = page_of(world.supervisor, incident)

    assert 'id="case-clocks"' in page
    assert "Met in 1 min 30 s" in page
    assert (
        "Breached: Polresta took 7 min to acknowledge the dispatch, 2 min past the 5 min target"
        in page
    )
    assert "Level 1 at 100%" in page, "the rung that fired is listed with its time"
    assert "Overdue by" not in page


def test_a_running_clock_shows_the_time_left_and_then_how_overdue(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=20)
    assert "40 s left" in page_of(world.operator, incident)

    after(seconds=75)
    assert "Overdue by 15 s: 112 operator" in page_of(world.supervisor, incident)


def test_an_agency_sees_its_own_clocks_but_not_the_operators(world, after):
    incident = make_incident(world.operator, priority=Priority.P2)
    after(seconds=30)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    after(seconds=30 + dt.timedelta(minutes=1).total_seconds())

    page = page_of(world.police_staff, incident)

    assert "Acknowledge (T1→T2, agency)" in page
    assert "Dispatch (T0→T1, operator)" not in page


def test_the_centre_reads_it_in_bahasa_indonesia_in_wit(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(seconds=75)
    client = Client(headers={"accept-language": "id"})
    client.force_login(world.supervisor)

    page = client.get(reverse("admin:incidents_incident_change", args=(incident.pk,)))

    # T0 is 10:00 WIT (01:00 UTC); the operator had 60 s.
    assert "Terlambat 15 dtk: operator 112" in page.content.decode()
    assert "batas 16-12-2025 10:01:00" in page.content.decode()


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_the_police_head_explains_the_breach_from_the_case_page(world, after):
    """The head sees "Explain the breach" under the late clock, picks a cause and the case page
    then says why; police staff get no link and a 403; a form without a cause says so."""
    incident = make_incident(world.operator, priority=Priority.P1)
    [dispatch] = incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    after(minutes=3)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    clock = Clock.objects.get(dispatch=dispatch, kind=ClockKind.ACKNOWLEDGE)
    explain = reverse("admin:sla_clock_explain_breach", args=(clock.pk,))

    assert f'id="explain-{clock.pk}"' in page_of(world.police_head, incident)
    assert f'id="explain-{clock.pk}"' not in page_of(world.police_staff, incident)
    assert client_of(world.police_staff).get(explain).status_code == 403
    head = client_of(world.police_head)
    empty = head.post(explain, {"cause": "", "explanation": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    other = head.post(explain, {"cause": "other", "explanation": " "})
    assert "when the cause is “Other”" in other.content.decode()
    assert not BreachReason.objects.exists()

    done = head.post(explain, {"cause": "access_blocked", "explanation": "Jalan ditutup"})

    assert done.status_code == 302
    assert BreachReason.objects.get().recorded_by == world.police_head
    page = page_of(world.supervisor, incident)
    assert f'id="breach-reason-{clock.pk}"' in page and "Access blocked" in page
    assert head.get(explain).status_code == 403  # explained: nothing more to record


def test_the_supervisor_reads_the_breaches_nobody_explained_for_a_day(world, after):
    incident = make_incident(world.operator, priority=Priority.P1)
    after(minutes=4)
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    breaches = reverse("admin:sla_breaches")
    assert 'id="no-breaches"' in client_of(world.supervisor).get(breaches).content.decode()
    after(hours=25)

    page = client_of(world.supervisor).get(breaches).content.decode()

    assert incident.reference in page and "Explain the breach" in page
    police = client_of(world.police_head).get(breaches).content.decode()
    assert incident.reference in police  # the police's own clocks (on scene, 15 min)
    assert client_of(world.police_staff).get(breaches).status_code == 404
    assert client_of(world.operator).get(breaches).status_code == 404
