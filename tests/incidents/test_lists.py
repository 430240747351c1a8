"""The lists people work from stay fast: a fixed number of queries whatever they hold, no
COUNT over the cases, filter choices from fixed data, and deep pages by key, not OFFSET."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from cc112.admin_paging import read_cursor
from cc112.sidebar import sidebar_counts
from incidents.models import Area, AreaKind, AreaLevel, Incident
from incidents.services import dispatch_cancel, incident_dispatch, incident_share, share_revoke
from sla.models import ClockState
from sla.services import notifications_mark_read
from tests.factories import (
    AgencyFactory,
    CategoryFactory,
    make_dispatched_incident,
    make_incident,
    make_member,
)

CASES = "admin:incidents_incident_changelist"
# Every request reads its session and its user (django.contrib.auth) before any page's work.
IDENTITY = ('FROM "django_session" WHERE', 'FROM "auth_user" WHERE')
LIST_BUDGET = 5


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _page_queries(client: Client, url: str) -> list[str]:
    """The SQL of one request, after one to warm the per-minute caches (filter choices)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _besides_identity(queries: list[str]) -> list[str]:
    identity = [q for q in queries if any(table in q for table in IDENTITY)]
    assert len(identity) == 2, identity
    return [q for q in queries if q not in identity]


@pytest.fixture
def medical(world):  # type: ignore[no-untyped-def]
    return CategoryFactory(code="MED", name_en="Medical", name_id="Kesehatan")


def _dispatched(world, medical, count: int, agencies=None) -> list[Incident]:  # type: ignore[no-untyped-def]
    return [
        make_dispatched_incident(
            world.operator, agencies or [world.police, world.health], category=medical
        )[0]
        for _n in range(count)
    ]


@pytest.mark.parametrize("cases", [5, 50])
def test_the_polices_case_list_reads_its_page_in_at_most_5_queries_whatever_it_holds(
    world, medical, cases
):
    _dispatched(world, medical, cases)

    queries = _besides_identity(_page_queries(_client(world.police_staff), reverse(CASES)))

    assert len(queries) <= LIST_BUDGET, "\n\n".join(queries)
    # Counted: only the sidebar's badges, in one statement of scalar subqueries.
    assert not [q for q in queries if q.startswith("SELECT COUNT(")], queries
    assert not [q for q in queries if "DISTINCT" in q], queries


@pytest.mark.parametrize("cases", [5, 50])
def test_the_polices_inbox_reads_its_rows_in_a_fixed_number_of_queries(world, medical, cases):
    _dispatched(world, medical, cases)

    queries = _besides_identity(
        _page_queries(_client(world.police_staff), reverse("admin:incidents_inbox"))
    )

    # The membership, the permissions, the marker, the dispatches with their acknowledge
    # clocks (read in the same statement), the badges.
    assert len(queries) <= LIST_BUDGET, "\n\n".join(queries)
    assert not [q for q in queries if 'FROM "sla_clock" WHERE' in q.split("(", 1)[0]], queries


@pytest.mark.parametrize("cases", [5, 60])
def test_the_polices_dispatch_queue_pages_by_key_without_counting(world, medical, cases):
    _dispatched(world, medical, cases)
    client = _client(world.police_staff)
    url = reverse("admin:incidents_dispatch_changelist")

    queries = _besides_identity(_page_queries(client, url))

    assert len(queries) <= LIST_BUDGET, "\n\n".join(queries)
    assert not [q for q in queries if q.startswith("SELECT COUNT(")], queries
    assert not [q for q in queries if "DISTINCT" in q or "OFFSET" in q], queries
    first = client.get(url).context["cl"]
    newest_first = sorted(first.result_list, key=lambda d: (d.dispatched_at, d.pk), reverse=True)
    assert list(first.result_list) == newest_first
    if cases > 50:
        older = client.get(url + first.older_url).context["cl"]
        assert len(first.result_list) + len(older.result_list) == cases
        assert not set(first.result_list) & set(older.result_list)


def test_the_case_list_shows_badges_and_agencies_written_without_templates(world, medical):
    incident = _dispatched(world, medical, 1)[0]
    page = _client(world.police_staff).get(reverse(CASES)).content.decode()

    assert incident.reference in page
    assert 'class="inline-block font-semibold rounded-default' in page  # unfold's badge
    assert f">{world.police.short_name}</span>" in page


def _inbox_badge(page: str) -> str:
    """The number on the sidebar's Inbox link (unfold's badge), or "" when it shows none."""
    link = page.split('<a href="/admin/inbox/"', 1)[1].split("</a>", 1)[0]
    badge = re.search(r"<span class=\"font-semibold h-\[18px\][^>]*>(.*?)</span>", link, re.S)
    return badge.group(1).strip() if badge else ""


