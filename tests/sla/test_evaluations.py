"""A supervisor evaluates Sari for the last quarter: the figures are frozen into the evaluation,
the rubric is scored and submitted, and Sari reads and acknowledges it. Nobody else reads it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from agencies.models import Role
from cc112.errors import ActionForbidden, DomainError, TransitionRefused
from incidents.models import Priority
from incidents.services import incident_dispatch, incident_update
from sla.models import RUBRIC, Evaluation, EvaluationStatus
from sla.scorecards import Period, operator_scorecard
from sla.services import (
    evaluation_acknowledge,
    evaluation_open,
    evaluation_score,
    evaluation_submit,
)
from tests.factories import make_incident, make_member
from tests.sla.frozen import T0, WIT

pytestmark = pytest.mark.django_db

# The fourth quarter of 2025 in the centre's zone; T0 (16 December) falls inside it.
QUARTER = Period(dt.datetime(2025, 10, 1, tzinfo=WIT), dt.datetime(2026, 1, 1, tzinfo=WIT))
GOOD = {code: 4 for code, _label in RUBRIC}


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def change_url(evaluation: Evaluation) -> str:
    return reverse("admin:sla_evaluation_change", args=(evaluation.pk,))


@pytest.fixture
def budi(world):  # type: ignore[no-untyped-def]
    return make_member(world.centre, Role.OPERATOR, username="budi")


@pytest.fixture
def quarter_worked(world, budi, after):  # type: ignore[no-untyped-def]
    """Sari dispatches one P1 case in 30 s and one in 90 s (a miss of the 60 s target), Budi one
    in 20 s; then the quarter ends and it is 2 January."""
    sari = world.operator
    for operator, seconds in ((sari, 30), (sari, 90), (budi, 20)):
        after(minutes=10)
        case = make_incident(operator, priority=Priority.P1)
        after(minutes=10, seconds=seconds)
        incident_dispatch(incident=case, agencies=[world.police], actor=operator)
    after(days=17)
    return sari


@pytest.fixture
def opened(world, quarter_worked):  # type: ignore[no-untyped-def]
    return evaluation_open(operator=quarter_worked, period=QUARTER, actor=world.supervisor)


@pytest.fixture
def submitted(world, opened):  # type: ignore[no-untyped-def]
    evaluation_score(
        evaluation=opened, actor=world.supervisor, scores=GOOD, comment="Cepat dan rapi."
    )
    return evaluation_submit(evaluation=opened, actor=world.supervisor)


# --- Opening: the figures are frozen -------------------------------------------------------------


def test_a_supervisor_opens_saris_evaluation_with_the_quarters_figures(world, opened):
    assert opened.status == EvaluationStatus.DRAFT
    assert (opened.operator, opened.opened_by) == (world.operator, world.supervisor)
    assert (opened.period_start, opened.period_end) == (QUARTER.start, QUARTER.end)
    figures = opened.metrics
    assert figures["period"] == {
        "start": "2025-09-30T15:00:00.000000Z",
        "end": "2025-12-31T15:00:00.000000Z",
    }
    assert figures["own"]["cases_created"] == 2
    assert figures["own"]["dispatch_measured"] == 2
    assert figures["own"]["dispatch_breaches"] == 1
    assert figures["own"]["dispatch_median_seconds"] == pytest.approx(60.0)
    assert figures["centre"]["operators"] == 2


def test_the_frozen_figures_do_not_follow_later_changes(world, opened, after):
    before = json.loads(json.dumps(opened.metrics))
    case = make_incident(
        world.operator, received_at=T0 + dt.timedelta(days=1), priority=Priority.P2
    )  # recorded late, in the quarter
    incident_update(incident=case, actor=world.supervisor, changes={"location_text": "Jl. Baru"})

    live = operator_scorecard(world.operator, QUARTER)["own"]
    assert (live["cases_created"], live["corrections"]) == (3, 1)
    opened.refresh_from_db()
    assert opened.metrics == before


def test_only_supervisors_and_the_coordinator_open_evaluations(world, quarter_worked):
    with pytest.raises(ActionForbidden):
        evaluation_open(operator=quarter_worked, period=QUARTER, actor=world.operator)
    with pytest.raises(ActionForbidden):
        evaluation_open(operator=quarter_worked, period=QUARTER, actor=world.police_head)
    assert evaluation_open(operator=quarter_worked, period=QUARTER, actor=world.coordinator)


@pytest.mark.parametrize("evaluated", ["supervisor", "police_staff", "outsider"])
def test_only_the_centres_operators_are_evaluated(world, quarter_worked, evaluated):
    with pytest.raises(ValidationError) as refused:
        evaluation_open(operator=getattr(world, evaluated), period=QUARTER, actor=world.supervisor)
    assert "operator" in refused.value.message_dict


def test_a_second_evaluation_of_the_same_quarter_is_refused(world, opened):
    with pytest.raises(DomainError, match="Sudah ada evaluasi"):  # the centre reads Indonesian
        evaluation_open(operator=world.operator, period=QUARTER, actor=world.coordinator)

    december = Period(dt.datetime(2025, 12, 1, tzinfo=WIT), QUARTER.end)
    assert evaluation_open(operator=world.operator, period=december, actor=world.supervisor)


def test_a_period_not_over_yet_is_not_evaluated(world, after):
    after(days=1)
    with pytest.raises(ValidationError) as refused:
        evaluation_open(operator=world.operator, period=QUARTER, actor=world.supervisor)
    assert "period_end" in refused.value.message_dict


# --- Scoring and submitting ----------------------------------------------------------------------


def test_the_supervisor_scores_the_rubric_and_submits(world, opened, after):
    scores = {**GOOD, "caller_communication": 5, "sop_compliance": 3}
    scored = evaluation_score(
        evaluation=opened, actor=world.supervisor, scores=scores, comment="  Cepat dan rapi. "
    )
    assert (scored.scores, scored.comment) == (scores, "Cepat dan rapi.")

    moment = after(days=17, hours=2)
    submitted = evaluation_submit(evaluation=opened, actor=world.supervisor)

    assert (submitted.status, submitted.submitted_at) == (EvaluationStatus.SUBMITTED, moment)
    with pytest.raises(DomainError):
        evaluation_score(evaluation=submitted, actor=world.supervisor, scores=GOOD, comment="")
    with pytest.raises(TransitionRefused):
        evaluation_submit(evaluation=submitted, actor=world.supervisor)


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({**GOOD, "dispatch_speed": 0}, "dispatch_speed"),
        ({**GOOD, "dispatch_speed": 6}, "dispatch_speed"),
        ({**GOOD, "categorisation": "4"}, "categorisation"),
        ({**GOOD, "categorisation": 3.5}, "categorisation"),
        ({**GOOD, "sop_compliance": True}, "sop_compliance"),
        ({code: 4 for code in list(GOOD)[:-1]}, "sop_compliance"),
        ({**GOOD, "punctuality": 4}, "scores"),
    ],
)
def test_bad_scores_are_refused_criterion_by_criterion(world, opened, scores, field):
    with pytest.raises(ValidationError) as refused:
        evaluation_score(evaluation=opened, actor=world.supervisor, scores=scores, comment="")

    assert list(refused.value.message_dict) == [field]
    opened.refresh_from_db()
    assert opened.scores == {}


def test_an_unscored_draft_is_not_submitted(world, opened):
    with pytest.raises(ValidationError) as refused:
        evaluation_submit(evaluation=opened, actor=world.supervisor)
    assert "Kecepatan penerusan" in refused.value.message_dict["scores"][0]


def test_an_operator_does_not_score_or_submit(world, opened):
    with pytest.raises(ActionForbidden):
        evaluation_score(evaluation=opened, actor=world.operator, scores=GOOD, comment="")
    with pytest.raises(ActionForbidden):
        evaluation_submit(evaluation=opened, actor=world.operator)


# --- Sari reads and acknowledges -----------------------------------------------------------------


def test_sari_reads_her_submitted_evaluation_and_acknowledges_it(world, submitted, after):
    sari = world.operator
    assert list(Evaluation.objects.visible_to(sari)) == [submitted]

    moment = after(days=18)
    done = evaluation_acknowledge(evaluation=submitted, actor=sari, remark=" Terima kasih. ")

    assert done.status == EvaluationStatus.ACKNOWLEDGED
    assert (done.acknowledged_at, done.operator_remark) == (moment, "Terima kasih.")
    with pytest.raises(TransitionRefused):
        evaluation_acknowledge(evaluation=done, actor=sari)


def test_a_draft_is_the_supervisors_until_submitted(world, opened):
    assert not Evaluation.objects.visible_to(world.operator).exists()
    with pytest.raises(TransitionRefused):
        evaluation_acknowledge(evaluation=opened, actor=world.operator)


def test_another_operator_neither_sees_nor_acknowledges_saris_evaluation(world, budi, submitted):
    assert not Evaluation.objects.visible_to(budi).exists()
    with pytest.raises(ActionForbidden):
        evaluation_acknowledge(evaluation=submitted, actor=budi)
    with pytest.raises(ActionForbidden):
        evaluation_acknowledge(evaluation=submitted, actor=world.supervisor)


def test_agency_staff_and_outsiders_see_no_evaluation(world, submitted):
    assert Evaluation.objects.visible_to(world.supervisor).count() == 1
    assert Evaluation.objects.visible_to(world.coordinator).count() == 1
    for user in (world.police_staff, world.police_head, world.health_staff, world.outsider):
        assert not Evaluation.objects.visible_to(user).exists()


def test_the_history_records_each_step_with_its_actor(world, submitted):
    evaluation_acknowledge(evaluation=submitted, actor=world.operator, remark="Siap.")

    steps = list(
        Evaluation.history.filter(id=submitted.pk)
        .order_by("history_id")
        .values_list("history_change_reason", "history_user__username", "status")
    )
    assert steps == [
        ("opened", "supervisor", "draft"),
        ("scored", "supervisor", "draft"),
        ("submitted", "supervisor", "submitted"),
        ("acknowledged", "operator", "acknowledged"),
    ]


# --- In the portal -------------------------------------------------------------------------------


def test_a_supervisor_opens_an_evaluation_by_days_in_the_centres_zone(world, quarter_worked):
    client = browser(world.supervisor)
    assert client.get(reverse("admin:sla_evaluation_add")).status_code == 200

    response = client.post(
        reverse("admin:sla_evaluation_add"),
        {"operator": world.operator.pk, "period_start": "2025-10-01", "period_end": "2025-12-31"},
    )

    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(evaluation)
    assert (evaluation.period_start, evaluation.period_end) == (QUARTER.start, QUARTER.end)
    assert evaluation.metrics["own"]["cases_created"] == 2


def test_the_open_form_offers_only_operators_and_shows_refusals_as_form_errors(world, budi, opened):
    client = browser(world.supervisor)
    url = reverse("admin:sla_evaluation_add")
    offered = client.get(url).context["adminform"].form.fields["operator"].queryset
    assert set(offered) == {world.operator, budi}

    backwards = client.post(
        url,
        {"operator": budi.pk, "period_start": "2025-12-31", "period_end": "2025-10-01"},
    )
    again = client.post(
        url,
        {"operator": world.operator.pk, "period_start": "2025-10-01", "period_end": "2025-12-31"},
    )
    not_over = client.post(
        url,
        {"operator": budi.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
    )

    assert backwards.context["adminform"].form.errors["period_end"]
    assert "already an evaluation" in str(again.context["adminform"].form.non_field_errors())
    assert not_over.context["adminform"].form.errors["period_end"]
    assert Evaluation.objects.count() == 1


def test_the_supervisor_scores_on_the_page_with_the_figures_and_submits(world, opened):
    client = browser(world.supervisor)
    page = client.get(change_url(opened))
    html = page.content.decode()
    assert 'id="evaluation-figures"' in html
    assert "Median time to dispatch (T0→T1)" in html
    assert 'name="dispatch_speed"' in html, "the rubric is a form while a draft"
    assert "02-01-2026 10:00:00" in html, "opened at, in the centre's zone"
    submit_url = reverse("admin:sla_evaluation_submit_evaluation", args=(opened.pk,))
    assert f'href="{submit_url}"' in html

    wrong = client.post(change_url(opened), {**GOOD, "dispatch_speed": "9", "comment": "x"})
    assert wrong.status_code == 200
    assert wrong.context["adminform"].form.errors["dispatch_speed"]

    saved = client.post(change_url(opened), {**GOOD, "comment": "Bagus."})
    assert saved.status_code == 302
    opened.refresh_from_db()
    assert (opened.scores, opened.comment) == (GOOD, "Bagus.")

    assert client.post(submit_url, {})["Location"] == change_url(opened)
    opened.refresh_from_db()
    assert opened.status == EvaluationStatus.SUBMITTED
    assert client.post(change_url(opened), {**GOOD, "comment": "x"}).status_code == 403


def test_submitting_an_unscored_draft_shows_why(world, opened):
    client = browser(world.supervisor)
    submit_url = reverse("admin:sla_evaluation_submit_evaluation", args=(opened.pk,))

    response = client.post(submit_url, {})

    assert response.status_code == 200
    assert "Score every criterion before submitting" in response.content.decode()
    opened.refresh_from_db()
    assert opened.status == EvaluationStatus.DRAFT


def test_sari_reads_it_in_the_portal_and_acknowledges_with_a_remark(world, submitted):
    client = browser(world.operator)
    listing = client.get(reverse("admin:sla_evaluation_changelist"))
    assert [e.pk for e in listing.context["cl"].result_list] == [submitted.pk]

    html = client.get(change_url(submitted)).content.decode()
    assert "Cepat dan rapi." in html
    acknowledge = reverse("admin:sla_evaluation_acknowledge_evaluation", args=(submitted.pk,))
    assert 'name="dispatch_speed"' not in html, "read-only for the operator"
    assert f'href="{acknowledge}"' in html
    assert client.get(acknowledge).status_code == 200
    response = client.post(acknowledge, {"remark": "Akan saya perbaiki."})

    assert response["Location"] == change_url(submitted)
    submitted.refresh_from_db()
    assert submitted.status == EvaluationStatus.ACKNOWLEDGED
    assert submitted.operator_remark == "Akan saya perbaiki."
    assert client.post(change_url(submitted), {"operator_remark": "x"}).status_code == 403


def test_another_operator_gets_404_for_saris_evaluation(world, budi, submitted):
    client = browser(budi)
    acknowledge = reverse("admin:sla_evaluation_acknowledge_evaluation", args=(submitted.pk,))

    assert client.get(reverse("admin:sla_evaluation_changelist")).context["cl"].result_count == 0
    assert client.get(change_url(submitted)).status_code == 404
    assert client.post(acknowledge, {"remark": "x"}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == EvaluationStatus.SUBMITTED


def test_the_supervisor_may_not_acknowledge_for_the_operator(world, submitted):
    client = browser(world.supervisor)
    acknowledge = reverse("admin:sla_evaluation_acknowledge_evaluation", args=(submitted.pk,))

    assert client.post(acknowledge, {"remark": "x"}).status_code == 403


def test_agency_staff_see_no_evaluations_in_the_portal(world, submitted):
    client = browser(world.police_head)

    assert client.get(reverse("admin:sla_evaluation_changelist")).status_code == 403
    assert client.get(change_url(submitted)).status_code == 404
    assert client.get(reverse("admin:sla_evaluation_add")).status_code == 403


def test_nobody_deletes_an_evaluation(world, submitted):
    delete = reverse("admin:sla_evaluation_delete", args=(submitted.pk,))
    for user in (world.supervisor, world.coordinator, world.operator):
        assert browser(user).post(delete, {"post": "yes"}).status_code == 403
    assert Evaluation.objects.filter(pk=submitted.pk).exists()
