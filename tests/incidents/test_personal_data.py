"""Callers' personal data (UU 27/2022): who read a caller's name and number, the data
protection officer's log and data-subject requests, and identities anonymised after the
retention period while the figures stay."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from agencies.models import Role
from incidents.console import caller_history
from incidents.models import (
    AccessChannel,
    CallerIdentity,
    CallOutcome,
    Incident,
    PersonalDataAccess,
    SubjectRequest,
)
from incidents.services import (
    call_record,
    dispatch_acknowledge,
    dispatch_resolve,
    incident_close,
    incident_update,
)
from incidents.services.privacy import callers_anonymise_due
from sla.models import Clock
from sla.reports import period_report
from sla.scorecards import Period, operator_scorecard
from tests.api.conftest import issue_key
from tests.factories import make_dispatched_incident, make_incident, make_member

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC)
NUMBER = "0812 3456 4321"


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(T0, tick=False)

    def move(**delta: float) -> dt.datetime:
        moment = T0 + dt.timedelta(**delta)
        time_machine.move_to(moment, tick=False)
        return moment

    return move


@pytest.fixture
def dpo(world):  # type: ignore[no-untyped-def]
    """The centre's data protection officer (pejabat pelindungan data)."""
    return make_member(world.centre, Role.DATA_PROTECTION, username="dpo")


@pytest.fixture
def police_case(world, now):  # type: ignore[no-untyped-def]
    case, _dispatches = make_dispatched_incident(
        world.operator, [world.police], caller_name="Ibu Sari Wattimena", caller_phone=NUMBER
    )
    return case


def readings(**filters) -> list[tuple]:  # type: ignore[no-untyped-def]
    return list(
        PersonalDataAccess.objects.filter(**filters)
        .order_by("id")
        .values_list("user__username", "agency__code", "channel", "incident__reference")
    )


def test_agency_staff_see_no_number_in_lists_and_the_whole_one_on_the_case_page_logged(
    world, police_case
):
    police = client_of(world.police_staff)

    listed = police.get(reverse("admin:incidents_incident_changelist"))
    assert police_case.reference in listed.content.decode()
    assert "3456" not in listed.content.decode() and readings() == []

    page = police.get(reverse("admin:incidents_incident_change", args=(police_case.pk,)))
    assert page.status_code == 200
    assert NUMBER in page.content.decode() and "Ibu Sari Wattimena" in page.content.decode()
    assert readings() == [
        ("police", "polresta", AccessChannel.CASE_PAGE, police_case.reference),
    ]


def test_the_calls_list_masks_the_number_and_the_calls_page_shows_it_logged(world, now):
    call = call_record(operator=world.operator, outcome=CallOutcome.PRANK, callback_number=NUMBER)
    operator = client_of(world.operator)

    listed = operator.get(reverse("admin:incidents_call_changelist")).content.decode()
    assert "•••• 4321" in listed and NUMBER not in listed and readings() == []

    page = operator.get(reverse("admin:incidents_call_change", args=(call.pk,)))
    assert NUMBER in page.content.decode()
    assert readings() == [("operator", "c112", AccessChannel.CASE_PAGE, None)]


def test_a_partner_reads_the_caller_in_the_whole_case_only_and_that_is_logged(world, police_case):
    _key, police_api = issue_key(world.police)

    listed = police_api.get("/api/v1/incidents/").json()["results"]
    assert "caller_phone" not in listed[0] and readings() == []

    whole = police_api.get(f"/api/v1/incidents/{police_case.pk}/").json()
    assert (whole["caller_name"], whole["caller_phone"]) == ("Ibu Sari Wattimena", NUMBER)
    [(_user, agency, channel, reference)] = readings()
    assert (agency, channel, reference) == ("polresta", AccessChannel.API, police_case.reference)


def test_the_operators_look_at_a_callers_history_is_logged(world, police_case):
    operator = client_of(world.operator)

    shown = operator.get(reverse("admin:incidents_answer_caller"), {"caller_phone": NUMBER})
    assert police_case.reference in shown.content.decode()
    assert readings(channel=AccessChannel.CALL_SCREEN) == [
        ("operator", "c112", AccessChannel.CALL_SCREEN, None)
    ]