def test_the_sidebar_counts_in_one_statement_and_again_only_after_a_change(world, medical):
    """The badges are counted together, then kept until the centre's marker moves: the police
    see their three waiting dispatches, nothing is counted on the next page, and a fourth
    dispatch shows at once."""
    _dispatched(world, medical, 3)
    client = _client(world.police_staff)

    with CaptureQueriesContext(connection) as first:
        page = client.get(reverse(CASES)).content.decode()
    assert len([q for q in first.captured_queries if "COUNT(" in q["sql"]]) == 1
    assert _inbox_badge(page) == "3"

    with CaptureQueriesContext(connection) as again:
        page = client.get(reverse(CASES)).content.decode()
    assert not [q for q in again.captured_queries if "COUNT(" in q["sql"]]
    assert _inbox_badge(page) == "3"

    _dispatched(world, medical, 1)
    with CaptureQueriesContext(connection) as changed:
        page = client.get(reverse(CASES)).content.decode()
    assert len([q for q in changed.captured_queries if "COUNT(" in q["sql"]]) == 1
    assert _inbox_badge(page) == "4"


def test_notifications_read_leave_the_sidebar_at_once(world, medical):
    """Reading notifications moves no marker: the reader's kept counts are forgotten."""
    _dispatched(world, medical, 2)  # each new dispatch notifies the agency's staff
    client = _client(world.police_staff)
    assert sidebar_unread(client) == 2

    notifications_mark_read(user=world.police_staff)

    assert sidebar_unread(client) == 0


def sidebar_unread(client: Client) -> int:
    response = client.get(reverse(CASES))
    return sidebar_counts(response.wsgi_request)["unread"]


def test_the_case_list_after_a_change_is_read_again_within_the_budget(world, medical):
    """Between changes the police's list is drawn once for all its staff; the first page
    after a change reads and draws it again, still in at most five statements."""
    _dispatched(world, medical, 5)
    client = _client(world.police_staff)
    assert client.get(reverse(CASES)).status_code == 200
    newest = _dispatched(world, medical, 1)[0]

    with CaptureQueriesContext(connection) as changed:
        page = client.get(reverse(CASES)).content.decode()

    assert newest.reference in page
    assert len(_besides_identity([q["sql"] for q in changed.captured_queries])) <= LIST_BUDGET


def test_a_kept_case_list_never_crosses_agencies_or_persons(world, medical):
    """The police's kept page is the police's: Dinkes staff asking for the same address get
    their own rows, and someone with a case shared in person gets rows of their own."""
    police_only = _dispatched(world, medical, 1, agencies=[world.police])[0]
    health_only = _dispatched(world, medical, 1, agencies=[world.health])[0]
    police_page = _client(world.police_staff).get(reverse(CASES)).content.decode()
    assert police_only.reference in police_page and health_only.reference not in police_page

    health_page = _client(world.health_staff).get(reverse(CASES)).content.decode()
    assert health_only.reference in health_page and police_only.reference not in health_page

    colleague = make_member(world.health, Role.STAFF, username="health2")
    incident_share(
        incident=police_only, actor=world.supervisor, user=colleague, reason="Saksi kunci"
    )
    own = _client(colleague).get(reverse(CASES)).content.decode()
    assert police_only.reference in own
    assert (
        police_only.reference
        not in _client(world.health_staff).get(reverse(CASES)).content.decode()
    )


def test_a_revoked_share_leaves_the_agencys_kept_list_at_once(world, medical):
    incident = _dispatched(world, medical, 1, agencies=[world.police])[0]
    share = incident_share(
        incident=incident, actor=world.supervisor, agency=world.health, reason="Korban luka"
    )
    client = _client(world.health_staff)
    assert incident.reference in client.get(reverse(CASES)).content.decode()

    share_revoke(share=share, actor=world.coordinator, reason="Tidak ada korban")

    assert incident.reference not in client.get(reverse(CASES)).content.decode()


