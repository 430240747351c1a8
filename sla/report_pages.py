"""The evaluation meeting's pages in the portal: the period report, an operator's scorecard and
an agency's report, each for a chosen period, with charts, CSV/XLSX export and a print view.

Who sees what (a page outside one's scope answers 404, like a missing one):
- the period report: the centre's supervisors and coordinator (``may_evaluate``);
- a scorecard: supervisors any operator's; an operator only their own;
- an agency's report: supervisors any agency's; an agency's people only their own agency's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.access import (
    agency_of,
    answers_for_agency,
    centre_operators,
    has_centre_role,
    may_evaluate,
    supervises_centre,
)
from agencies.models import Agency, Role
from cc112.moments import local_moment
from incidents.admin.base import person
from sla.models import ClockKind
from sla.presentation import (
    clock_verdict,
    duration_text,
    figure_rows,
    service_level_rows,
    whose,
)
from sla.reports import (
    SHIFTS,
    breach_reason_rows,
    period_breach_rows,
    period_report,
    report_csv,
    report_xlsx,
    service_level_labels,
    shift_labels,
)
from sla.scorecards import Period, agency_report, operator_scorecard
from sla.services.breaches import EXPLAIN_WITHIN, answers_for, unexplained_breaches

LONGEST_PERIOD = timedelta(days=400)
# The days a report may cover: from well before any 112 centre kept cases here, to a year
# ahead. Beyond them a date is a mistake or a probe, and near the calendar's ends the period's
# bounds (the day after the last, the previous period before the first) overflow Python's
# dates: year 9999 and year 1 were a 500, with or without ``format=xlsx``.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_AHEAD = timedelta(days=366)
DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def _clean_day(self, name: str) -> date:
        day = self.cleaned_data[name]
        latest = timezone.localdate() + LATEST_AHEAD
        if not EARLIEST_DAY <= day <= latest:
            raise ValidationError(
                _("Choose a day from %(earliest)s to %(latest)s.")
                % {"earliest": EARLIEST_DAY.isoformat(), "latest": latest.isoformat()},
                code="out_of_range",
            )
        return day

    def clean_start(self) -> date:
        return self._clean_day("start")

    def clean_end(self) -> date:
        return self._clean_day("end")

    shift = forms.ChoiceField(label=gettext_lazy("Shift"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = shift_labels()
        self.fields["shift"].choices = [("", _("Whole days"))] + [
            (name, _("%(shift)s of the first day") % {"shift": labels[name]})
            for name, _start, _end in SHIFTS
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The end comes before the start."))
            if end - start > LONGEST_PERIOD:
                raise ValidationError(_("Choose a period of at most 400 days."))
        return data

    def period(self) -> Period:
        """Whole days from ``start`` to ``end``, or one shift of the ``start`` day."""
        hours = {name: (starts, ends) for name, starts, ends in SHIFTS}
        if self.cleaned_data.get("shift"):
            return Period.of_shift(self.cleaned_data["start"], *hours[self.cleaned_data["shift"]])
        return Period.of_days(self.cleaned_data["start"], self.cleaned_data["end"])


def _period_form(request: HttpRequest) -> PeriodForm:
    """The asked period, or the last 90 days up to today (in the centre's zone)."""
    if "start" in request.GET or "end" in request.GET:
        return PeriodForm(request.GET)
    today = timezone.localdate()
    return PeriodForm({"start": today - timedelta(days=89), "end": today})


def _export(request: HttpRequest, report: dict[str, Any], name: str) -> HttpResponse | None:
    kind = request.GET.get("format", "")
    if kind == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    elif kind == "xlsx":
        response = HttpResponse(
            report_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        return None
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


# This period in the portal's colour, the previous one (or the second series) in grey.
SERIES_COLOURS = ("var(--color-primary-600)", "var(--color-base-400)")


def _chart(labels: list[str], *series: tuple[str, list[Any]]) -> str:
    """The data of one of unfold's charts: one dataset per series, each named for the legend."""
    return json.dumps(
        {
            "labels": labels,
            "datasets": [
                {"label": label, "data": data, "backgroundColor": colour, "borderColor": colour}
                for (label, data), colour in zip(series, SERIES_COLOURS, strict=False)
            ],
        }
    )


def _chart_axes(x_title: str, y_title: str) -> str:
    """Options that name both axes (with their unit) and show the legend: unfold's defaults hide
    the legend and the y axis's numbers, which left a reader guessing what a bar counted."""
    legend_labels = {"usePointStyle": True, "pointStyle": "circle", "boxWidth": 8, "boxHeight": 8}

    def axis(title: str) -> dict[str, Any]:
        return {"title": {"display": True, "text": title}, "border": {"display": False}}

    return json.dumps(
        {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "plugins": {
                "legend": {
                    "display": True,
                    "position": "top",
                    "align": "end",
                    "labels": legend_labels,
                },
                "tooltip": {"enabled": True},
            },
            "scales": {
                "x": {**axis(x_title), "grid": {"display": False}},
                # Counts: whole numbers only, from zero.
                "y": {**axis(y_title), "beginAtZero": True, "ticks": {"precision": 0}},
            },
        }
    )


def _agency_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each agency's cases and its three service levels as durations (4 mnt 12 dtk, not 252)."""
    kinds = {kind: kind for kind in (ClockKind.ACKNOWLEDGE, ClockKind.ON_SCENE, ClockKind.RESOLVE)}
    return [
        {"name": row["name"], "cases": row["cases"], "levels": service_level_rows(row, kinds)}
        for row in report["agencies"]
    ]


def _page(request: HttpRequest, site: Any, name: str, title: str, **context: Any) -> HttpResponse:
    return TemplateResponse(
        request,
        f"admin/sla/reports/{name}.html",
        {**site.each_context(request), "title": title, **context},
    )


def period_report_page(request: HttpRequest, site: Any) -> HttpResponse:
    if not may_evaluate(request.user):
        raise Http404
    form = _period_form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        period = form.period()
        report = period_report(period)
        name = f"laporan-112-{form.cleaned_data['start']}-{form.cleaned_data['end']}"
        if form.cleaned_data.get("shift"):
            name += f"-{form.cleaned_data['shift']}"
        exported = _export(request, report, name)
        if exported:
            return exported
        context.update(
            report=report,
            query=request.GET.urlencode() or f"start={form.data['start']}&end={form.data['end']}",
            trend_chart=_chart(
                [f"{date.fromisoformat(row['day']):%d-%m-%Y}" for row in report["trend"]],
                (_("Cases"), [row["cases"] for row in report["trend"]]),
                (_("Calls"), [row["calls"] for row in report["trend"]]),
            ),
            trend_axes=_chart_axes(_("Day (WIT)"), _("Number per day (cases, calls)")),
            category_chart=_chart(
                [row["name_id"] or row["code"] for row in report["categories"]],
                (_("This period"), [row["cases"] for row in report["categories"]]),
                (_("Previous period"), [row["previous"] for row in report["categories"]]),
            ),
            category_axes=_chart_axes(_("Category"), _("Number of cases")),
            hour_chart=_chart(
                [f"{hour:02d}:00" for hour in range(24)], (_("Cases"), report["hours"])
            ),
            hour_axes=_chart_axes(_("Hour of day (WIT)"), _("Number of cases")),
            agency_rows=_agency_rows(report),
            service_levels=service_level_rows(report["service_levels"], service_level_labels()),
            breach_reasons=period_breach_rows(report),
        )
    return _page(request, site, "period", _("Period report"), **context)


def scorecard_page(request: HttpRequest, site: Any) -> HttpResponse:
    operators = centre_operators()
    if may_evaluate(request.user):
        chosen = request.GET.get("operator", "")
        if not chosen.isdigit():
            operator = None
        else:
            operator = operators.filter(pk=int(chosen)).first()
            if operator is None:
                raise Http404
    elif has_centre_role(request.user, Role.OPERATOR):
        if request.GET.get("operator", str(request.user.pk)) != str(request.user.pk):
            raise Http404  # another operator's card answers like a missing one
        operators, operator = operators.filter(pk=request.user.pk), request.user
    else:
        raise Http404
    form = _period_form(request)
    context: dict[str, Any] = {
        "form": form,
        "operator": operator,
        "picker": {
            "name": "operator",
            "label": _("Operator"),
            "options": [(str(user.pk), person(user)) for user in operators],
            "chosen": str(operator.pk) if operator else "",
        },
    }
    if operator is not None and form.is_valid():
        card = operator_scorecard(operator, form.period())
        context.update(card=card, figures=figure_rows(card))
    return _page(request, site, "scorecard", _("Operator scorecard"), **context)


def agency_report_page(request: HttpRequest, site: Any) -> HttpResponse:
    agencies = Agency.objects.filter(is_centre=False).order_by("name")
    if may_evaluate(request.user):
        code = request.GET.get("agency", "")
        agency = agencies.filter(code=code).first() if code else None
        if code and agency is None:
            raise Http404
    else:
        own = agency_of(request.user)
        if own is None or own.is_centre:
            raise Http404
        if request.GET.get("agency", own.code) != own.code:
            raise Http404
        agencies, agency = agencies.filter(pk=own.pk), own
    form = _period_form(request)
    context: dict[str, Any] = {
        "form": form,
        "agency": agency,
        "picker": {
            "name": "agency",
            "label": _("Agency"),
            "options": [(choice.code, choice.name) for choice in agencies],
            "chosen": agency.code if agency else "",
        },
    }
    if agency is not None and form.is_valid():
        report = agency_report(agency, form.period())
        labels = service_level_labels()
        context["report"] = report
        context["service_levels"] = service_level_rows(
            report, {kind: labels[kind] for kind in ("acknowledge", "on_scene", "resolve")}
        )
        context["breach_reasons"] = breach_reason_rows(
            [(agency.short_name, report["breach_reasons"])]
        )
    return _page(request, site, "agency", _("Agency report"), **context)


def breaches_page(request: HttpRequest, site: Any) -> HttpResponse:
    """The breaches still unexplained a day after they fell due: all for the centre's
    supervisors, an agency's own for its duty officer and head; each links to its form."""
    if not may_open_breaches(request):
        raise Http404
    now = timezone.now()
    clocks = unexplained_breaches(request.user, now).select_related(
        "incident", "agency", "operator"
    )[:BREACHES_SHOWN]
    rows = [
        {
            "clock": clock,
            "whose": whose(clock),
            "verdict": clock_verdict(clock, now),
            "due": local_moment(clock.due_at),
            "may_explain": answers_for(request.user, clock),
        }
        for clock in clocks
    ]
    return _page(
        request,
        site,
        "breaches",
        _("Breaches to explain"),
        rows=rows,
        shown=BREACHES_SHOWN,
        within=duration_text(EXPLAIN_WITHIN),
    )


BREACHES_SHOWN = 200


def may_open_breaches(request: HttpRequest) -> bool:
    """The centre's supervisors, and the agencies' duty officers and heads."""
    agency = agency_of(request.user)
    return supervises_centre(request.user) or bool(
        agency and not agency.is_centre and answers_for_agency(request.user, agency.pk)
    )


def breaches_badge(request: HttpRequest) -> str:
    """The sidebar's count of breaches waiting for their reason (up to the page's length)."""
    from cc112.sidebar import sidebar_counts

    return str(sidebar_counts(request).get("breaches", 0))


def may_open_reports(request: HttpRequest) -> bool:
    return may_evaluate(request.user)


def may_open_scorecards(request: HttpRequest) -> bool:
    return may_evaluate(request.user) or has_centre_role(request.user, Role.OPERATOR)


def may_open_agency_report(request: HttpRequest) -> bool:
    agency = agency_of(request.user)
    return may_evaluate(request.user) or bool(agency and not agency.is_centre)


def report_urls(site: Any) -> list:
    def page(view: Any) -> Any:
        return site.admin_view(lambda request: view(request, site))

    return [
        path("reports/period/", page(period_report_page), name="sla_period_report"),
        path("reports/scorecard/", page(scorecard_page), name="sla_scorecard"),
        path("reports/agency/", page(agency_report_page), name="sla_agency_report"),
        path("breaches/", page(breaches_page), name="sla_breaches"),
    ]


__all__ = ["report_urls"]
