"""The data protection officer's pages (UU 27/2022): who read callers' identities, with a CSV
export, and data-subject requests, everything held about one phone number exported and the
request itself logged.

Only the centre's data protection officer and administrators (``may_protect_data``) open
them; anybody else, an agency's people included, gets 404, as for the board.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.access import may_protect_data
from cc112.admin_errors import submit
from cc112.moments import local_moment
from incidents.models import PersonalDataAccess, SubjectRequest
from incidents.services.privacy import SubjectData, subject_request_answer

ACCESS_SHOWN = 200
ACCESS_EXPORT_MAX = 100_000
REQUESTS_SHOWN = 50
DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilter(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DAY)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DAY)
    user = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    case = forms.CharField(label=gettext_lazy("Case reference"), required=False, max_length=40)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end comes before the start."))
        return data

    def narrow(self, rows: Any) -> Any:
        data = self.cleaned_data
        if data.get("start"):
            rows = rows.filter(at__date__gte=data["start"])
        if data.get("end"):
            rows = rows.filter(at__date__lte=data["end"])
        if data.get("user"):
            rows = rows.filter(user__username__iexact=data["user"].strip())
        if data.get("case"):
            rows = rows.filter(incident__reference__iexact=data["case"].strip())
        return rows


class SubjectRequestForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        help_text=gettext_lazy("As the person gives it: 0812..., +62 812... or 62812..."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Request reference"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("The letter or e-mail the request came in (number, date)."),
    )
    export_format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=[("json", "JSON"), ("csv", "CSV")]
    )


def _require_officer(request: HttpRequest) -> None:
    if not may_protect_data(request.user):
        raise Http404


def _access_rows(request: HttpRequest, form: AccessLogFilter) -> Any:
    rows = PersonalDataAccess.objects.visible_to(request.user).select_related(
        "user", "agency", "incident"
    )
    return form.narrow(rows) if form.is_valid() else rows.none()


def _csv(name: str, header: list[str], rows: Any) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def access_log(request: HttpRequest, site: Any) -> HttpResponse:
    """Who read which caller's full name and number, when and where from; newest first."""
    _require_officer(request)
    form = AccessLogFilter(request.GET or {})
    rows = _access_rows(request, form)
    if request.GET.get("format") == "csv":
        return _csv(
            f"akses-data-pribadi-{timezone.localdate():%Y%m%d}",
            [_("When"), _("User"), _("Agency"), _("Where"), _("Case"), _("Caller")],
            (
                [
                    timezone.localtime(row.at).isoformat(),
                    row.user.get_username(),
                    row.agency.short_name if row.agency_id else "",
                    row.get_channel_display(),
                    row.incident.reference if row.incident_id else "",
                    f"#{row.identity_id}",
                ]
                for row in rows[:ACCESS_EXPORT_MAX].iterator(chunk_size=2000)
            ),
        )
    context = {
        **site.each_context(request),
        "title": _("Personal data access log"),
        "form": form,
        "rows": [{"access": row, "at": local_moment(row.at)} for row in rows[:ACCESS_SHOWN]],
        "shown": ACCESS_SHOWN,
        "export_query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "incidents/personal_data/access_log.html", context)


def subject_export(answered: SubjectRequest, data: SubjectData) -> HttpResponse:
    """The answer to a data-subject request as a file: JSON, or CSV with one row per record."""
    name = f"permintaan-subjek-data-{answered.pk}"
    if answered.export_format == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    rows: list[list[Any]] = []
    for identity in data["identities"]:
        rows.append(
            [_("Identity"), identity["recorded_at"], "", "", identity["name"], identity["phone"]]
        )
    for call in data["calls"]:
        rows.append(
            [
                _("Call"),
                call["answered_at"],
                call["case"] or "",
                call["outcome"],
                "",
                call["callback_number"],
            ]
        )
    for case in data["cases"]:
        rows.append(
            [
                _("Case"),
                case["received_at"],
                case["reference"],
                f"{case['status']}: {case['location']}, {case['kelurahan']}, {case['kecamatan']}"
                f" — {case['description']}",
                case["caller_name"],
                case["caller_phone"],
            ]
        )
    for access in data["accesses"]:
        rows.append(
            [
                _("Read by"),
                access["at"],
                access["case"] or "",
                f"{access['user']} ({access['agency']}), {access['where']}",
                "",
                "",
            ]
        )
    return _csv(
        name, [_("Record"), _("When"), _("Case"), _("Details"), _("Name"), _("Number")], rows
    )


def subject_requests(request: HttpRequest, site: Any) -> HttpResponse:
    """Answer a data-subject request: the file with everything held about the number; the
    page lists the requests answered before (numbers masked)."""
    _require_officer(request)
    form = SubjectRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answered = submit(
            request,
            lambda: subject_request_answer(
                officer=request.user,
                number=data["number"],
                reason=data["reason"],
                export_format=data["export_format"],
            ),
            form=form,
        )
        if answered is not None:
            return subject_export(*answered)
    context = {
        **site.each_context(request),
        "title": _("Data-subject requests"),
        "form": form,
        "requests": [
            {"request": row, "at": local_moment(row.at)}
            for row in SubjectRequest.objects.visible_to(request.user).select_related("officer")[
                :REQUESTS_SHOWN
            ]
        ],
    }
    return TemplateResponse(request, "incidents/personal_data/subject_requests.html", context)


def personal_data_urls(site: Any) -> list:
    def page(view: Any) -> Any:
        return site.admin_view(lambda request: view(request, site))

    return [
        path("personal-data/log/", page(access_log), name="incidents_personal_data_log"),
        path(
            "personal-data/requests/",
            page(subject_requests),
            name="incidents_subject_requests",
        ),
    ]


def may_open_personal_data(request: HttpRequest) -> bool:
    return may_protect_data(request.user)