def test_a_small_agencys_deep_page_uses_a_keyset(world, medical):
    """Health has 60 cases among the police's: "Older →" carries the 50th case's key, and the
    next page is the 10 after it, found from the key without OFFSET or COUNT."""
    _dispatched(world, medical, 60, agencies=[world.health])
    _dispatched(world, medical, 5, agencies=[world.police])
    client = _client(world.health_staff)
    first = client.get(reverse(CASES))
    listing = first.context["cl"]
    assert listing.paged_by_key and len(listing.result_list) == 50
    older = listing.older_url
    assert older and "after=" in older

    with CaptureQueriesContext(connection) as captured:
        second = client.get(reverse(CASES) + older)

    rows = list(second.context["cl"].result_list)
    newest_first = list(
        Incident.objects.visible_to(world.health_staff).order_by("-received_at", "-pk")
    )
    assert rows == newest_first[50:60]
    assert second.context["cl"].older_url is None
    page_sql = [
        q["sql"]
        for q in captured.captured_queries
        if '"incidents_incident"."reference"' in q["sql"]
    ]
    assert page_sql and all("OFFSET" not in q for q in page_sql)
    assert not [q for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert "Older" not in second.content.decode()
    assert "Newest" in second.content.decode()


def test_a_filter_change_starts_again_from_the_newest_case(world, medical):
    _dispatched(world, medical, 55, agencies=[world.health])
    client = _client(world.health_staff)
    older = client.get(reverse(CASES)).context["cl"].older_url

    deep = client.get(reverse(CASES) + older + "&status__exact=dispatched")
    status_link = deep.context["cl"].get_query_string({"status__exact": "received"})

    assert "after=" not in status_link


@pytest.mark.parametrize("cursor", ["x", "1.2.3", "-", "99999999999999999999.1", ".5", "5."])
def test_a_cursor_that_is_no_cursor_shows_the_newest_cases(world, medical, cursor):
    _dispatched(world, medical, 2)
    response = _client(world.police_staff).get(reverse(CASES), {"after": cursor})
    assert response.status_code == 200
    assert read_cursor(cursor) is None


def test_kecamatan_choices_come_from_the_gazetteer_not_from_the_cases(world, medical):
    province = Area.objects.create(
        code="81", name="Maluku", level=AreaLevel.PROVINSI, kind=AreaKind.PROVINSI
    )
    city = Area.objects.create(
        code="81.71", name="Kota Ambon", level=AreaLevel.KOTA, kind=AreaKind.KOTA, parent=province
    )
    Area.objects.create(
        code="81.71.01",
        name="Nusaniwe",
        level=AreaLevel.KECAMATAN,
        kind=AreaKind.KECAMATAN,
        parent=city,
    )
    Area.objects.create(
        code="81.71.02",
        name="Sirimau",
        level=AreaLevel.KECAMATAN,
        kind=AreaKind.KECAMATAN,
        parent=city,
    )
    make_incident(world.operator, category=medical, kecamatan="Leitimur Selatan")

    response = _client(world.operator).get(reverse(CASES))

    kecamatan = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "parameter_name", "") == "kecamatan"
    )
    assert [name for name, _label in kecamatan.lookup_choices] == ["Nusaniwe", "Sirimau"]


def test_the_police_case_list_offers_numbered_pages_when_sorted_by_another_column(world, medical):
    _dispatched(world, medical, 55)
    response = _client(world.police_staff).get(reverse(CASES), {"o": "3"})
    listing = response.context["cl"]
    assert not listing.paged_by_key
    assert listing.result_count == 55 and listing.multi_page


# --- The clock list ----------------------------------------------------------------------------


def test_the_clock_list_opens_on_running_clocks_nearest_deadline_first(world, medical):
    _dispatched(world, medical, 3)
    _done, [dispatch] = make_dispatched_incident(world.operator, [world.police], category=medical)
    from incidents.services import dispatch_acknowledge

    dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)

    response = _client(world.supervisor).get(reverse("admin:sla_clock_changelist"))

    clocks = list(response.context["cl"].result_list)
    assert clocks and {c.state for c in clocks} == {ClockState.RUNNING}
    assert [c.due_at for c in clocks] == sorted(c.due_at for c in clocks)
    everything = _client(world.supervisor).get(
        reverse("admin:sla_clock_changelist"), {"state": "all"}
    )
    assert ClockState.MET in {c.state for c in everything.context["cl"].result_list}


def test_an_overdue_clock_shows_as_overdue_not_as_running(world, medical):
    _dispatched(world, medical, 1, agencies=[world.police])
    later = timezone.now() + dt.timedelta(days=2)

    with time_machine.travel(later, tick=False):
        response = _client(world.supervisor).get(reverse("admin:sla_clock_changelist"))
        listing = response.context["cl"]
        labels = {listing.model_admin.state_label(clock) for clock in listing.result_list}

    assert labels == {("overdue", "Overdue")}
    assert "Overdue" in response.content.decode()


def test_a_cases_agencies_read_in_its_row_oldest_dispatch_first_without_withdrawn_ones(
    world, medical
):
    """The centre's list names the agencies each case went to, in the order they were sent
    (read inside the rows' own statement); a cancelled dispatch is no longer the agency's."""
    bpbd = AgencyFactory(code="bpbd", short_name="BPBD")
    incident, _sent = make_dispatched_incident(world.operator, [world.health], category=medical)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
        [withdrawn] = incident_dispatch(incident=incident, agencies=[bpbd], actor=world.operator)
        dispatch_cancel(dispatch=withdrawn, actor=world.operator, reason="Salah instansi")

    page = _client(world.operator).get(reverse(CASES)).content.decode()
    row = page.split(incident.reference, 1)[1].split("</tr>", 1)[0]

    assert row.index(">Dinkes</span>") < row.index(">Polresta</span>")
    assert ">BPBD</span>" not in row
