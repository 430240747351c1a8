"""The call screen: a call answered, recorded and dispatched at the speed of the call.

Opening the screen is answering the call: T0 is that moment, on the server, carried in a signed
token the browser cannot alter. From it the operator records what the call was (one key for a
prank, a silent call...), joins it to an open case about the same emergency, or opens the case
and dispatches it in one submit. The 112 centre only: anybody else gets 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from agencies.access import acts_for_centre, has_centre_role
from agencies.models import Agency, Role
from cc112.admin_errors import submit
from cc112.moments import local_moment, utc_text
from incidents.models import (
    OPEN_INCIDENT_STATUSES,
    AccessChannel,
    Area,
    Call,
    CallerIdentity,
    CallOutcome,
    Category,
    Incident,
    Priority,
)
from incidents.phones import key_range, typed_prefix
from incidents.services import call_attach, call_record, incident_create_and_dispatch
from incidents.services.privacy import personal_data_seen
from sla.presentation import duration_text

# A screen left open this long is no longer the call it answered.
TOKEN_MAX_AGE = timedelta(hours=12)
TOKEN_SALT = "cc112.call-screen"
# The caller's history shows once this many digits are typed (the country code counts).
HISTORY_MIN_DIGITS = 7
HISTORY_CALLS = 8
# Duplicate hints: open cases of the category, in the same place, from the last hour.
DUPLICATE_WINDOW = timedelta(minutes=60)
DUPLICATE_RADIUS_M = 500

# The calls that are not cases, each with its key on the screen (Alt + the letter).
OUTCOME_KEYS = (
    (CallOutcome.PRANK, "i"),
    (CallOutcome.GHOST, "h"),
    (CallOutcome.DROPPED, "t"),
    (CallOutcome.MISDIAL, "s"),
    (CallOutcome.INFORMATION, "n"),
)


def may_answer_calls(user: Any) -> bool:
    """The centre's operators (and supervisors covering a seat); administrators set up, they do
    not take calls."""
    return acts_for_centre(user) and has_centre_role(
        user, Role.OPERATOR, Role.SUPERVISOR, Role.COORDINATOR
    )


def _require_operator(request: HttpRequest) -> None:
    if not may_answer_calls(request.user):
        raise Http404


# --- T0, carried by the screen -------------------------------------------------------------------


def answered_token(user: Any, at: datetime) -> str:
    return signing.dumps({"operator": user.pk, "t0": utc_text(at)}, salt=TOKEN_SALT)


def answered_at(user: Any, token: str) -> datetime | None:
    """T0 from the screen's token, if it is this operator's, unaltered and recent."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE.total_seconds())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("operator") != user.pk:
        return None
    moment = parse_datetime(str(data.get("t0", "")).replace("Z", "+00:00"))
    return moment if moment and timezone.is_aware(moment) else None


# --- The form ------------------------------------------------------------------------------------


def _text(**attrs: Any) -> UnfoldAdminTextInputWidget:
    return UnfoldAdminTextInputWidget(attrs={"autocomplete": "off", **attrs})


