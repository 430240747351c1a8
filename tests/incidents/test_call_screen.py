"""The call screen: T0 is the moment the screen opened, a caller's history shows as the number is
typed, one key records a call that is no case, a repeat call joins its open case, and one submit
opens the case and dispatches it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cc112.errors import DomainError
from cc112.moments import local_moment
from incidents.console import answered_token, caller_history, duplicate_hints
from incidents.models import Area, Call, CallOutcome, Dispatch, Incident, Priority
from incidents.phones import caller_key
from incidents.services import (
    areas_load,
    call_attach,
    call_record,
    incident_close,
    incident_create_and_dispatch,
)
from sla.models import Clock, ClockKind
from sla.scorecards import Period, operator_scorecard
from tests.factories import CategoryFactory, make_incident
from tests.sla.frozen import T0

pytestmark = pytest.mark.django_db
ANSWER = "admin:incidents_answer"


@pytest.fixture
def now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(T0, tick=False)

    def move(**delta: float) -> dt.datetime:
        moment = T0 + dt.timedelta(**delta)
        time_machine.move_to(moment, tick=False)
        return moment

    return move


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def token_of(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    "typed",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 34567890", "62-812-3456-7890"],
)
def test_one_number_however_it_is_typed(typed):
    assert caller_key(typed) == "6281234567890"


def test_short_codes_and_foreign_numbers_keep_their_own_key():
    assert caller_key("112") == "112"
    assert caller_key("+1 650 253 0000") == "16502530000"
    assert caller_key("") == caller_key("tidak ada") == ""


def test_a_callers_history_counts_their_pranks_and_shows_their_open_case(world, now):
    for outcome in (CallOutcome.PRANK, CallOutcome.PRANK, CallOutcome.GHOST):
        call_record(operator=world.operator, outcome=outcome, callback_number="+62 812 3456 7890")
        now(minutes=5)
    open_case = make_incident(world.operator, caller_phone="081234567890")
    call_record(operator=world.operator, outcome=CallOutcome.PRANK, callback_number="0899999999")

    history = caller_history(world.operator, "0812 3456 7890")

    assert history["complete"] and history["key"] == "6281234567890"
    assert (history["total"], history["pranks"], history["this_week"]) == (4, 3, 4)
    assert history["open_cases"] == [open_case]
    assert next(row["case"] for row in history["calls"]) == open_case
    partial = caller_history(world.operator, "081234")
    assert {k: partial[k] for k in ("key", "complete", "candidates")} == {
        "key": "6281234",
        "complete": False,
        "candidates": ["6281234567890"],
    }
    assert caller_history(world.operator, "0812") is None  # too few digits yet
    seen_by_police = caller_history(world.police_staff, "081234567890")
    assert (seen_by_police["complete"], seen_by_police["candidates"]) == (False, [])


def test_a_repeat_call_joins_the_open_case_in_its_history_and_the_operators_card(world, now):
    case = make_incident(world.operator, caller_phone="081234567890")
    now(minutes=10)

    call = call_attach(incident=case, operator=world.operator, callback_number="08111222333")

    assert (call.outcome, call.attached_to, call.caller.key) == ("attached", case, "628111222333")
    latest = case.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("call attached", world.operator)
    assert case.attached_calls.count() == 1
    card = operator_scorecard(world.operator, Period(T0, T0 + dt.timedelta(hours=1)))
    assert card["own"]["calls"]["attached"] == 1
    incident_close(incident=case, actor=world.supervisor, note="Ditangani")
    with pytest.raises(DomainError):
        call_attach(incident=case, operator=world.operator)


def test_one_submit_opens_the_case_at_t0_and_dispatches_it_now(world, now):
    category = CategoryFactory(default_priority=Priority.P1)
    now(seconds=31)

    incident, dispatches = incident_create_and_dispatch(
        actor=world.operator,
        agencies=[world.police, world.health],
        category=category,
        location_text="Depan Gereja Maranatha",
        description="Tabrakan motor",
        caller_phone="081234567890",
        received_at=T0,
    )

    assert incident.received_at == T0
    assert {d.agency for d in dispatches} == {world.police, world.health}
    assert {d.dispatched_at for d in dispatches} == {T0 + dt.timedelta(seconds=31)}
    clock = Clock.objects.get(incident=incident, kind=ClockKind.DISPATCH)
    assert (clock.state, clock.elapsed) == ("met", dt.timedelta(seconds=31))
    assert incident.call.caller.key == "6281234567890"


def test_a_refused_dispatch_writes_no_case_and_no_call(world, now):
    with pytest.raises(ValidationError) as refused:
        incident_create_and_dispatch(
            actor=world.operator,
            agencies=[world.centre],  # the centre cannot be sent a case
            category=CategoryFactory(),
            location_text="X",
            description="Y",
        )

    assert "agencies" in refused.value.message_dict
    assert not Incident.objects.exists() and not Call.objects.exists()


# --- The screen, as the operator uses it ---------------------------------------------------------


def test_the_screen_stamps_t0_when_it_opens_not_when_it_is_sent(world, now):
    """Opened at 10:00:00, sent 31 s later: the case's T0 is 10:00:00 and the operator's clock
    measured the 31 s of the call."""
    category = CategoryFactory(code="LAKA", default_priority=Priority.P1)
    category.suggested_agencies.set([world.police])
    operator = client_of(world.operator)
    screen = operator.get(reverse(ANSWER))
    assert screen.status_code == 200
    now(seconds=31)

    sent = operator.post(
        reverse(ANSWER),
        {
            "token": token_of(screen),
            "caller_phone": "0812 3456 7890",
            "kelurahan": "Benteng",
            "kecamatan": "Nusaniwe",
            "location_text": "Depan pasar",
            "category": category.pk,
            "description": "Tabrakan",
            "agencies": [world.police.pk],
        },
    )

    assert sent.status_code == 302
    incident = Incident.objects.get()
    assert incident.received_at == T0
    assert incident.call.answered_at == T0
    assert Dispatch.objects.get().dispatched_at == T0 + dt.timedelta(seconds=31)
    assert Clock.objects.get(kind=ClockKind.DISPATCH).elapsed == dt.timedelta(seconds=31)


def test_one_key_records_a_prank_at_t0_and_clears_the_screen(world, now):
    operator = client_of(world.operator)
    token = token_of(operator.get(reverse(ANSWER)))
    now(seconds=8)

    done = operator.post(
        reverse(ANSWER), {"token": token, "caller_phone": "081234567890", "outcome": "prank"}
    )

    assert done.status_code == 302
    call = Call.objects.get()
    assert (call.outcome, call.answered_at, call.ended_at, call.caller.key) == (
        "prank",
        T0,
        T0 + dt.timedelta(seconds=8),
        "6281234567890",
    )


def test_an_altered_or_anothers_token_writes_nothing(world, now):
    operator = client_of(world.operator)
    stolen = answered_token(world.supervisor, T0)
    forged = signing.dumps({"operator": world.operator.pk, "t0": "2020-01-01T00:00:00Z"})
    for token in (stolen, forged, "nonsense", ""):
        answer = operator.post(reverse(ANSWER), {"token": token, "outcome": "prank"})
        assert answer.status_code == 302
    assert not Call.objects.exists()


def test_bad_input_keeps_what_was_typed_and_names_the_field(world, now):
    operator = client_of(world.operator)
    token = token_of(operator.get(reverse(ANSWER)))

    answer = operator.post(
        reverse(ANSWER),
        {
            "token": token,
            "caller_phone": "081234567890",
            "location_text": "Depan pasar",
            "latitude": "99",
            "description": "",
        },
    )

    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'value="081234567890"' in page and 'value="Depan pasar"' in page
    assert "Choose at least one agency." in page
    assert token in page  # the same call: T0 is kept
    assert not Incident.objects.exists() and not Call.objects.exists()


def test_agency_staff_never_reach_the_screen_or_its_lookups(world):
    for name in (ANSWER, "admin:incidents_answer_caller", "admin:incidents_answer_duplicates"):
        assert client_of(world.police_staff).get(reverse(name)).status_code == 404
        assert client_of(world.outsider).get(reverse(name)).status_code in (302, 404)


def test_the_same_emergency_nearby_in_the_last_hour_is_hinted_and_the_call_joins_it(world, now):
    fire = CategoryFactory(code="KBK")
    here = make_incident(
        world.operator,
        category=fire,
        kelurahan="Benteng",
        kecamatan="Nusaniwe",
        latitude=Decimal("-3.7100"),
        longitude=Decimal("128.1600"),
    )
    near = make_incident(  # 300 m away, in another kelurahan
        world.operator,
        category=fire,
        kelurahan="Urimessing",
        latitude=Decimal("-3.7127"),
        longitude=Decimal("128.1600"),
    )
    make_incident(world.operator, category=CategoryFactory(code="MED"), kelurahan="Benteng")
    now(minutes=61)
    make_incident(world.operator, category=fire, kelurahan="Benteng")  # this one is new
    hints = duplicate_hints(world.operator, category=fire, kelurahan="benteng")
    assert here not in hints and len(hints) == 1  # an hour old is no longer a hint
    now(minutes=0)

    by_place = duplicate_hints(world.operator, category=fire, kelurahan="Benteng")
    by_point = duplicate_hints(
        world.operator, category=fire, latitude=Decimal("-3.7110"), longitude=Decimal("128.1600")
    )

    assert here in by_place and near not in by_place
    assert [c.pk for c in by_point] == [here.pk, near.pk]
    operator = client_of(world.operator)
    token = token_of(operator.get(reverse(ANSWER)))
    joined = operator.post(
        reverse(ANSWER), {"token": token, "caller_phone": "0811", "attach": here.pk}
    )
    assert joined.status_code == 302
    assert here.attached_calls.get().answered_at == T0


def test_the_kelurahan_comes_from_the_gazetteer_with_its_kecamatan(world, now):
    areas_load()
    category = CategoryFactory(code="KBK")
    category.suggested_agencies.set([world.police])
    operator = client_of(world.operator)

    offered = operator.get(reverse("admin:incidents_answer_areas"), {"q": "batu mer"}).json()
    first = offered["results"][0]
    assert (first["name"], first["district"]["name"]) == ("Batu Merah", "Sirimau")
    batu_merah = Area.objects.get(pk=first["id"])

    screen = operator.get(reverse(ANSWER))
    sent = operator.post(
        reverse(ANSWER),
        {
            "token": token_of(screen),
            "area": batu_merah.pk,
            "kelurahan": "batu merah",  # as typed; the chosen area's names win
            "kecamatan": "",
            "location_text": "Pasar",
            "category": category.pk,
            "description": "Kebakaran kios",
            "agencies": [world.police.pk],
        },
    )

    assert sent.status_code == 302
    incident = Incident.objects.get()
    assert (incident.area, incident.kelurahan, incident.kecamatan) == (
        batu_merah,
        "Batu Merah",
        "Sirimau",
    )
    # A second call about it, placed by the area alone, is hinted the open case.
    assert duplicate_hints(world.operator, category=category, area=batu_merah) == [incident]
    hinted = operator.get(
        reverse("admin:incidents_answer_duplicates"),
        {"category": category.pk, "area": batu_merah.pk},
    )
    assert incident.reference in hinted.content.decode()


def test_a_hinted_case_says_how_long_ago_it_came_in_as_the_portal_writes_time(world, now):
    fire = CategoryFactory(code="KBK")
    earlier = make_incident(world.operator, category=fire, kelurahan="Benteng")
    now(minutes=4, seconds=12)
    operator = Client()  # in Indonesian, the portal's language
    operator.force_login(world.operator)

    hinted = operator.get(
        reverse("admin:incidents_answer_duplicates"),
        {"category": fire.pk, "kelurahan": "Benteng"},
    ).content.decode()

    assert earlier.reference in hinted
    assert "4 mnt 12 dtk lalu" in hinted
    assert f'title="{local_moment(earlier.received_at)}"' in hinted  # e.g. 16-12-2025 ... WIT
    assert "WIT" in hinted and "menit" not in hinted and "minutes" not in hinted


def test_a_kecamatan_is_no_place_for_a_case(world, now):
    areas_load()
    sirimau = Area.objects.get(code="81.71.02")
    operator = client_of(world.operator)
    screen = operator.get(reverse(ANSWER))

    refused = operator.post(
        reverse(ANSWER),
        {
            "token": token_of(screen),
            "area": sirimau.pk,
            "location_text": "Pasar",
            "category": CategoryFactory().pk,
            "description": "Kebakaran",
            "agencies": [world.police.pk],
        },
    )

    assert refused.status_code == 400
    assert Incident.objects.count() == 0
    assert "Pasar" in refused.content.decode()  # what was typed is kept