def test_the_data_protection_officer_reads_and_exports_the_log(world, dpo, police_case):
    client_of(world.police_staff).get(
        reverse("admin:incidents_incident_change", args=(police_case.pk,))
    )
    officer = client_of(dpo)
    assert officer.get(reverse("admin:index")).url == reverse("admin:incidents_personal_data_log")

    page = officer.get(reverse("admin:incidents_personal_data_log"), {"user": "police"})
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r["access"].user, r["access"].incident) for r in rows] == [
        (world.police_staff, police_case)
    ]
    assert NUMBER not in page.content.decode()  # the log names who read, not what

    exported = officer.get(reverse("admin:incidents_personal_data_log"), {"format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode())))
    assert [line[1] for line in lines[1:]] == ["police"]
    assert lines[1][4] == police_case.reference


def test_nobody_but_the_officer_opens_the_log_or_answers_requests(world, dpo, police_case):
    for user in (world.supervisor, world.coordinator, world.operator, world.police_head):
        client = client_of(user)
        assert client.get(reverse("admin:incidents_personal_data_log")).status_code == 404
        refused = client.post(
            reverse("admin:incidents_subject_requests"),
            {"number": NUMBER, "export_format": "json"},
        )
        assert refused.status_code == 404
    assert SubjectRequest.objects.count() == 0


def test_a_data_subject_request_exports_everything_about_the_number_and_is_logged(
    world, dpo, police_case, now
):
    now(days=2)
    call_record(
        operator=world.operator, outcome=CallOutcome.PRANK, callback_number="+6281234564321"
    )
    make_incident(world.operator, caller_name="Orang lain", caller_phone="0813 0000 1111")
    client_of(world.police_staff).get(
        reverse("admin:incidents_incident_change", args=(police_case.pk,))
    )
    officer = client_of(dpo)

    answer = officer.post(
        reverse("admin:incidents_subject_requests"),
        {"number": "62 812-3456-4321", "reason": "Surat 12/XI", "export_format": "json"},
    )

    assert answer.status_code == 200, answer.content
    data = json.loads(answer.content)
    assert data["key"] == "6281234564321"
    assert [case["reference"] for case in data["cases"]] == [police_case.reference]
    assert data["cases"][0]["caller_name"] == "Ibu Sari Wattimena"
    assert sorted(call["outcome"] for call in data["calls"]) == [
        "Emergency (case created)",
        "Prank call",
    ]
    assert [(a["user"], a["case"]) for a in data["accesses"]] == [("police", police_case.reference)]
    assert "Orang lain" not in answer.content.decode()
    logged = SubjectRequest.objects.get()
    assert (logged.officer, logged.masked_number, logged.reason) == (
        dpo,
        "•••• 4321",
        "Surat 12/XI",
    )
    assert (logged.calls, logged.cases) == (2, 1)

    as_csv = officer.post(
        reverse("admin:incidents_subject_requests"), {"number": NUMBER, "export_format": "csv"}
    )
    assert as_csv["Content-Type"].startswith("text/csv")
    assert "Ibu Sari Wattimena" in as_csv.content.decode()
    listed = officer.get(reverse("admin:incidents_subject_requests")).content.decode()
    assert "•••• 4321" in listed and NUMBER not in listed
    assert SubjectRequest.objects.count() == 2


def _figures(world, case):  # type: ignore[no-untyped-def]
    """The counts, clocks and figures the evaluation rests on."""
    period = Period.of_days(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    return (
        Incident.objects.count(),
        list(Clock.objects.filter(incident=case).order_by("id").values_list("state", "elapsed")),
        operator_scorecard(world.operator, period)["own"],
        period_report(period),
        Incident.history.filter(id=case.pk).count(),
    )


@override_settings(CC112_CALLER_RETENTION_DAYS=30)
def test_a_callers_identity_is_anonymised_after_the_retention_period_and_the_figures_stay(
    world, police_case, now
):
    dispatch = police_case.dispatches.get()
    now(minutes=3)
    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
    now(minutes=40)
    dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Ditangani")
    incident_update(
        incident=police_case, actor=world.operator, changes={"caller_name": "Sari Wattimena"}
    )
    closed = incident_close(incident=police_case, actor=world.operator)
    still_open = make_incident(world.operator, caller_phone="0813 9999 0000")
    prank = call_record(operator=world.operator, outcome=CallOutcome.PRANK, callback_number=NUMBER)
    before = _figures(world, police_case)

    now(days=29)
    assert callers_anonymise_due() == 0  # the period is not over yet

    now(days=31)
    assert callers_anonymise_due() == 2  # the case's caller, and the prank call's number
    assert callers_anonymise_due() == 0  # safe twice: nothing more to do

    police_case.refresh_from_db()
    assert (police_case.caller_name, police_case.caller_phone) == ("", "")
    assert police_case.caller.is_anonymised and police_case.call.callback_number == ""
    prank.refresh_from_db()
    assert prank.callback_number == "" and prank.caller.key == ""
    assert CallerIdentity.objects.get(cases=still_open).phone == "0813 9999 0000"
    assert caller_history(world.operator, NUMBER)["complete"] is False  # nobody calls from it
    assert _figures(world, police_case) == before
    assert closed.closed_at == Incident.objects.get(pk=police_case.pk).closed_at

    # No history row ever held the identity: the tables have no such column.
    for model in (Incident.history.model, police_case.call.history.model):
        columns = {
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), model._meta.db_table
            )
        }
        assert not columns & {"caller_name", "caller_phone", "callback_number", "caller_key"}
    history = list(Incident.history.filter(id=police_case.pk).values())
    assert "Sari" not in repr(history) and "3456" not in repr(history)
