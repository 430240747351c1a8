"""The demo a city sees first: Kota Ambon's first three months, installed by ``seed_demo``."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Q
from django.test import RequestFactory
from django.utils import timezone, translation

from agencies.defaults import CENTRE_CODE
from agencies.models import Agency, AgencyKind, Membership, Role, WorkingHours
from incidents.demo import (
    AMBON_TZ,
    AMBULANCE_REQUEST_PREFIX,
    DEMO_PASSWORD,
    LIVE_CASES,
    LIVE_WINDOW,
    demo_period,
    plan_activity,
)
from incidents.models import (
    Call,
    CallOutcome,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
)
from sla.models import Clock, ClockKind, ClockState, Escalation

pytestmark = pytest.mark.django_db

AGENCY_STEPS = ("acknowledged", "en route", "on scene", "resolved")
# The tests pin the demo's last day (``--end``): the months are then the same whatever today
# is, the source's own 8 September-7 December 2025; the cases of right now come after them.
LAST_DAY = date(2025, 12, 7)
PERIOD = demo_period(LAST_DAY)
DEMO_START, DEMO_END = PERIOD.start, PERIOD.end


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Seed once for the module, inside a transaction rolled back after its last test.

    Each test runs in a savepoint inside it, so the seed is shared and nothing leaks out.
    """
    with django_db_blocker.unblock(), transaction.atomic(), translation.override("en"):
        out = StringIO()
        call_command("seed_demo", "--end", LAST_DAY.isoformat(), force=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _printed_logins(output: str) -> list[list[str]]:
    """The rows of the logins table: username, role, agency, password."""
    table = output.split("Demo logins:\n", 1)[1].strip("\n").splitlines()
    return [re.split(r"\s{2,}", line.strip()) for line in table[1:]]


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def test_the_network_is_ambons_centre_and_the_partners_named_in_its_evaluation(demo_output):
    agencies = list(Agency.objects.all())

    assert {a.code for a in agencies} == {
        CENTRE_CODE,
        "polresta",
        "kodim-1504",
        "basarnas",
        "bmkg",
        "pln",
        "bpbd",
        "dinkes",
        "damkar",
        "dinsos",
        "dlh",
        "dishub",
        "dp3md",
        "distan",
    }
    [centre] = [a for a in agencies if a.is_centre]
    assert (centre.code, centre.kind) == (CENTRE_CODE, AgencyKind.CENTRE)
    office_hours = {a.code for a in agencies if a.working_hours == WorkingHours.OFFICE}
    assert office_hours == {"dinsos", "dp3md", "distan"}


def _months():  # type: ignore[no-untyped-def]
    return Incident.objects.filter(received_at__lt=DEMO_END)


def test_three_months_bring_381_cases_with_kamtibmas_first_then_health(demo_output):
    cases = _months()
    counts = Counter(cases.values_list("category__code", flat=True))
    ambulance_requests = cases.filter(description__startswith=AMBULANCE_REQUEST_PREFIX).count()
    smaller = [n for code, n in counts.items() if code not in {"KTB", "MED", "BNC", "HWN"}]

    assert cases.count() == 381
    assert all(DEMO_START <= t < DEMO_END for t in cases.values_list("received_at", flat=True))
    assert counts["KTB"] > counts["MED"] > counts["BNC"] > counts["HWN"] > ambulance_requests
    assert ambulance_requests > max(smaller)
    assert set(counts) == {
        "KTB", "MED", "BNC", "HWN", "LAKA", "KBK", "SOS", "UTL", "SAR", "JNZ", "INF",
    }  # fmt: skip


def test_sirimau_reports_most_then_nusaniwe_then_teluk_ambon(demo_output):
    places = list(
        Incident.objects.values_list("kecamatan", "kelurahan", "area__parent__name", "area__name")
    )
    months = _months().values_list("kecamatan", flat=True)
    ranking = [kecamatan for kecamatan, _n in Counter(months).most_common()]

    assert ranking == ["Sirimau", "Nusaniwe", "Teluk Ambon", "Baguala", "Leitimur Selatan"]
    # Every case, of the months and of right now, is placed in its kelurahan or desa, under
    # Kemendagri's names.
    unplaced = [(k, kel) for k, kel, parent, name in places if (k, kel) != (parent, name)]
    assert not unplaced
    assert Counter(kel for _k, kel, *_area in places)["Batu Merah"] > 0


def test_most_calls_that_never_became_cases_are_pranks_above_all_at_first(demo_output):
    other_calls = Call.objects.exclude(outcome=CallOutcome.INCIDENT)
    outcomes = Counter(other_calls.values_list("outcome", flat=True))
    first_three_weeks = other_calls.filter(answered_at__lt=DEMO_START + timedelta(weeks=3))

    # Repeat calls joining an open case come from the call screen; the demo plans none yet.
    assert set(outcomes) == set(CallOutcome) - {CallOutcome.INCIDENT, CallOutcome.ATTACHED}
    assert outcomes.most_common(1)[0][0] == CallOutcome.PRANK
    assert first_three_weeks.filter(outcome=CallOutcome.PRANK).count() > 200


def test_every_printed_login_signs_in_with_the_role_and_agency_printed(demo_output):
    rows = _printed_logins(demo_output)

    assert len(rows) == 9 + 13 * 3
    for username, role, agency, password in rows:
        assert password == DEMO_PASSWORD
        # As the login form does: the lockout's backend (django-axes) needs the request.
        user = authenticate(
            RequestFactory().post("/admin/login/"), username=username, password=password
        )
        assert user is not None, username
        membership = Membership.objects.active().select_related("agency").get(user=user)
        assert (membership.get_role_display(), membership.agency.short_name) == (role, agency)
    centre_roles = Counter(
        m.role for m in Membership.objects.active().filter(agency__code=CENTRE_CODE)
    )
    assert centre_roles == {Role.OPERATOR: 6, Role.SUPERVISOR: 2, Role.COORDINATOR: 1}


def test_every_case_has_a_reference_and_its_clocks_run_forward(demo_output):
    references = list(Incident.objects.order_by("received_at").values_list("reference", flat=True))
    dispatches = Dispatch.objects.select_related("incident")

    assert all(re.fullmatch(r"112-AMB-20\d\d-\d{6}", r) for r in references)
    assert references == sorted(references)  # numbered in the order the calls came in
    assert dispatches.exists()
    for dispatch in dispatches:
        incident = dispatch.incident
        clocks = [
            incident.received_at,  # T0
            incident.first_dispatched_at,  # T1
            dispatch.dispatched_at,
            dispatch.acknowledged_at,  # T2
            dispatch.en_route_at,
            dispatch.on_scene_at,  # T3
            dispatch.resolved_at,  # T4
        ]
        recorded = [t for t in clocks if t is not None]
        assert recorded == sorted(recorded), incident.reference
        assert incident.first_dispatched_at is not None


def test_dispatch_history_names_the_person_who_acted_for_the_right_agency(demo_output):
    agency_of = dict(Membership.objects.active().values_list("user_id", "agency_id"))
    centre = Agency.objects.get(code=CENTRE_CODE)
    history = Dispatch.history.all()

    assert history.exists()
    assert not history.filter(history_user=None).exists()
    assert not Incident.history.filter(history_user=None).exists()
    agency_steps = history.filter(
        Q(history_change_reason__in=AGENCY_STEPS) | Q(history_change_reason__startswith="declined")
    )
    assert agency_steps.exists()
    for row in agency_steps:
        assert agency_of[row.history_user_id] == row.agency_id
    for row in history.filter(history_change_reason="dispatched"):
        assert agency_of[row.history_user_id] == centre.pk


def test_old_cases_are_closed_and_the_last_days_are_still_being_worked(demo_output):
    open_cases = Incident.objects.open()

    assert not open_cases.filter(received_at__lt=DEMO_END - LIVE_WINDOW).exists()
    assert len(set(open_cases.values_list("status", flat=True))) >= 3
    assert Incident.objects.filter(status=IncidentStatus.CANCELLED).exists()
    for declined in Dispatch.objects.filter(status="declined").select_related("incident"):
        elsewhere = declined.incident.dispatches.exclude(agency=declined.agency_id)
        later = elsewhere.filter(dispatched_at__gt=declined.closed_at)
        assert later.exists() or declined.incident.is_open, declined.incident.reference


def test_running_it_again_says_the_demo_is_there_and_creates_nothing(demo_output):
    before = _row_counts()
    out = StringIO()

    with translation.override("en"):
        call_command("seed_demo", force=True, seed=7, stdout=out)

    assert _row_counts() == before
    assert "already in the database" in out.getvalue()


def test_it_refuses_a_server_without_debug_unless_forced(settings):
    settings.DEBUG = False
    before = _row_counts()

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert _row_counts() == before


def test_a_seed_always_plans_the_same_demo_and_another_seed_only_other_details():
    plan = plan_activity(112, PERIOD)
    other = plan_activity(113, PERIOD)

    assert plan == plan_activity(112, PERIOD)
    assert other != plan
    assert Counter(c.category for c in other.cases) == Counter(c.category for c in plan.cases)
    assert Counter(c.kecamatan for c in other.cases) == Counter(c.kecamatan for c in plan.cases)


def test_the_demos_period_report_shows_381_cases_with_kamtibmas_first(demo_output):
    first, last = DEMO_START.date(), (DEMO_END - timedelta(days=1)).date()
    out = StringIO()

    call_command("evaluation_report", start=first.isoformat(), end=last.isoformat(), stdout=out)

    report = json.loads(out.getvalue())
    # The cases of right now are after the pinned months.
    assert report["cases"]["total"] == 381
    assert [row["code"] for row in report["categories"][:2]] == ["KTB", "MED"]
    assert report["cases"]["previous"] == 0  # before the go-live
    assert sum(report["hours"]) == sum(report["shifts"].values()) == 381
    assert report["calls"]["total"] == Call.objects.filter(answered_at__lt=DEMO_END).count()


@pytest.mark.parametrize("seed", range(40))
def test_any_seed_gives_a_demo_of_381_cases(seed):
    plan = plan_activity(seed, PERIOD)
    assert len(plan.cases) == 381


def test_another_last_day_moves_the_same_months_by_whole_days():
    plan = plan_activity(112, PERIOD)
    later = plan_activity(112, demo_period(date(2026, 3, 1)))
    shift = later.period.end - PERIOD.end

    assert shift == timedelta(days=84)
    assert [c.received_at - shift for c in later.cases] == [c.received_at for c in plan.cases]
    assert [c.answered_at - shift for c in later.calls] == [c.answered_at for c in plan.calls]


def test_by_default_the_months_end_today_and_nothing_is_planned_after_now():
    now = timezone.now()
    plan = plan_activity(112)

    assert plan.period.last_day == now.astimezone(AMBON_TZ).date()
    assert len(plan.cases) == 381
    moments = [c.received_at for c in plan.cases] + [c.answered_at for c in plan.calls]
    moments += [step.at for c in plan.cases for step in c.steps]
    assert max(moments) < now
    assert min(moments) >= plan.period.start


def test_a_last_day_after_today_is_refused():
    tomorrow = timezone.now().astimezone(AMBON_TZ).date() + timedelta(days=1)

    with pytest.raises(CommandError, match="--end"):
        call_command("seed_demo", "--end", tomorrow.isoformat(), force=True, stdout=StringIO())


# --- Right now -----------------------------------------------------------------------------------


def _live(stage: str) -> Incident:
    [case] = [c for c in LIVE_CASES if c.stage == stage]
    return Incident.objects.get(description=case.description)


def _seeded_at() -> datetime:
    """When the module's seed recorded the cases of right now (the tests run minutes later)."""
    [case] = [c for c in LIVE_CASES if c.stage == "received"]
    return _live("received").received_at + timedelta(minutes=case.received)


def test_a_handful_of_cases_are_open_right_now_at_varied_stages(demo_output):
    seeded_at = _seeded_at()
    live = Incident.objects.filter(received_at__gte=DEMO_END)

    assert live.count() == len(LIVE_CASES) >= 6
    assert seeded_at <= timezone.now()
    assert all(seeded_at - timedelta(minutes=30) < c.received_at < seeded_at for c in live)
    assert all(c.is_open and c.area_id for c in live)
    assert len(set(live.values_list("category__code", flat=True))) >= 4
    assert len(set(live.values_list("area__name", flat=True))) == live.count()
    assert _live("received").status == IncidentStatus.RECEIVED
    stages = {
        "en_route": DispatchStatus.EN_ROUTE,
        "on_scene": DispatchStatus.ON_SCENE,
        "about_to_breach": DispatchStatus.PENDING,
    }
    for stage, status in stages.items():
        assert [d.status for d in _live(stage).dispatches.all()] == [status], stage
    assert "Open right now: " in demo_output


def test_one_is_about_to_breach_its_acknowledge_clock(demo_output):
    [clock] = Clock.objects.filter(incident=_live("about_to_breach"), kind=ClockKind.ACKNOWLEDGE)

    assert clock.state == ClockState.RUNNING
    assert timedelta(0) < clock.due_at - _seeded_at() <= timedelta(minutes=3)
    assert not clock.escalations.exists()


def test_one_has_breached_and_the_sweep_escalated_it(demo_output):
    [clock] = Clock.objects.filter(incident=_live("escalated"), kind=ClockKind.ACKNOWLEDGE)
    escalations = list(clock.escalations.values_list("level", flat=True))

    assert clock.due_at < timezone.now()
    assert escalations == [1]  # the next rung, at 150 %, is still to come
    assert Escalation.objects.get(clock=clock).notifications.exists()


def test_the_police_inbox_has_a_case_waiting_shared_with_kodim(demo_output):
    waiting = _live("waiting_at_two")
    dispatches = {d.agency.code: d.status for d in waiting.dispatches.select_related("agency")}
    police_staff = Membership.objects.get(agency__code="polresta", role=Role.STAFF).user

    assert dispatches == {"polresta": "pending", "kodim-1504": "pending"}
    assert (
        Dispatch.objects.visible_to(police_staff)
        .filter(incident=waiting, status=DispatchStatus.PENDING)
        .exists()
    )


def test_a_demo_ending_this_morning_explains_no_breach_in_the_future(time_machine):
    """`make run` at 08:50 WIT: breaches of the last hours are explained at the next debrief,
    which has not come yet; seeding the default period (ending today) must not date a record
    after now (it refused with "the time cannot be in the future")."""
    from sla.models import BreachReason

    time_machine.move_to(datetime(2026, 12, 4, 23, 50, tzinfo=UTC), tick=False)
    with translation.override("en"):
        call_command("seed_demo", "--no-logins", force=True, stdout=StringIO())

    assert Clock.objects.filter(state=ClockState.BREACHED).exists()
    assert BreachReason.objects.exists()
    assert not BreachReason.objects.filter(recorded_at__gt=timezone.now()).exists()
