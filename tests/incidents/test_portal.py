"""The portal as the people on shift use it: take a call, dispatch, work the dispatch, close.

Pages are requested in English so that the assertions on messages keep holding once the
Indonesian translation exists.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cc112.admin_errors import submit
from cc112.errors import ActionForbidden
from incidents.models import (
    Call,
    CallOutcome,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
    Note,
)
from incidents.pulse import pulse_bump
from incidents.services import (
    dispatch_acknowledge,
    dispatch_resolve,
    note_add,
)
from tests.factories import CategoryFactory, UserFactory, make_dispatched_incident, make_incident

D = DispatchStatus


@pytest.fixture
def portal():  # type: ignore[no-untyped-def]
    """A browser that logs in as one persona after another."""
    client = Client(headers={"accept-language": "en"})

    def as_user(user):  # type: ignore[no-untyped-def]
        client.logout()
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def medical(world):  # type: ignore[no-untyped-def]
    category = CategoryFactory(code="MED", name_en="Medical", name_id="Kesehatan")
    category.suggested_agencies.set([world.health])
    return category


def case_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=(incident.pk,))


def step_url(dispatch: Dispatch, step: str) -> str:
    return reverse(f"admin:incidents_dispatch_{step}", args=(dispatch.pk,))


def errors_shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == messages.ERROR]


def new_case_data(category, /, **overrides) -> dict:  # type: ignore[no-untyped-def]
    data = {
        "channel": "phone",
        "caller_name": "Ibu Maria",
        "caller_phone": "081234567890",
        "received_at_0": "",
        "received_at_1": "",
        "location_text": "Jl. Pattimura, depan Gereja Maranatha",
        "kecamatan": "Sirimau",
        "kelurahan": "Honipopu",
        "latitude": "",
        "longitude": "",
        "category": str(category.pk),
        "priority": "",
        "description": "Seorang bapak pingsan di pinggir jalan.",
    }
    data.update(overrides)
    return data


def change_form_data(response) -> dict:  # type: ignore[no-untyped-def]
    """What the browser would post back from a change page left as it is."""
    form = response.context["adminform"].form
    data = {}
    for field in form:
        value = field.value()
        data[field.name] = "" if value is None else str(value)
    return data


# --- Taking a call -------------------------------------------------------------------------------


def test_operator_opens_a_case_from_the_add_form(world, medical, portal):
    client = portal(world.operator)
    response = client.post(reverse("admin:incidents_incident_add"), new_case_data(medical))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case_url(incident)
    assert incident.reference.startswith("112-AMB-")
    assert incident.operator == world.operator
    assert incident.priority == medical.default_priority
    assert incident.call is not None
    assert incident.call.outcome == CallOutcome.INCIDENT
    created = incident.history.earliest("history_date")
    assert created.history_user == world.operator
    assert created.history_change_reason == "case created"


def test_the_case_list_shows_received_time_in_the_centres_zone(world, medical, portal):
    received = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    incident = make_incident(world.operator, category=medical, received_at=received)
    response = portal(world.operator).get(reverse("admin:incidents_incident_changelist"))
    wit = received.astimezone(dt.timezone(dt.timedelta(hours=9)))
    utc = received.astimezone(dt.UTC)
    # One format across the portal (cc112.moments.local_moment), to the second.
    shown_wit = wit.strftime("%d-%m-%Y %H:%M:%S")
    shown_utc = utc.strftime("%d-%m-%Y %H:%M:%S")
    content = response.content.decode()
    assert incident.reference in content
    assert shown_wit in content
    assert shown_utc not in content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"location_text": ""}, "location_text"),
        ({"caller_phone": "call me maybe"}, "caller_phone"),
        ({"category": ""}, "category"),
        ("future", "received_at"),
    ],
    ids=["no-location", "bad-phone", "no-category", "future-time"],
)
def test_bad_input_shows_form_errors_and_creates_nothing(world, medical, portal, overrides, field):
    if overrides == "future":
        later = timezone.localtime() + dt.timedelta(hours=2)
        overrides = {
            "received_at_0": later.strftime("%Y-%m-%d"),
            "received_at_1": later.strftime("%H:%M:%S"),
        }
    response = portal(world.operator).post(
        reverse("admin:incidents_incident_add"), new_case_data(medical, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Incident.objects.count() == 0
    assert Call.objects.count() == 0


def test_a_retired_category_is_refused_with_a_form_error(world, medical, portal):
    medical.is_active = False
    medical.save()
    response = portal(world.operator).post(
        reverse("admin:incidents_incident_add"), new_case_data(medical)
    )
    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors
    assert Incident.objects.count() == 0


def test_agency_staff_cannot_open_cases(world, portal):
    client = portal(world.police_staff)
    assert client.get(reverse("admin:incidents_incident_add")).status_code == 403


def test_operator_corrects_a_case_and_history_names_the_changed_field(world, medical, portal):
    incident = make_incident(world.operator, category=medical)
    client = portal(world.operator)
    data = change_form_data(client.get(case_url(incident)))
    data["location_text"] = "Jl. Sultan Hairun, dekat Lapangan Merdeka"

    response = client.post(case_url(incident), data)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.location_text == "Jl. Sultan Hairun, dekat Lapangan Merdeka"
    latest = incident.history.latest("history_date")
    assert latest.history_user == world.operator
    assert latest.history_change_reason == "corrected: location_text"


def test_agency_staff_read_a_case_but_cannot_change_it(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.police_staff)
    page = client.get(case_url(incident))
    assert page.status_code == 200
    assert "category" not in page.context["adminform"].form.fields

    response = client.post(case_url(incident), {"priority": "1", "category": str(medical.pk)})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.priority == medical.default_priority


def test_operator_records_a_prank_call(world, portal):
    client = portal(world.operator)
    response = client.post(
        reverse("admin:incidents_call_add"),
        {"outcome": "prank", "callback_number": "0811 2233 4455", "notes": "Anak-anak"},
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.outcome == CallOutcome.PRANK
    assert call.operator == world.operator
    assert call.history.get().history_user == world.operator


def test_a_call_with_a_bad_number_is_not_recorded(world, portal):
    response = portal(world.operator).post(
        reverse("admin:incidents_call_add"), {"outcome": "ghost", "callback_number": "nomor?"}
    )
    assert response.status_code == 200
    assert "callback_number" in response.context["adminform"].form.errors
    assert Call.objects.count() == 0


def test_agency_staff_have_no_calls_page_or_menu(world, portal):
    client = portal(world.police_staff)
    calls = reverse("admin:incidents_call_changelist")
    assert calls not in client.get(reverse("admin:index"), follow=True).content.decode()
    assert client.get(calls).status_code == 403
    assert calls in portal(world.operator).get(reverse("admin:index"), follow=True).content.decode()


# --- Dispatching ---------------------------------------------------------------------------------


def test_operator_dispatches_to_police_and_health(world, medical, portal):
    incident = make_incident(world.operator, category=medical)
    client = portal(world.operator)
    url = reverse("admin:incidents_incident_dispatch_case", args=(incident.pk,))

    form = client.get(url).context["form"]
    assert list(form.initial["agencies"]) == [world.health.pk]

    response = client.post(
        url,
        {"agencies": [world.police.pk, world.health.pk], "instructions": "Korban tidak sadar"},
    )

    assert response.status_code == 302
    assert response["Location"] == case_url(incident)
    assert {d.agency for d in incident.dispatches.all()} == {world.police, world.health}
    assert {d.instructions for d in incident.dispatches.all()} == {"Korban tidak sadar"}
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DISPATCHED
    assert incident.first_dispatched_at is not None


def test_dispatching_to_nobody_is_a_form_error(world, medical, portal):
    incident = make_incident(world.operator, category=medical)
    response = portal(world.operator).post(
        reverse("admin:incidents_incident_dispatch_case", args=(incident.pk,)), {"agencies": []}
    )
    assert response.status_code == 200
    assert "agencies" in response.context["form"].errors
    assert not incident.dispatches.exists()


def test_agency_staff_cannot_dispatch(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    url = reverse("admin:incidents_incident_dispatch_case", args=(incident.pk,))
    response = portal(world.police_staff).post(url, {"agencies": [world.health.pk]})
    assert response.status_code == 403
    assert incident.dispatches.count() == 1


# --- Working a dispatch --------------------------------------------------------------------------


def test_police_work_their_dispatch_from_acknowledge_to_resolved(world, medical, portal):
    incident, [police, _health] = make_dispatched_incident(
        world.operator, [world.police, world.health], category=medical
    )
    client = portal(world.police_staff)
    back = case_url(incident)

    for step in ("acknowledge", "en_route", "on_scene"):
        response = client.post(f"{step_url(police, step)}?next={back}")
        assert response.status_code == 302
        assert response["Location"] == back
    response = client.post(
        step_url(police, "resolve"), {"resolution": "Korban dibawa ke RSUD dr. Haulussy"}
    )
    assert response.status_code == 302

    police.refresh_from_db()
    assert police.status == D.RESOLVED
    assert police.acknowledged_by == world.police_staff
    assert police.en_route_by == world.police_staff
    assert police.on_scene_by == world.police_staff
    assert police.resolved_by == world.police_staff
    assert police.resolution == "Korban dibawa ke RSUD dr. Haulussy"
    assert police.acknowledged_at <= police.on_scene_at <= police.resolved_at
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS  # health has not finished


def test_the_case_page_shows_the_clocks_and_who_stamped_them(world, medical, portal):
    incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    page = portal(world.operator).get(case_url(incident)).content.decode()
    assert 'id="case-dispatches"' in page
    assert f'id="dispatch-{police.pk}"' in page
    assert world.police_staff.get_full_name() in page
    assert "Acknowledged" in page


def test_resolving_needs_a_field_report(world, medical, portal):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    response = portal(world.police_staff).post(step_url(police, "resolve"), {"resolution": " "})
    assert response.status_code == 200
    assert "resolution" in response.context["form"].errors
    police.refresh_from_db()
    assert police.status == D.ACKNOWLEDGED


def test_declining_needs_a_reason(world, medical, portal):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.police_staff)
    assert client.post(step_url(police, "decline"), {"reason": ""}).status_code == 200
    response = client.post(step_url(police, "decline"), {"reason": "Bukan wilayah hukum kami"})
    assert response.status_code == 302
    police.refresh_from_db()
    assert police.status == D.DECLINED
    assert police.closed_reason == "Bukan wilayah hukum kami"


def test_police_only_see_steps_on_their_own_dispatch(world, medical, portal):
    incident, [police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health], category=medical
    )
    page = portal(world.police_staff).get(case_url(incident)).content.decode()
    assert step_url(police, "acknowledge") in page
    assert step_url(health, "acknowledge") not in page
    assert step_url(police, "cancel_dispatch") not in page


def test_police_cannot_act_on_healths_dispatch_on_the_same_case(world, medical, portal):
    _incident, [_police, health] = make_dispatched_incident(
        world.operator, [world.police, world.health], category=medical
    )
    client = portal(world.police_staff)
    assert client.get(step_url(health, "acknowledge")).status_code == 403
    assert client.post(step_url(health, "acknowledge")).status_code == 403
    assert client.post(step_url(health, "decline"), {"reason": "x"}).status_code == 403
    health.refresh_from_db()
    assert health.status == D.PENDING


def test_only_the_centre_cancels_a_dispatch(world, medical, portal):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    url = step_url(police, "cancel_dispatch")
    assert portal(world.police_staff).post(url, {"reason": "x"}).status_code == 403
    response = portal(world.operator).post(url, {"reason": "Salah instansi"})
    assert response.status_code == 302
    police.refresh_from_db()
    assert police.status == D.CANCELLED


@pytest.mark.parametrize(
    ("first", "then", "data"),
    [
        ("acknowledge", "acknowledge", {}),
        (None, "resolve", {"resolution": "Selesai"}),
        (None, "on_scene", {}),
    ],
    ids=["acknowledge-twice", "resolve-pending", "on-scene-pending"],
)
def test_a_refused_step_says_why_and_changes_nothing(world, medical, portal, first, then, data):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.police_staff)
    if first:
        client.post(step_url(police, first))
    police.refresh_from_db()
    before = (police.status, police.history.count())

    response = client.post(step_url(police, then), data, follow=True)

    assert response.status_code == 200
    [message] = errors_shown(response)
    assert "cannot become" in message
    with translation.override("en"):
        assert str(D(police.status).label) in message
    police.refresh_from_db()
    assert (police.status, police.history.count()) == before


# --- Closing, cancelling, reopening --------------------------------------------------------------


def resolved_case(world, category):  # type: ignore[no-untyped-def]
    incident, [police] = make_dispatched_incident(world.operator, [world.police], category=category)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="Aman")
    incident.refresh_from_db()
    return incident


def test_supervisor_closes_a_resolved_case(world, medical, portal):
    incident = resolved_case(world, medical)
    client = portal(world.supervisor)
    assert reverse("admin:incidents_incident_close_case", args=(incident.pk,)) in (
        client.get(case_url(incident)).content.decode()
    )
    response = client.post(
        reverse("admin:incidents_incident_close_case", args=(incident.pk,)),
        {"note": "Ditangani Polresta"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_by == world.supervisor
    assert Note.objects.filter(incident=incident, author=world.supervisor).exists()


def test_a_case_still_being_worked_cannot_be_closed(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    response = portal(world.supervisor).post(
        reverse("admin:incidents_incident_close_case", args=(incident.pk,)), {}, follow=True
    )
    [message] = errors_shown(response)
    assert "Polresta" in message
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.DISPATCHED


def test_closing_an_undispatched_case_needs_a_note(world, medical, portal):
    incident = make_incident(world.operator, category=medical)
    response = portal(world.supervisor).post(
        reverse("admin:incidents_incident_close_case", args=(incident.pk,)), {"note": ""}
    )
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RECEIVED


def test_a_cancelled_case_takes_its_dispatches_with_it_and_cannot_be_reopened(
    world, medical, portal
):
    incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.supervisor)
    response = client.post(
        reverse("admin:incidents_incident_cancel_case", args=(incident.pk,)),
        {"reason": "Laporan ganda"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    police.refresh_from_db()
    assert (incident.status, police.status) == (IncidentStatus.CANCELLED, D.CANCELLED)

    page = client.get(case_url(incident)).content.decode()
    assert reverse("admin:incidents_incident_reopen_case", args=(incident.pk,)) not in page
    response = client.post(
        reverse("admin:incidents_incident_reopen_case", args=(incident.pk,)),
        {"reason": "Keliru"},
        follow=True,
    )
    assert "cannot become" in errors_shown(response)[0]


def test_a_closed_case_is_reopened_with_a_reason(world, medical, portal):
    incident = resolved_case(world, medical)
    client = portal(world.supervisor)
    client.post(reverse("admin:incidents_incident_close_case", args=(incident.pk,)), {})
    response = client.post(
        reverse("admin:incidents_incident_reopen_case", args=(incident.pk,)),
        {"reason": "Korban kembali menelepon"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    latest = incident.history.latest("history_date")
    assert latest.history_change_reason == "reopened: Korban kembali menelepon"


def test_agency_staff_cannot_close_a_case(world, portal):
    incident = resolved_case(world, CategoryFactory())
    response = portal(world.police_staff).post(
        reverse("admin:incidents_incident_close_case", args=(incident.pk,)), {"note": "x"}
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


# --- Notes and history ---------------------------------------------------------------------------


def test_police_add_a_note_from_the_case_page(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.police_staff)
    url = reverse("admin:incidents_incident_add_note", args=(incident.pk,))
    assert url in client.get(case_url(incident)).content.decode()

    assert client.post(url, {"body": ""}).status_code == 200
    response = client.post(url, {"body": "Dua unit patroli menuju lokasi"})

    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.author, note.agency, note.incident) == (world.police_staff, world.police, incident)
    assert "Dua unit patroli" in client.get(case_url(incident)).content.decode()


def test_the_case_history_lists_each_change_with_actor_and_reason(world, medical, portal):
    incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    page = portal(world.supervisor).get(
        reverse("admin:incidents_incident_history", args=(incident.pk,))
    )
    assert page.status_code == 200
    content = page.content.decode()
    for text in ("operator", "police", "case created", "dispatched to Polresta", "acknowledged"):
        assert text in content


def test_history_cannot_be_reverted_around_the_services(world, medical, portal):
    incident = make_incident(world.operator, category=medical)
    record = incident.history.get()
    url = reverse("admin:incidents_incident_simple_history", args=(incident.pk, record.pk))
    client = portal(world.supervisor)
    assert client.get(url).status_code == 200
    assert client.post(url, {"location_text": "Di tempat lain"}).status_code == 403
    incident.refresh_from_db()
    assert incident.location_text != "Di tempat lain"


# --- Who sees what -------------------------------------------------------------------------------


def test_police_cannot_see_a_case_dispatched_only_to_health(world, medical, portal):
    incident, [health] = make_dispatched_incident(
        world.operator, [world.health], category=medical, kecamatan="Leitimur Selatan"
    )
    note_add(incident=incident, author=world.health_staff, body="Rahasia medis")
    client = portal(world.police_staff)
    history = reverse("admin:incidents_incident_history", args=(incident.pk,))
    version = reverse(
        "admin:incidents_incident_simple_history",
        args=(incident.pk, incident.history.earliest("history_date").pk),
    )

    assert client.get(case_url(incident)).status_code == 404
    assert client.post(case_url(incident), {"location_text": "x"}).status_code == 404
    assert client.get(history).status_code == 404
    assert client.get(version).status_code == 404
    dispatch_page = reverse("admin:incidents_dispatch_change", args=(health.pk,))
    assert client.get(dispatch_page).status_code == 404
    assert client.post(step_url(health, "acknowledge")).status_code == 404
    add_note = reverse("admin:incidents_incident_add_note", args=(incident.pk,))
    assert client.post(add_note, {"body": "x"}).status_code == 404

    cases = reverse("admin:incidents_incident_changelist")
    listing = client.get(cases).content.decode()
    assert incident.reference not in listing
    assert "Leitimur Selatan" not in listing  # not even as a kecamatan filter choice
    search = client.get(cases, {"q": incident.reference})
    assert list(search.context["cl"].result_list) == []
    queue = client.get(reverse("admin:incidents_dispatch_changelist"), {"queue": "all"})
    assert incident.reference not in queue.content.decode()
    notes = client.get(reverse("admin:incidents_note_changelist")).content.decode()
    assert "Rahasia medis" not in notes
    picker = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "incidents",
            "model_name": "dispatch",
            "field_name": "incident",
            "term": "112-",
        },
    )
    assert picker.status_code == 200
    assert picker.json()["results"] == []


def test_out_of_scope_answers_exactly_like_missing(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.health], category=medical)
    client = portal(world.police_staff)
    missing = client.get(reverse("admin:incidents_incident_change", args=(incident.pk + 1000,)))
    hidden = client.get(case_url(incident))
    assert missing.status_code == hidden.status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "inactive"])
def test_no_membership_or_inactive_account_gets_no_case_data(world, medical, portal, persona):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(getattr(world, persona))
    for url in (reverse("admin:incidents_incident_changelist"), case_url(incident)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_membership_see_an_empty_case_list(world, medical, portal):
    incident, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    user = UserFactory(username="left_the_agency", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client = portal(user)
    listing = client.get(reverse("admin:incidents_incident_changelist"))
    assert listing.status_code == 200
    assert incident.reference not in listing.content.decode()
    assert client.get(case_url(incident)).status_code == 404


# --- Lists ---------------------------------------------------------------------------------------


def _queries_for(client: Client, url: str) -> int:
    # The first request fills the filters' choices, kept a minute (incidents/admin/cases.py).
    assert client.get(url).status_code == 200
    # Rows and sidebar counts are kept until the next change: counted right after one, as the
    # test counts again after its new cases.
    with transaction.atomic():
        pulse_bump()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_case_list_costs_the_same_queries_for_3_or_10_cases(
    world, medical, portal, django_assert_num_queries
):
    url = reverse("admin:incidents_incident_changelist")
    client = portal(world.operator)
    for _n in range(3):
        make_dispatched_incident(world.operator, [world.police, world.health], category=medical)
    with_three = _queries_for(client, url)
    for _n in range(7):
        make_dispatched_incident(world.operator, [world.police, world.health], category=medical)

    with django_assert_num_queries(with_three):
        response = client.get(url)

    assert response.content.decode().count("112-AMB-") >= 10


def test_the_dispatch_queue_costs_the_same_queries_for_3_or_10_rows(
    world, medical, portal, django_assert_num_queries
):
    url = reverse("admin:incidents_dispatch_changelist")
    client = portal(world.police_staff)
    for _n in range(3):
        make_dispatched_incident(world.operator, [world.police, world.health], category=medical)
    with_three = _queries_for(client, url)
    for _n in range(7):
        make_dispatched_incident(world.operator, [world.police, world.health], category=medical)

    with django_assert_num_queries(with_three):
        response = client.get(url)

    assert len(response.context["cl"].result_list) == 10


def test_the_case_list_shows_status_and_dispatched_agencies(world, medical, portal):
    incident, _ = make_dispatched_incident(
        world.operator, [world.police, world.health], category=medical
    )
    listing = portal(world.police_staff).get(reverse("admin:incidents_incident_changelist"))
    content = listing.content.decode()
    assert incident.reference in content
    assert "Polresta" in content and "Dinkes" in content
    with translation.override("en"):
        assert str(IncidentStatus.DISPATCHED.label) in content


def test_the_police_queue_shows_their_own_dispatches_newest_first(world, medical, portal):
    done, [done_dispatch] = make_dispatched_incident(
        world.operator, [world.police], category=medical
    )
    dispatch_acknowledge(dispatch=done_dispatch, actor=world.police_staff)
    dispatch_resolve(dispatch=done_dispatch, actor=world.police_staff, resolution="Aman")
    waiting, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    elsewhere, _ = make_dispatched_incident(world.operator, [world.health], category=medical)

    response = portal(world.police_staff).get(reverse("admin:incidents_dispatch_changelist"))

    rows = list(response.context["cl"].result_list)
    assert [d.incident for d in rows] == [waiting, done]
    assert elsewhere.reference not in response.content.decode()


WIT = zoneinfo.ZoneInfo("Asia/Jayapura")


@time_machine.travel(dt.datetime(2025, 10, 16, 10, 0, tzinfo=WIT), tick=False)
def test_the_case_list_filters_by_status_and_received_day_in_wit(world, medical, portal):
    today = dt.date(2025, 10, 16)
    start_of_today = dt.datetime(2025, 10, 16, 0, 30, tzinfo=WIT)
    early = make_incident(world.operator, category=medical, received_at=start_of_today)
    yesterday = make_incident(
        world.operator, category=medical, received_at=start_of_today - dt.timedelta(hours=1)
    )
    dispatched, _ = make_dispatched_incident(world.operator, [world.police], category=medical)
    client = portal(world.operator)
    url = reverse("admin:incidents_incident_changelist")

    by_status = client.get(url, {"status__exact": "received"})
    assert set(by_status.context["cl"].result_list) == {early, yesterday}

    # 00:30 WIT is still the previous day in UTC; the filter counts days in WIT.
    iso = today.isoformat()
    by_day = client.get(url, {"received_at_from": iso, "received_at_to": iso})
    assert set(by_day.context["cl"].result_list) == {early, dispatched}

    indonesian = Client(headers={"accept-language": "id"})
    indonesian.force_login(world.operator)
    written = today.strftime("%d-%m-%Y")
    by_day_id = indonesian.get(url, {"received_at_from": written, "received_at_to": written})
    assert set(by_day_id.context["cl"].result_list) == {early, dispatched}


@pytest.mark.parametrize(
    "path",
    [
        "/admin/incidents/incident/abc/change/",
        "/admin/incidents/incident/abc/history/",
        "/admin/incidents/incident/abc/dispatch/",
        "/admin/incidents/dispatch/abc/acknowledge/",
        "/admin/incidents/dispatch/999999/resolve/",
        "/admin/incidents/note/abc/change/",
        "/admin/incidents/call/abc/change/",
    ],
)
def test_nonsense_addresses_answer_404(world, portal, path):
    assert portal(world.operator).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"received_at_from": "kemarin"},
        {"status__exact": "nonsense"},
        {"priority__exact": "tinggi"},
        {"kecamatan": "Atlantis"},
        {"o": "99"},
        {"p": "x"},
    ],
)
def test_nonsense_filters_never_fail(world, medical, portal, query):
    make_incident(world.operator, category=medical)
    response = portal(world.operator).get(reverse("admin:incidents_incident_changelist"), query)
    assert response.status_code in (200, 302)


def test_a_step_dated_in_the_future_is_a_form_error(world, medical, portal):
    _incident, [police] = make_dispatched_incident(world.operator, [world.police], category=medical)
    later = timezone.localtime() + dt.timedelta(hours=1)
    response = portal(world.police_staff).post(
        step_url(police, "acknowledge"),
        {"at_0": later.strftime("%Y-%m-%d"), "at_1": later.strftime("%H:%M:%S")},
    )
    assert response.status_code == 200
    assert "at" in response.context["form"].errors
    police.refresh_from_db()
    assert police.status == D.PENDING


def test_a_service_refusing_the_actor_answers_403(world, rf):
    request = rf.post("/")
    request.user = world.police_staff

    def forbidden() -> None:
        raise ActionForbidden("Only 112 centre staff may dispatch cases.")

    with pytest.raises(PermissionDenied):
        submit(request, forbidden)
