"""Each person's home in the portal is their work: the centre's board, an agency's inbox; the
model index stays one click away."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

BOARD = reverse("admin:incidents_board")
INBOX = reverse("admin:incidents_inbox")
INDEX = reverse("admin:index")
ALL_PAGES = f"{INDEX}?all=1"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("operator", BOARD),
        ("supervisor", BOARD),
        ("coordinator", BOARD),
        ("police_staff", INBOX),
        ("police_head", INBOX),
        ("health_staff", INBOX),
    ],
)
def test_the_portals_home_is_each_persons_live_page(world, persona, home):  # type: ignore[no-untyped-def]
    response = _client(getattr(world, persona)).get(INDEX)

    assert response.status_code == 302
    assert response["Location"] == home


@pytest.mark.parametrize("persona", ["operator", "supervisor", "police_staff"])
def test_logging_in_on_the_login_page_lands_on_the_home(world, persona):  # type: ignore[no-untyped-def]
    user = getattr(world, persona)
    client = Client()

    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    home = BOARD if persona != "police_staff" else INBOX
    assert response.redirect_chain == [(INDEX, 302), (home, 302)]


def test_an_operator_lands_on_the_board_with_the_call_screens_key_in_view(world):  # type: ignore[no-untyped-def]
    page = _client(world.operator).get(INDEX, follow=True).content.decode()

    assert 'id="board-table"' in page
    assert 'id="answer-call"' in page
    assert reverse("admin:incidents_answer") in page
    assert "F2</kbd>" in page


def test_agency_staff_see_no_call_screen_key_on_their_inbox(world):  # type: ignore[no-untyped-def]
    page = _client(world.police_staff).get(INDEX, follow=True).content.decode()

    assert 'data-target="inbox-table"' in page
    assert 'id="answer-call"' not in page


@pytest.mark.parametrize("persona", ["operator", "supervisor", "police_staff"])
def test_the_model_index_is_one_click_away_in_the_sidebar(world, persona):  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))

    home = client.get(INDEX, follow=True)
    index = client.get(ALL_PAGES)

    assert f'href="{ALL_PAGES}"' in home.content.decode()
    assert index.status_code == 200
    assert index.context["app_list"]  # the model index itself


def test_an_administrator_outside_the_network_keeps_the_model_index(db):  # type: ignore[no-untyped-def]
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    response = _client(root).get(INDEX)

    assert response.status_code == 200
    assert response.context["app_list"]
