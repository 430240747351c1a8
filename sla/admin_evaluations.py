"""Evaluations of operators in the portal: a supervisor opens one for a period (the figures are
frozen into it), scores the rubric and submits it; the operator reads and acknowledges it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import (
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
)

from agencies.access import centre_operators, has_centre_role, may_evaluate
from agencies.models import Role
from cc112.admin_errors import ConfirmForm, ServiceAdminMixin, ServiceModelForm, action_page
from cc112.moments import local_moment
from incidents.admin.base import ScopedAdmin, badge, person, stamp
from sla.models import RUBRIC, SCORE_MAX, SCORE_MIN, Evaluation, EvaluationStatus
from sla.presentation import figure_rows
from sla.scorecards import Period
from sla.services import (
    evaluation_acknowledge,
    evaluation_open,
    evaluation_score,
    evaluation_submit,
)

if TYPE_CHECKING:
    from django.db.models import Model

E = EvaluationStatus
_VERSION_ATTR = "_cc112_evaluation_version"

EVALUATION_STATUS_COLOURS = {E.DRAFT: "warning", E.SUBMITTED: "info", E.ACKNOWLEDGED: "success"}


def evaluates(request: HttpRequest) -> bool:
    """Scores and submits evaluations: supervisors and the coordinator (the service checks too)."""
    return request.user.has_perm("sla.change_evaluation") and may_evaluate(request.user)


# --- The frozen figures, as a table ---------------------------------------------------------------


# --- Forms ---------------------------------------------------------------------------------------


class EvaluationOpenForm(ServiceModelForm):
    """Operator and period as calendar days in the centre's zone, the last day included."""

    period_start = forms.DateField(label=_("First day"), widget=UnfoldAdminSingleDateWidget)
    period_end = forms.DateField(
        label=_("Last day"),
        help_text=_("Included: a quarter runs from 01-10 to 31-12."),
        widget=UnfoldAdminSingleDateWidget,
    )

    class Meta:
        model = Evaluation
        fields = ("operator",)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("period_start"), cleaned.get("period_end")
        if first and last and last < first:
            self.add_error("period_end", _("The last day cannot be before the first."))
        return cleaned

    def call_service(self) -> Evaluation:
        data = self.cleaned_data
        period = Period.of_days(data["period_start"], data["period_end"])
        return evaluation_open(operator=data["operator"], period=period, actor=self.actor)


SCORE_CHOICES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]


def _score_field(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=UnfoldAdminRadioSelectWidget(radio_style=admin.HORIZONTAL),
        help_text=_("1 poor · 3 as expected · 5 excellent"),
    )


class _ScoreFormBase(ServiceModelForm):
    class Meta:
        model = Evaluation
        fields = ("comment",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, _label in RUBRIC:
            self.initial.setdefault(code, (self.instance.scores or {}).get(code))

    def call_service(self) -> Evaluation:
        data = self.cleaned_data
        return evaluation_score(
            evaluation=self.instance,
            actor=self.actor,
            scores={code: data[code] for code, _label in RUBRIC},
            comment=data.get("comment", ""),
        )


# One radio field per criterion, declared (the admin builds its form from the field names).
EvaluationScoreForm = type(
    "EvaluationScoreForm",
    (_ScoreFormBase,),
    {code: _score_field(label) for code, label in RUBRIC},
)


class AcknowledgeForm(forms.Form):
    remark = forms.CharField(
        label=_("Your remark"),
        required=False,
        help_text=_("Optional: what you would like your supervisor to know."),
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}),
    )


# --- The admin -----------------------------------------------------------------------------------


