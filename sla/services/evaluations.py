"""A supervisor's evaluation of an operator: opened with the period's figures frozen in it,
scored on the rubric, submitted, and acknowledged by the operator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import has_centre_role, may_evaluate
from agencies.models import Role
from cc112.errors import ActionForbidden, DomainError, TransitionRefused
from cc112.history import attribute
from cc112.moments import local_moment, utc_text
from sla.models import RUBRIC, Evaluation, EvaluationStatus, rubric_errors
from sla.scorecards import Period, operator_scorecard

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

E = EvaluationStatus

EVALUATION_TRANSITIONS: dict[str, frozenset[str]] = {
    E.DRAFT: frozenset({E.SUBMITTED}),
    E.SUBMITTED: frozenset({E.ACKNOWLEDGED}),
    E.ACKNOWLEDGED: frozenset(),
}


def check_evaluation_transition(current: str, target: str) -> None:
    if target in EVALUATION_TRANSITIONS[current]:
        return
    names = {"current": E(current).label, "target": E(target).label}
    raise TransitionRefused(
        "evaluation",
        current,
        target,
        _("An evaluation that is “%(current)s” cannot become “%(target)s”.") % names,
    )


def frozen_scorecard(operator: AbstractBaseUser, period: Period) -> dict[str, Any]:
    """The operator's scorecard as JSON: its moments as UTC text, its figures as they are."""
    card = operator_scorecard(operator, period)
    return {
        **card,
        "period": {"start": utc_text(period.start), "end": utc_text(period.end)},
    }


def _require_evaluator(actor: AbstractBaseUser, action: str) -> None:
    if not may_evaluate(actor):
        raise ActionForbidden(
            _("Only the 112 centre's supervisors and coordinator may %(action)s.")
            % {"action": action}
        )


def _lock(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().get(pk=evaluation.pk)


def _save(evaluation: Evaluation, *, actor: AbstractBaseUser, reason: str) -> None:
    attribute(evaluation, actor=actor, reason=reason)
    evaluation.full_clean()
    evaluation.save()


@transaction.atomic
def evaluation_open(
    *, operator: AbstractBaseUser, period: Period, actor: AbstractBaseUser
) -> Evaluation:
    """Open a draft evaluation of ``operator`` for ``period``.

    1. Only a supervisor or the coordinator opens one, of a centre operator, for a period that
       is over (figures of a period still running would be frozen half-counted).
    2. One evaluation per operator and period.
    3. The scorecard is counted now and frozen into the evaluation.
    """
    _require_evaluator(actor, _("evaluate operators"))
    if not has_centre_role(operator, Role.OPERATOR):
        raise ValidationError({"operator": _("Only the 112 centre's operators are evaluated.")})
    now = timezone.now()
    if period.end > now:
        raise ValidationError(
            {
                "period_end": _(
                    "The period is not over yet (it ends %(end)s): its figures would be frozen "
                    "before they are complete."
                )
                % {"end": local_moment(period.end)}
            }
        )
    existing = (
        Evaluation.objects.filter(
            operator_id=operator.pk, period_start=period.start, period_end=period.end
        )
        .select_related("opened_by")
        .first()
    )
    if existing is not None:
        raise DomainError(
            _("There is already an evaluation of %(evaluation)s.") % {"evaluation": existing}
        )
    evaluation = Evaluation(
        operator=operator,
        period_start=period.start,
        period_end=period.end,
        metrics=frozen_scorecard(operator, period),
        opened_by=actor,
        opened_at=now,
    )
    attribute(evaluation, actor=actor, reason="opened")
    evaluation.full_clean()
    try:
        # Two supervisors opening the same evaluation at once: the unique constraint decides.
        with transaction.atomic():
            evaluation.save()
    except IntegrityError as error:
        raise DomainError(
            _("There is already an evaluation of %(evaluation)s.") % {"evaluation": evaluation}
        ) from error
    return evaluation


def _clean_scores(scores: Mapping[str, Any]) -> dict[str, int]:
    errors = rubric_errors(dict(scores))
    if errors:
        raise ValidationError(errors)
    return {code: int(scores[code]) for code, _label in RUBRIC}


@transaction.atomic
def evaluation_score(
    *, evaluation: Evaluation, actor: AbstractBaseUser, scores: Mapping[str, Any], comment: str
) -> Evaluation:
    """Score every criterion of the rubric (1 to 5) and comment, while the evaluation is a
    draft; scoring again replaces the scores."""
    _require_evaluator(actor, _("score evaluations"))
    cleaned = _clean_scores(scores)
    evaluation = _lock(evaluation)
    if evaluation.status != E.DRAFT:
        raise DomainError(
            _("The evaluation is “%(status)s”: only a draft is scored.")
            % {"status": evaluation.get_status_display()}
        )
    evaluation.scores = cleaned
    evaluation.comment = comment.strip()
    _save(evaluation, actor=actor, reason="scored")
    return evaluation


@transaction.atomic
def evaluation_submit(*, evaluation: Evaluation, actor: AbstractBaseUser) -> Evaluation:
    """Submit a scored draft: the operator may then read and acknowledge it."""
    _require_evaluator(actor, _("submit evaluations"))
    evaluation = _lock(evaluation)
    check_evaluation_transition(evaluation.status, E.SUBMITTED)
    missing = [str(label) for code, label in RUBRIC if code not in (evaluation.scores or {})]
    if missing:
        raise ValidationError(
            {
                "scores": _("Score every criterion before submitting; not scored: %(names)s.")
                % {"names": ", ".join(missing)}
            }
        )
    evaluation.status = E.SUBMITTED
    evaluation.submitted_at = timezone.now()
    _save(evaluation, actor=actor, reason="submitted")
    return evaluation


@transaction.atomic
def evaluation_acknowledge(
    *, evaluation: Evaluation, actor: AbstractBaseUser, remark: str = ""
) -> Evaluation:
    """The evaluated operator acknowledges a submitted evaluation, with a remark if they wish."""
    if not actor.is_active or actor.pk != evaluation.operator_id:
        raise ActionForbidden(_("Only the evaluated operator acknowledges an evaluation."))
    evaluation = _lock(evaluation)
    check_evaluation_transition(evaluation.status, E.ACKNOWLEDGED)
    evaluation.status = E.ACKNOWLEDGED
    evaluation.acknowledged_at = timezone.now()
    evaluation.operator_remark = remark.strip()
    _save(evaluation, actor=actor, reason="acknowledged")
    return evaluation
