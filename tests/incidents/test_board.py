"""The live board and the agency inbox: what each shows, the marker that tells an open page its
rows changed (and tells one agency nothing of another's cases), acknowledging from the inbox,
and the in-app notification of each new dispatch."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.board import BOARD_LIMIT, board_rows_key
from incidents.models import DispatchStatus, Priority
from incidents.pulse import CENTRE, agency_key, pulse_version
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    incident_cancel,
    incident_dispatch,
    incident_update,
)
from sla.models import Audience, EmailStatus, Notification
from sla.services import escalations_fire_due
from tests.factories import CategoryFactory, make_incident, make_member
from tests.sla.frozen import T0

pytestmark = pytest.mark.django_db
BOARD = "admin:incidents_board"
BOARD_ROWS = "admin:incidents_board_rows"
INBOX = "admin:incidents_inbox"
INBOX_ROWS = "admin:incidents_inbox_rows"
PULSE = "admin:incidents_pulse"


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


def token_in(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'data-pulse-token="([^"]+)"', response.content.decode()).group(1)


def versions(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "centre": pulse_version(CENTRE),
        "police": pulse_version(agency_key(world.police.pk)),
        "health": pulse_version(agency_key(world.health.pk)),
    }


def moved(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name in before if after[name] != before[name]}


# --- The marker --------------------------------------------------------------------------------


def test_each_change_moves_the_centre_and_only_the_agencies_working_on_the_case(world, now):
    case = make_incident(world.operator)
    before = versions(world)
    (police,) = incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    assert moved(before, versions(world)) == {"centre", "police"}

    before = versions(world)
    now(minutes=1)
    dispatch_acknowledge(dispatch=police, actor=world.police_staff)
    assert moved(before, versions(world)) == {"centre", "police"}

    before = versions(world)
    incident_update(incident=case, actor=world.operator, changes={"priority": Priority.P1})
    assert moved(before, versions(world)) == {"centre", "police"}

    before = versions(world)
    make_incident(world.operator)
    assert moved(before, versions(world)) == {"centre"}


def test_an_agencys_marker_does_not_move_for_another_agencys_case(world, now):
    health_case = make_incident(world.operator)
    before = versions(world)
    (health,) = incident_dispatch(
        incident=health_case, agencies=[world.health], actor=world.operator
    )
    now(minutes=1)
    dispatch_acknowledge(dispatch=health, actor=world.health_staff)
    incident_update(incident=health_case, actor=world.operator, changes={"priority": Priority.P1})
    escalations_fire_due(now=T0 + dt.timedelta(days=30))
    assert before["police"] == versions(world)["police"]
    assert moved(before, versions(world)) == {"centre", "health"}


def test_a_cancelled_dispatch_leaves_its_agencys_inbox_and_later_changes_tell_it_nothing(
    world, now
):
    case = make_incident(world.operator)
    police, _health = incident_dispatch(
        incident=case, agencies=[world.police, world.health], actor=world.operator
    )
    before = versions(world)
    dispatch_cancel(dispatch=police, actor=world.operator, reason="Salah kirim")
    assert moved(before, versions(world)) == {"centre", "police"}
    before = versions(world)
    incident_update(incident=case, actor=world.operator, changes={"priority": Priority.P1})
    assert moved(before, versions(world)) == {"centre", "health"}
    before = versions(world)
    incident_cancel(incident=case, actor=world.operator, reason="Laporan ganda")
    assert moved(before, versions(world)) == {"centre", "health"}


def test_escalations_move_the_markers_once_per_sweep_batch(world, now):
    case = make_incident(world.operator)
    incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    before = versions(world)
    fired = escalations_fire_due(now=T0 + dt.timedelta(days=30))
    assert fired > 3
    after = versions(world)
    assert after["centre"] == before["centre"] + 1
    assert after["police"] == before["police"] + 1


def test_the_marker_answers_with_one_query_and_no_session(world, now):
    client = client_of(world.operator)
    token = token_in(client.get(reverse(BOARD)))
    make_incident(world.operator)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(reverse(PULSE), {"t": token})
    assert answer.status_code == 200
    assert answer.json()["v"] == pulse_version(CENTRE)
    assert answer.json()["now"] == int(T0.timestamp() * 1000)
    assert answer["Cache-Control"] == "no-store"
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "pulse" in queries[0]["sql"]


def test_a_marker_token_works_only_with_the_session_it_was_made_for(world, now):
    operator = client_of(world.operator)
    token = token_in(operator.get(reverse(BOARD)))
    assert operator.get(reverse(PULSE), {"t": token}).status_code == 200
    # Another session (even the same person's), no session, an altered token: like a missing page.
    assert client_of(world.operator).get(reverse(PULSE), {"t": token}).status_code == 404
    assert Client().get(reverse(PULSE), {"t": token}).status_code == 404
    assert operator.get(reverse(PULSE), {"t": token[:-2] + "xx"}).status_code == 404
    assert operator.get(reverse(PULSE)).status_code == 404
    operator.logout()
    assert operator.get(reverse(PULSE), {"t": token}).status_code == 404


def test_the_police_inbox_polls_the_police_marker_which_health_cases_do_not_move(world, now):
    police = client_of(world.police_staff)
    token = token_in(police.get(reverse(INBOX)))
    health_case = make_incident(world.operator)
    incident_dispatch(incident=health_case, agencies=[world.health], actor=world.operator)
    assert police.get(reverse(PULSE), {"t": token}).json()["v"] == 0
    police_case = make_incident(world.operator)
    incident_dispatch(incident=police_case, agencies=[world.police], actor=world.operator)
    assert police.get(reverse(PULSE), {"t": token}).json()["v"] > 0


# --- The board ---------------------------------------------------------------------------------


def test_the_board_shows_open_cases_nearest_deadline_first_with_their_clocks(world, now):
    category = CategoryFactory(code="KBK", name_en="Fire", name_id="Kebakaran")
    late = make_incident(world.operator, category=category, priority=Priority.P3)
    now(minutes=1)
    urgent = make_incident(world.operator, category=category, priority=Priority.P1)
    incident_dispatch(incident=urgent, agencies=[world.police], actor=world.operator)
    closed = make_incident(world.operator)
    incident_cancel(incident=closed, actor=world.operator, reason="Ganda")
    now(minutes=2)

    page = client_of(world.supervisor).get(reverse(BOARD))
    html = page.content.decode()
    assert page.status_code == 200
    assert closed.reference not in html
    # P1 dispatched: its acknowledge clock falls due before the P3's dispatch clock.
    assert html.index(urgent.reference) < html.index(late.reference)
    assert 'data-due="' in html and 'data-amber="' in html
    assert "Polresta" in html
    assert 'id="board-map"' in html


def test_the_board_shows_the_escalation_level_reached(world, now):
    case = make_incident(world.operator)
    incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    now(days=30)
    escalations_fire_due()
    html = client_of(world.operator).get(reverse(BOARD_ROWS)).content.decode()
    assert 'data-level="3"' in html


def test_the_boards_filters_narrow_the_rows(world, now):
    fire = CategoryFactory(code="KBK", name_en="Fire", name_id="Kebakaran")
    medical = CategoryFactory(code="MED", name_en="Medical", name_id="Kesehatan")
    police_fire = make_incident(world.operator, category=fire, kecamatan="Nusaniwe")
    incident_dispatch(incident=police_fire, agencies=[world.police], actor=world.operator)
    health_medical = make_incident(
        world.operator, category=medical, kecamatan="Sirimau", priority=Priority.P1
    )
    incident_dispatch(incident=health_medical, agencies=[world.health], actor=world.operator)
    client = client_of(world.operator)

    def shown(**query: object) -> set[str]:
        html = client.get(reverse(BOARD_ROWS), query).content.decode()
        return {ref for ref in (police_fire.reference, health_medical.reference) if ref in html}

    assert shown() == {police_fire.reference, health_medical.reference}
    assert shown(agency=world.police.pk) == {police_fire.reference}
    assert shown(category=medical.pk) == {health_medical.reference}
    assert shown(kecamatan="nusaniwe") == {police_fire.reference}
    assert shown(priority=1) == {health_medical.reference}
    assert shown(priority="x") == set()


def test_the_board_reads_a_fixed_number_of_queries(world, now, django_assert_max_num_queries):
    for _ in range(5):
        case = make_incident(world.operator)
        incident_dispatch(
            incident=case, agencies=[world.police, world.health], actor=world.operator
        )
    client = client_of(world.operator)
    client.get(reverse(BOARD_ROWS))  # the session and membership, once
    with django_assert_max_num_queries(9):
        client.get(reverse(BOARD_ROWS))
    assert BOARD_LIMIT >= 100


def test_boards_asking_at_once_wait_for_the_one_rendering_the_new_rows(world):
    """After a change every open board asks for the rows together: one renders them, the
    others take its rows from the cache rather than render them again beside it."""
    make_incident(world.operator)
    key = board_rows_key(pulse_version(CENTRE), "en", "")
    assert cache.add(f"{key}.rendering", 1, 5)  # another board is rendering this version
    done = threading.Timer(0.2, lambda: cache.set(key, '<p id="rendered-once"></p>', 30))
    done.start()
    try:
        response = client_of(world.operator).get(reverse(BOARD_ROWS))
    finally:
        done.join()
        cache.delete_many([key, f"{key}.rendering"])
    assert response.content == b'<p id="rendered-once"></p>'


def test_agencies_get_404_for_the_board_and_the_centre_for_the_inbox(world):
    for user in (world.police_staff, world.health_staff, world.police_head):
        assert client_of(user).get(reverse(BOARD)).status_code == 404
        assert client_of(user).get(reverse(BOARD_ROWS)).status_code == 404
    for user in (world.operator, world.supervisor, world.coordinator):
        assert client_of(user).get(reverse(INBOX)).status_code == 404
        assert client_of(user).get(reverse(INBOX_ROWS)).status_code == 404


# --- The inbox ---------------------------------------------------------------------------------


def test_the_inbox_shows_the_agencys_own_open_dispatches_waiting_ones_first(world, now):
    first = make_incident(world.operator, description="Kebakaran rumah\nDua lantai")
    (first_police,) = incident_dispatch(
        incident=first, agencies=[world.police], actor=world.operator
    )
    now(minutes=1)
    dispatch_acknowledge(dispatch=first_police, actor=world.police_staff)
    second = make_incident(world.operator, kelurahan="Batu Merah", kecamatan="Sirimau")
    incident_dispatch(incident=second, agencies=[world.police, world.health], actor=world.operator)
    health_only = make_incident(world.operator)
    incident_dispatch(incident=health_only, agencies=[world.health], actor=world.operator)

    html = client_of(world.police_staff).get(reverse(INBOX)).content.decode()
    assert health_only.reference not in html
    assert html.index(second.reference) < html.index(first.reference)
    assert "Batu Merah, Sirimau" in html
    assert "Kebakaran rumah" in html and "Dua lantai" not in html
    assert html.count('data-pending="1"') == 1


def test_agency_staff_acknowledge_from_the_inbox(world, now):
    case = make_incident(world.operator)
    (police,) = incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    now(seconds=30)
    client = client_of(world.police_staff)
    url = reverse("admin:incidents_inbox_acknowledge", args=(police.pk,))
    answer = client.post(url, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    police.refresh_from_db()
    assert police.status == DispatchStatus.ACKNOWLEDGED
    assert police.acknowledged_by == world.police_staff
    assert 'data-pending="1"' not in answer.content.decode()
    # Again: refused, said on the page, nothing changes.
    again = client.post(url, headers={"HX-Request": "true"})
    assert again.status_code == 200 and 'id="inbox-messages"' in again.content.decode()


def test_no_agency_acknowledges_another_agencys_dispatch(world, now):
    case = make_incident(world.operator)
    police, _health = incident_dispatch(
        incident=case, agencies=[world.police, world.health], actor=world.operator
    )
    client = client_of(world.health_staff)
    # Health sees the case (it has its own dispatch on it), but not police's dispatch in its inbox.
    url = reverse("admin:incidents_inbox_acknowledge", args=(police.pk,))
    assert client.post(url).status_code == 404
    assert client_of(world.operator).post(url).status_code == 404
    assert client.get(url).status_code == 405
    police.refresh_from_db()
    assert police.status == DispatchStatus.PENDING


# --- In-app notifications ----------------------------------------------------------------------


def test_each_new_dispatch_tells_the_agencys_members_in_the_portal(world, now):
    duty = make_member(world.police, "duty_officer", username="piket")
    case = make_incident(world.operator)
    (police,) = incident_dispatch(incident=case, agencies=[world.police], actor=world.operator)
    told = Notification.objects.filter(dispatch=police)
    assert set(told.values_list("recipient__username", flat=True)) == {
        "police",
        "police_head",
        duty.username,
    }
    assert set(told.values_list("audience", "email_status").distinct()) == {
        (Audience.AGENCY, EmailStatus.IN_APP)
    }
    assert not Notification.objects.filter(recipient=world.health_staff).exists()
    # The sidebar's unread count, and the list, read them.
    page = client_of(world.police_staff).get(reverse("admin:sla_notification_changelist"))
    assert page.status_code == 200 and case.reference in page.content.decode()


def test_boards_share_the_rows_of_one_version_and_a_change_renders_them_again(world, now):
    case = make_incident(world.operator)
    first, second = client_of(world.operator), client_of(world.supervisor)
    first.get(reverse(BOARD_ROWS))
    second.get(reverse(BOARD_ROWS))  # its session and membership
    with CaptureQueriesContext(connection) as cached:
        html = second.get(reverse(BOARD_ROWS)).content.decode()
    assert case.reference in html
    assert not [q for q in cached if '"incidents_incident"' in q["sql"]], "rendered again"
    later = make_incident(world.operator)
    assert later.reference in second.get(reverse(BOARD_ROWS)).content.decode()