class OperatorFilter(admin.SimpleListFilter):
    """The operators of the evaluations the user sees (an operator: only themselves), applied
    whatever it offers, so a filter on another operator shows nothing rather than everything."""

    title = _("operator")
    parameter_name = "operator"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        evaluated = model_admin.get_queryset(request).values("operator_id")
        users = get_user_model().objects.filter(pk__in=evaluated)
        return [(user.pk, person(user)) for user in users.order_by("first_name", "username")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(operator_id=self.value())
        return queryset


_DETAILS = (
    ("operator_name", "period"),
    ("status_badge", "opened"),
    ("submitted", "acknowledged"),
)
_READ_ONLY = (
    "operator_name",
    "period",
    "status_badge",
    "opened",
    "submitted",
    "acknowledged",
    "rubric_scores",
    "comment",
    "operator_remark",
)


@admin.register(Evaluation)
class EvaluationAdmin(ServiceAdminMixin, ScopedAdmin):
    """Rows from ``Evaluation.objects.visible_to``; every write is a service call.

    Supervisors and the coordinator open evaluations and, while a draft, score the rubric on
    the change page, then submit; the evaluated operator acknowledges from the same page.
    """

    form = EvaluationScoreForm
    add_form = EvaluationOpenForm
    list_display = ("operator_name", "period", "status_label", "opened_by_name", "opened_on")
    list_display_links = ("operator_name",)
    list_select_related = ("operator", "opened_by")
    list_filter = ("status", OperatorFilter)
    search_fields = ("operator__username", "operator__first_name", "operator__last_name")
    readonly_fields = _READ_ONLY
    actions_detail = ["submit_evaluation", "acknowledge_evaluation"]
    change_form_outer_before_template = "admin/sla/evaluation/figures.html"
    history_list_display = ["status"]

    # --- Who may do what -----------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sla.add_evaluation") and may_evaluate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Only the rubric of a draft is changed here, by those who evaluate."""
        allowed = evaluates(request)
        if obj is None:
            return allowed
        return allowed and obj.status == E.DRAFT  # type: ignore[attr-defined]

    def has_evaluate_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if object_id is not None:
            self.scoped_object(request, object_id)
        return evaluates(request)

    def has_acknowledge_evaluation_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        if object_id is None:
            return has_centre_role(request.user, Role.OPERATOR)
        return self.scoped_object(request, object_id).operator_id == request.user.pk

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        status = self.scoped_object(request, object_id).status
        offered = {E.DRAFT: "submit_evaluation", E.SUBMITTED: "acknowledge_evaluation"}
        return [
            item
            for item in super().get_actions_detail(request, object_id)
            if item.method.__name__ == offered.get(status)
        ]

    # --- Forms and pages -----------------------------------------------------------------------

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: Evaluation | None = None, change: bool = False, **kwargs
    ):
        kwargs["form"] = self.add_form if obj is None else self.form
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name != "operator":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = centre_operators()
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.label_from_instance = lambda user: f"{person(user)} ({user.get_username()})"
        return field

    def _scores_here(self, request: HttpRequest, obj: Evaluation) -> bool:
        """The rubric is a form on a draft's own page for those who evaluate; never on a past
        version's page (looked at, never saved from)."""
        return self.has_change_permission(request, obj) and not getattr(
            request, _VERSION_ATTR, False
        )

    def get_fieldsets(self, request: HttpRequest, obj: Evaluation | None = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("operator", ("period_start", "period_end"))}),)
        if self._scores_here(request, obj):
            rubric: tuple = (*(code for code, _label in RUBRIC), "comment")
        else:
            rubric = ("rubric_scores", "comment")
        return (
            (None, {"fields": _DETAILS}),
            (_("Rubric"), {"fields": rubric}),
            (_("The operator's answer"), {"fields": ("operator_remark",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Evaluation | None = None) -> Any:
        if obj is None:
            return ()
        readonly = super().get_readonly_fields(request, obj)
        if self._scores_here(request, obj):
            return [name for name in readonly if name != "comment"]
        return readonly

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "title": _("Open an evaluation"),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().add_view(request, form_url, context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        evaluation = self.scoped_object(request, object_id)
        context = {
            **(extra_context or {}),
            "evaluation_figures": figure_rows(evaluation.metrics or {}),
            "evaluation_operators": (evaluation.metrics or {}).get("centre", {}).get("operators"),
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        setattr(request, _VERSION_ATTR, True)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def response_post_save_add(self, request: HttpRequest, obj: Evaluation) -> HttpResponse:
        """Straight to the new evaluation, where it is scored."""
        return HttpResponseRedirect(self._evaluation_url(obj))

    def response_post_save_change(self, request: HttpRequest, obj: Evaluation) -> HttpResponse:
        """Back to the evaluation, where it is submitted once scored."""
        return HttpResponseRedirect(self._evaluation_url(obj))

    @staticmethod
    def _evaluation_url(obj: Evaluation) -> str:
        return reverse("admin:sla_evaluation_change", args=(obj.pk,))

    # --- Columns and read-only fields ----------------------------------------------------------

    @display(description=_("operator"), ordering="operator__username")
    def operator_name(self, obj: Evaluation) -> str:
        return person(obj.operator)

    @display(description=_("period"), ordering="period_start")
    def period(self, obj: Evaluation) -> str:
        return obj.period_label

    @display(description=_("status"), ordering="status", label=EVALUATION_STATUS_COLOURS)
    def status_label(self, obj: Evaluation) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("status"))
    def status_badge(self, obj: Evaluation) -> str:
        return badge(obj.status, obj.get_status_display(), EVALUATION_STATUS_COLOURS)

    @display(description=_("opened by"), ordering="opened_by__username")
    def opened_by_name(self, obj: Evaluation) -> str:
        return person(obj.opened_by)

    @display(description=_("opened at"), ordering="opened_at")
    def opened_on(self, obj: Evaluation) -> str:
        return local_moment(obj.opened_at)

    @display(description=_("opened"))
    def opened(self, obj: Evaluation) -> str:
        return stamp(obj.opened_at, obj.opened_by)

    @display(description=_("submitted"))
    def submitted(self, obj: Evaluation) -> str:
        return stamp(obj.submitted_at, None)

    @display(description=_("acknowledged"))
    def acknowledged(self, obj: Evaluation) -> str:
        return stamp(obj.acknowledged_at, None)

    @display(description=_("scores"))
    def rubric_scores(self, obj: Evaluation) -> str:
        scores = obj.scores or {}
        if not scores:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: <strong>{}</strong> / {}</li>",
                ((label, scores.get(code, "-"), SCORE_MAX) for code, label in RUBRIC),
            ),
        )

    # --- Submit and acknowledge ----------------------------------------------------------------

    @action(
        description=_("Submit to the operator"),
        url_path="submit",
        permissions=["evaluate"],
        icon="send",
    )
    def submit_evaluation(self, request: HttpRequest, object_id: str) -> HttpResponse:
        evaluation = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            evaluation,
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: evaluation_submit(evaluation=evaluation, actor=request.user),
            title=_("Submit the evaluation"),
            submit_label=_("Submit"),
            success_message=_("The evaluation was submitted: the operator can now read it."),
            back_url=self._evaluation_url(evaluation),
            intro=_("Once submitted, the scores and the comment can no longer be changed."),
        )

    @action(
        description=pgettext_lazy("evaluation", "Acknowledge"),
        url_path="acknowledge",
        permissions=["acknowledge_evaluation"],
        icon="task_alt",
        variant=ActionVariant.PRIMARY,
    )
    def acknowledge_evaluation(self, request: HttpRequest, object_id: str) -> HttpResponse:
        evaluation = self.scoped_object(request, object_id)
        return action_page(
            request,
            self,
            evaluation,
            form=AcknowledgeForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: evaluation_acknowledge(
                evaluation=evaluation, actor=request.user, remark=cleaned["remark"]
            ),
            title=_("Acknowledge the evaluation"),
            submit_label=pgettext_lazy("evaluation", "Acknowledge"),
            success_message=_("You acknowledged the evaluation."),
            back_url=self._evaluation_url(evaluation),
            intro=_("Acknowledging says you have read it, not that you agree with every score."),
        )