class CallScreenForm(forms.Form):
    """What the operator types during the call, in the order the screen asks for it."""

    caller_phone = forms.CharField(
        label=gettext_lazy("Caller's number"),
        max_length=24,
        required=False,
        widget=_text(autofocus=True, inputmode="tel"),
    )
    kelurahan = forms.CharField(
        label=gettext_lazy("Kelurahan / desa"),
        max_length=80,
        required=False,
        widget=_text(placeholder=gettext_lazy("Type to search")),
    )
    kecamatan = forms.CharField(
        label=gettext_lazy("Kecamatan"), max_length=80, required=False, widget=_text()
    )
    # The kelurahan chosen from the gazetteer (its names then win over what was typed).
    area = forms.ModelChoiceField(
        queryset=Area.objects.none(), required=False, widget=forms.HiddenInput
    )
    location_text = forms.CharField(
        label=gettext_lazy("Landmark / address"),
        max_length=255,
        help_text=gettext_lazy("Street, house, landmark: what the caller says."),
        widget=_text(),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.none(),
        widget=UnfoldAdminSelectWidget,
    )
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"),
        choices=[("", gettext_lazy("The category's default")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=10_000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )
    agencies = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Dispatch to"),
        queryset=Agency.objects.none(),
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        error_messages={"required": gettext_lazy("Choose at least one agency.")},
    )
    instructions = forms.CharField(
        label=gettext_lazy("Instructions to the agencies"),
        max_length=10_000,
        required=False,
        widget=_text(),
    )
    caller_name = forms.CharField(
        label=gettext_lazy("Caller's name"), max_length=120, required=False, widget=_text()
    )
    latitude = forms.DecimalField(
        label=gettext_lazy("Latitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        widget=UnfoldAdminDecimalFieldWidget(attrs={"step": "any"}),
    )
    longitude = forms.DecimalField(
        label=gettext_lazy("Longitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        widget=UnfoldAdminDecimalFieldWidget(attrs={"step": "any"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.active()
        self.fields["area"].queryset = Area.objects.kelurahan().active()
        self.fields["agencies"].queryset = Agency.objects.partners().order_by("short_name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both coordinates, or neither."))
        return data


# --- Reads ---------------------------------------------------------------------------------------


def caller_history(user: Any, number: str) -> dict[str, Any] | None:
    """What the centre knows of the number typed so far: its past calls and cases, how many
    were pranks or silent, and any open case from it; while the number is incomplete, the
    numbers it may be. None before enough digits are typed."""
    prefix = typed_prefix(number)
    bounds = key_range(prefix) if len(prefix) >= HISTORY_MIN_DIGITS else None
    if bounds is None:
        return None
    calls = Call.objects.visible_to(user)
    mine = calls.filter(caller__key=prefix)
    recent = list(
        # Newest first; calls answered the same second, in the order they were recorded.
        mine.select_related("incident__category", "attached_to__category").order_by(
            "-answered_at", "-pk"
        )[:HISTORY_CALLS]
    )
    if not recent:
        # Numbers of other callers are shown whole: the view logs whose (``identities``).
        found: dict[str, int] = {}
        for key, identity_id in (
            calls.filter(caller__key__gte=bounds[0], caller__key__lt=bounds[1])
            .order_by("caller__key")
            .values_list("caller__key", "caller_id")
            .distinct()[:20]
        ):
            if len(found) < 5:
                found.setdefault(key, identity_id)
        return {
            "key": prefix,
            "complete": False,
            "candidates": list(found),
            "identities": list(found.values()),
        }
    week_ago = timezone.now() - timedelta(days=7)
    by_outcome = {
        outcome: (n, week)
        for outcome, n, week in mine.order_by()
        .values_list("outcome")
        .annotate(n=Count("outcome"), week=Count("outcome", filter=Q(answered_at__gte=week_ago)))
    }
    # A subquery, not a list of ids: one round trip fewer. A call opened a case (incident) or
    # joined one (attached_to), never both.
    case_ids = (
        mine.filter(outcome__in=[CallOutcome.INCIDENT, CallOutcome.ATTACHED])
        .order_by()
        .values(case=Coalesce("incident__id", "attached_to_id"))
    )
    open_cases = list(
        Incident.objects.visible_to(user)
        .filter(pk__in=case_ids, status__in=OPEN_INCIDENT_STATUSES)
        .select_related("category")
        .order_by("-received_at")[:3]
    )
    count = {outcome: n for outcome, (n, _week) in by_outcome.items()}
    return {
        "key": prefix,
        "complete": True,
        "calls": [
            {
                "call": call,
                "when": local_moment(call.answered_at),
                "case": call.attached_to if call.attached_to_id else _case_of(call),
            }
            for call in recent
        ],
        "total": sum(count.values()),
        "this_week": sum(week for _n, week in by_outcome.values()),
        "pranks": count.get(CallOutcome.PRANK, 0) + count.get(CallOutcome.GHOST, 0),
        "by_outcome": [(CallOutcome(outcome).label, n) for outcome, n in sorted(count.items())],
        "open_cases": open_cases,
        "identities": sorted({call.caller_id for call in recent if call.caller_id}),
    }


def _case_of(call: Call) -> Incident | None:
    try:
        return call.incident
    except Incident.DoesNotExist:
        return None


def duplicate_hints(
    user: Any,
    *,
    category: Category | None,
    area: Area | None = None,
    kelurahan: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    now: datetime | None = None,
) -> list[Incident]:
    """Open cases of ``category`` from the last hour in the same kelurahan (the area, or its
    name as typed), or within 500 m when both have coordinates; nearest first when coordinates
    are known, else newest first."""
    if area is not None:
        kelurahan = area.name
    if category is None or not (kelurahan.strip() or latitude is not None):
        return []
    now = now or timezone.now()
    recent = (
        Incident.objects.visible_to(user)
        .filter(
            category=category,
            status__in=OPEN_INCIDENT_STATUSES,
            received_at__gte=now - DUPLICATE_WINDOW,
        )
        .select_related("category")
    )
    place = Q()
    if area is not None:
        place |= Q(area=area)
    if kelurahan.strip():
        place |= Q(kelurahan__iexact=kelurahan.strip())
    if latitude is not None and longitude is not None:
        # A box of the radius around the point; the exact distance is checked below.
        lat_span = Decimal(DUPLICATE_RADIUS_M / 111_320)
        lon_span = lat_span / Decimal(max(0.2, abs(_cos_deg(float(latitude)))))
        place |= Q(
            latitude__range=(latitude - lat_span, latitude + lat_span),
            longitude__range=(longitude - lon_span, longitude + lon_span),
        )
    found = []
    for incident in recent.filter(place).order_by("-received_at")[:20]:
        distance = None
        if latitude is not None and incident.latitude is not None:
            distance = _metres(latitude, longitude, incident.latitude, incident.longitude)
        same_place = (area is not None and incident.area_id == area.pk) or (
            kelurahan.strip() and incident.kelurahan.lower() == kelurahan.strip().lower()
        )
        if same_place or (distance is not None and distance <= DUPLICATE_RADIUS_M):
            incident.distance_m = distance
            found.append(incident)
    found.sort(key=lambda i: (i.distance_m is None, i.distance_m or 0))
    return found[:5]


def _cos_deg(degrees: float) -> float:
    from math import cos, radians

    return cos(radians(degrees))


def _metres(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> float:
    """Great-circle distance (haversine), metres."""
    from math import asin, cos, radians, sin, sqrt

    p1, p2 = radians(float(lat1)), radians(float(lat2))
    dp, dl = p2 - p1, radians(float(lon2) - float(lon1))
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(a))


# --- Views ---------------------------------------------------------------------------------------


def answer(request: HttpRequest, site: Any) -> HttpResponse:
    """GET: the call is answered now. POST: what it was (a call that is no case, a repeat call
    on an open case, or a case dispatched at once)."""
    _require_operator(request)
    if request.method != "POST":
        token = answered_token(request.user, timezone.now())
        return _screen(request, site, CallScreenForm(), token)
    token = request.POST.get("token", "")
    t0 = answered_at(request.user, token)
    if t0 is None:
        messages.error(request, _("This call screen expired or was altered; answer again."))
        return HttpResponseRedirect(reverse("admin:incidents_answer"))
    phone = request.POST.get("caller_phone", "").strip()[:24]
    outcome = request.POST.get("outcome", "")
    if outcome:
        return _record_call(request, outcome, t0, phone)
    if request.POST.get("attach"):
        return _attach(request, site, t0, phone, token)
    form = CallScreenForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        created = submit(
            request,
            lambda: incident_create_and_dispatch(
                actor=request.user,
                agencies=data["agencies"],
                instructions=data["instructions"],
                category=data["category"],
                priority=data["priority"],
                location_text=data["location_text"],
                description=data["description"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                area=data["area"],
                kecamatan=data["kecamatan"],
                kelurahan=data["kelurahan"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                received_at=t0,
                call_ended_at=timezone.now(),
            ),
            form=form,
        )
        if created is not None:
            incident, dispatches = created
            messages.success(
                request,
                format_html(
                    '{} <a class="underline" href="{}">{}</a>',
                    _("Case opened and sent to %(agencies)s:")
                    % {"agencies": ", ".join(d.agency.short_name for d in dispatches)},
                    reverse("admin:incidents_incident_change", args=(incident.pk,)),
                    incident.reference,
                ),
            )
            return HttpResponseRedirect(reverse("admin:index"))
    return _screen(request, site, form, token, status=400)


def _record_call(request: HttpRequest, outcome: str, t0: datetime, phone: str) -> HttpResponse:
    if outcome not in {value for value, _key in OUTCOME_KEYS}:
        raise Http404
    call = submit(
        request,
        lambda: call_record(
            operator=request.user,
            outcome=outcome,
            answered_at=t0,
            ended_at=timezone.now(),
            callback_number=phone,
        ),
    )
    if call is not None:
        messages.success(
            request,
            _("Recorded: %(outcome)s, answered %(at)s.")
            % {"outcome": call.get_outcome_display(), "at": local_moment(call.answered_at)},
        )
    return HttpResponseRedirect(reverse("admin:index"))


def _attach(request: HttpRequest, site: Any, t0: datetime, phone: str, token: str) -> HttpResponse:
    try:
        incident = Incident.objects.visible_to(request.user).get(pk=request.POST["attach"])
    except (Incident.DoesNotExist, ValueError):
        raise Http404 from None
    call = submit(
        request,
        lambda: call_attach(
            incident=incident,
            operator=request.user,
            answered_at=t0,
            ended_at=timezone.now(),
            callback_number=phone,
        ),
    )
    if call is None:
        return _screen(request, site, CallScreenForm(request.POST), token, status=409)
    messages.success(
        request,
        format_html(
            '{} <a class="underline" href="{}">{}</a>',
            _("The call joined the open case"),
            reverse("admin:incidents_incident_change", args=(incident.pk,)),
            incident.reference,
        ),
    )
    return HttpResponseRedirect(reverse("admin:index"))


def _screen(
    request: HttpRequest, site: Any, form: CallScreenForm, token: str, status: int = 200
) -> HttpResponse:
    t0 = answered_at(request.user, token)
    categories = Category.objects.active().prefetch_related("suggested_agencies")
    context = {
        **site.each_context(request),
        "title": _("Answer a call"),
        "form": form,
        "token": token,
        "answered_at": local_moment(t0) if t0 else "",
        "answered_iso": utc_text(t0) if t0 else "",
        "outcomes": [(value, CallOutcome(value).label, key) for value, key in OUTCOME_KEYS],
        "category_defaults": {
            str(c.pk): {
                "priority": c.default_priority,
                "agencies": [a.pk for a in c.suggested_agencies.all()],
            }
            for c in categories
        },
        "map_tiles": settings.CC112_MAP_TILE_URL,
        "map_attribution": settings.CC112_MAP_ATTRIBUTION,
        "map_centre": settings.CC112_MAP_CENTRE,
        "lookup_caller": reverse("admin:incidents_answer_caller"),
        "lookup_duplicates": reverse("admin:incidents_answer_duplicates"),
        "lookup_areas": reverse("admin:incidents_answer_areas"),
    }
    return TemplateResponse(request, "incidents/console/screen.html", context, status=status)


def caller(request: HttpRequest, site: Any) -> HttpResponse:
    """The caller's history, as the number is typed (a fragment of the screen)."""
    _require_operator(request)
    history = caller_history(request.user, request.GET.get("caller_phone", "")[:40])
    if history and history["identities"]:
        # The operator sees this number's (or these numbers') past calls: logged as a reading.
        personal_data_seen(
            user=request.user,
            channel=AccessChannel.CALL_SCREEN,
            identities=CallerIdentity.objects.filter(pk__in=history["identities"]),
        )
    return TemplateResponse(request, "incidents/console/caller.html", {"history": history})


def duplicates(request: HttpRequest, site: Any) -> HttpResponse:
    """Open cases that may be this same emergency (a fragment of the screen)."""
    _require_operator(request)
    form = DuplicateQuery(request.GET)
    hints = duplicate_hints(request.user, **form.query()) if form.is_valid() else []
    now = timezone.now()
    for case in hints:
        # The portal's one time format: how long ago, as the board's durations read, and the
        # moment in WIT beside it (timesince wrote "4 minutes" in English words of its own).
        case.received_moment = local_moment(case.received_at)
        case.received_ago = duration_text(now - case.received_at)
    return TemplateResponse(request, "incidents/console/duplicates.html", {"hints": hints})


def areas(request: HttpRequest, site: Any) -> HttpResponse:
    """The kelurahan type-ahead: the gazetteer's kelurahan and desa matching what is typed,
    each with its kecamatan (JSON for the screen's own list)."""
    _require_operator(request)
    found = Area.objects.matching(request.GET.get("q", "")[:60])
    return JsonResponse(
        {
            "results": [
                {
                    "id": area.pk,
                    "code": area.code,
                    "name": area.name,
                    "kind": area.get_kind_display(),
                    "district": {"name": area.parent.name},
                    "latitude": str(area.latitude) if area.latitude is not None else None,
                    "longitude": str(area.longitude) if area.longitude is not None else None,
                }
                for area in found
            ]
        }
    )


class DuplicateQuery(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.active(), required=False)
    area = forms.ModelChoiceField(queryset=Area.objects.kelurahan(), required=False)
    kelurahan = forms.CharField(max_length=80, required=False)
    latitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal(-90),
        max_value=Decimal(90),
    )
    longitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=Decimal(-180),
        max_value=Decimal(180),
    )

    def query(self) -> dict[str, Any]:
        data = self.cleaned_data
        both = data.get("latitude") is not None and data.get("longitude") is not None
        return {
            "category": data.get("category"),
            "area": data.get("area"),
            "kelurahan": data.get("kelurahan", ""),
            "latitude": data["latitude"] if both else None,
            "longitude": data["longitude"] if both else None,
        }


def console_urls(site: Any) -> list:
    def page(view: Any) -> Any:
        return site.admin_view(lambda request: view(request, site))

    return [
        path("answer/", page(answer), name="incidents_answer"),
        path("answer/caller/", page(caller), name="incidents_answer_caller"),
        path("answer/duplicates/", page(duplicates), name="incidents_answer_duplicates"),
        path("answer/areas/", page(areas), name="incidents_answer_areas"),
    ]


def may_open_call_screen(request: HttpRequest) -> bool:
    return may_answer_calls(request.user)


def answer_badge(request: HttpRequest) -> str:
    """The sidebar's key for the call screen."""
    return "F2"
