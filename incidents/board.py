"""The live pages: the centre's board of open cases and each agency's inbox of its dispatches.

Both pages fetch their rows again only when their change marker moved (``incidents.pulse``):
the browser asks for the marker every second, at the cost of one primary-key read and no
session or user lookup (the page hands out a signed token naming its marker and bound to the
session's cookie), and re-fetches the rows, through the scoped querysets, when it moved. Clocks
count down in the browser from their due moments; each marker answer carries the server's
time, so a browser whose clock is wrong still turns a clock red at its breach.

The board is the centre's (anybody else gets 404, as for the call screen); the inbox is an
agency's (the centre gets 404: it has the board).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypedDict

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.db.models import Exists, F, FilteredRelation, Max, Min, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from agencies.access import acts_for_centre, agency_of, is_agency_staff
from cc112.admin_errors import submit
from cc112.moments import local_moment
from incidents.admin.cases import active_category_choices, kecamatan_choices, partner_choices
from incidents.models import (
    OPEN_DISPATCH_STATUSES,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentStatus,
    Priority,
)
from incidents.pulse import CENTRE, agency_key, pulse_version, pulse_version_for
from incidents.querysets import shared_scope
from incidents.services import dispatch_acknowledge
from sla.models import CASE_KINDS, Clock, ClockKind, ClockState, Escalation
from sla.presentation import duration_text, whose
from sla.services.clocks import calendar_of

# The board shows this many open cases, nearest deadline first; a centre with more says so.
BOARD_LIMIT = 300
INBOX_LIMIT = 200
# A board's rows rendered for one marker version serve the other boards asking for it.
BOARD_CACHE_SECONDS = 30
# One board renders a version's rows; the others asking meanwhile wait this long for them at
# most (then render themselves), looking every RENDER_POLL_SECONDS.
RENDER_WAIT_SECONDS = 1.5
RENDER_POLL_SECONDS = 0.02
OPEN_CASES = [
    status
    for status in IncidentStatus
    if status not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)
]
# A clock turns amber at this share of its target.
AMBER_SHARE = 0.75
# A page's marker token: as long as a shift and a half, then the page reloads for a new one.
TOKEN_MAX_AGE = 18 * 3600
TOKEN_SALT = "cc112.pulse"
SESSION_COOKIE_HASH = 16


def may_watch_board(user: Any) -> bool:
    """The centre's operators, supervisors and coordinator (and administrators)."""
    return acts_for_centre(user)


def may_open_inbox(user: Any) -> bool:
    """An agency's staff, duty officers and heads."""
    return is_agency_staff(user)


# --- The marker's token ----------------------------------------------------------------------


def _cookie_hash(request: HttpRequest) -> str | None:
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not cookie:
        return None
    return hashlib.sha256(cookie.encode()).hexdigest()[:SESSION_COOKIE_HASH]


def pulse_token(request: HttpRequest, key: str) -> str:
    """The token a page polls its marker with: which marker, for this session's cookie only."""
    return signing.dumps({"k": key, "s": _cookie_hash(request)}, salt=TOKEN_SALT)


def _token_key(request: HttpRequest, token: str) -> str | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    cookie = _cookie_hash(request)
    if cookie is None or not isinstance(data, dict) or data.get("s") != cookie:
        return None
    key = data.get("k")
    return key if isinstance(key, str) else None


def pulse(request: HttpRequest) -> HttpResponse:
    """The marker a live page polls: its version and the server's time (ms since the epoch).

    Deliberately outside ``admin_view``: no session, user or membership is read, and nothing is
    written; the token, signed when the page was rendered for this session, says which marker.
    A token that is missing, altered, expired or from another session is 404, like any page
    one may not see; the page then reloads (to the login, if the session ended).
    """
    key = _token_key(request, request.GET.get("t", ""))
    if key is None:
        raise Http404
    response = JsonResponse({"v": pulse_version(key), "now": _epoch_ms(timezone.now())})
    response["Cache-Control"] = "no-store"
    return response


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- Clocks as the browser counts them ---------------------------------------------------------


CHASED_KINDS = [kind for kind in ClockKind if kind not in CASE_KINDS]
# A clock's step, short enough for a board's cell (its full name is the cell's tooltip).
SHORT_STEPS = {
    ClockKind.DISPATCH: "T0→T1",
    ClockKind.ACKNOWLEDGE: "T1→T2",
    ClockKind.ON_SCENE: "T1→T3",
    ClockKind.RESOLVE: "T1→T4",
    ClockKind.HANDLING: "T0→T4",
    ClockKind.CLOSURE: gettext_lazy("T0→closed"),
}


class ClockPart(TypedDict):
    whose: str
    kind: str
    step: str
    due_ms: int
    amber_ms: int
    due: str
    target: str
    level: int
    title: str


def clock_part(clock: Clock, calendars: dict[str, Any]) -> ClockPart:
    """A running clock with its due moment and the moment it turns amber (75 % of its target,
    counted in its own calendar: an office-hours clock's amber waits for opening time too)."""
    amber = calendar_of(clock, calendars).add(clock.started_at, clock.target * AMBER_SHARE)
    due, target, owner = local_moment(clock.due_at), duration_text(clock.target), whose(clock)
    return {
        "whose": owner,
        "kind": ClockKind(clock.kind).label,
        "step": str(SHORT_STEPS[ClockKind(clock.kind)]),
        "due_ms": _epoch_ms(clock.due_at),
        "amber_ms": _epoch_ms(amber),
        "due": due,
        "target": target,
        "level": clock.level or 0,
        "title": "{} · {}: {}".format(
            owner,
            ClockKind(clock.kind).label,
            _("target %(target)s, due %(due)s") % {"target": target, "due": due},
        ),
    }


def _running_clocks(user: Any, **filters: Any) -> list[Clock]:
    return list(
        Clock.objects.visible_to(user)
        .filter(state=ClockState.RUNNING, **filters)
        .select_related("agency", "operator")
        .annotate(level=Max("escalations__level"))
        .order_by("due_at", "pk")
    )


# --- The board -------------------------------------------------------------------------------


class BoardFilter(forms.Form):
    """The board's filters; their choices are fixed data kept a minute (no query a page)."""

    agency = forms.TypedChoiceField(
        label=gettext_lazy("Agency"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    kecamatan = forms.CharField(
        label=gettext_lazy("Kecamatan"),
        max_length=80,
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"list": "board-kecamatan", "autocomplete": "off"}),
    )
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"),
        choices=[("", gettext_lazy("All priorities")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("All agencies")), *partner_choices()]
        self.fields["category"].choices = [("", _("All categories")), *active_category_choices()]

    def narrow(self, cases: Any) -> Any:
        if not self.is_valid():
            return cases.none()
        data = self.cleaned_data
        if data["agency"] is not None:
            cases = cases.filter(
                Exists(
                    Dispatch.objects.filter(
                        incident=OuterRef("pk"),
                        agency_id=data["agency"],
                        status__in=OPEN_DISPATCH_STATUSES,
                    )
                )
            )
        if data["category"] is not None:
            cases = cases.filter(category_id=data["category"])
        if data["kecamatan"].strip():
            cases = cases.filter(kecamatan__iexact=data["kecamatan"].strip())
        if data["priority"] is not None:
            cases = cases.filter(priority=data["priority"])
        return cases


def board_rows(user: Any, board_filter: BoardFilter) -> dict[str, Any]:
    """Open cases the user sees, nearest running deadline first (those with no running clock
    last), each with its running clocks (those someone must answer: not the case's own
    handling times), its agencies and the highest escalation level reached.

    Four queries: the cases, their number, their running clocks, their open dispatches.
    """
    # The open statuses named (not "not closed"): the (status, received_at) index finds them
    # among a year of closed cases, where NOT IN read the whole table.
    cases = board_filter.narrow(Incident.objects.visible_to(user).filter(status__in=OPEN_CASES))
    # The case's own handling times are measured, not chased: they do not order the board.
    chased = Q(clocks__state=ClockState.RUNNING) & ~Q(clocks__kind__in=list(CASE_KINDS))
    shown = list(
        cases.select_related("category")
        .annotate(next_due=Min("clocks__due_at", filter=chased))
        .order_by(F("next_due").asc(nulls_last=True), "received_at", "pk")[:BOARD_LIMIT]
    )
    total = len(shown) if len(shown) < BOARD_LIMIT else cases.count()
    ids = [incident.pk for incident in shown]
    calendars: dict[str, Any] = {}
    clocks: dict[int, list[ClockPart]] = {}
    # The case's own handling times are measured for the reports, never chased: not here.
    for clock in _running_clocks(user, incident_id__in=ids, kind__in=CHASED_KINDS):
        clocks.setdefault(clock.incident_id, []).append(clock_part(clock, calendars))
    agencies: dict[int, list[Dispatch]] = {}
    for dispatch in (
        Dispatch.objects.filter(incident_id__in=ids, status__in=OPEN_DISPATCH_STATUSES)
        .select_related("agency")
        .order_by("agency__short_name")
    ):
        agencies.setdefault(dispatch.incident_id, []).append(dispatch)
    # The case page's address made once and filled in a row (a reverse a row was a tenth of it).
    case_url = reverse("admin:incidents_incident_change", args=(0,)).replace("/0/", "/{}/")
    rows = []
    for incident in shown:
        its_clocks = clocks.get(incident.pk, [])
        rows.append(
            {
                "incident": incident,
                "clocks": its_clocks,
                "dispatches": agencies.get(incident.pk, []),
                "level": max((c["level"] for c in its_clocks), default=0),
                "url": case_url.format(incident.pk),
                "received": local_moment(incident.received_at),
                "place": ", ".join(p for p in (incident.kelurahan, incident.kecamatan) if p),
            }
        )
    return {"rows": rows, "total": total, "limited": total > len(rows)}


def _board_context(request: HttpRequest) -> dict[str, Any]:
    board_filter = BoardFilter(request.GET or None)
    if not board_filter.is_bound:
        board_filter = BoardFilter({})
    return {"filter": board_filter, **board_rows(request.user, board_filter)}


def board(request: HttpRequest, site: Any) -> HttpResponse:
    """The centre's board of open cases: its page; the rows come from ``board_fragment``."""
    if not may_watch_board(request.user):
        raise Http404
    # The marker first, the rows after: a change made between the two shows at the next poll.
    live = _live_page(request, CENTRE, reverse("admin:incidents_board_rows"))
    context = {
        **site.each_context(request),
        "title": _("Case board"),
        **live,
        **_board_context(request),
        # From the gazetteer (fixed data, kept a minute), never a DISTINCT over the cases.
        "kecamatan_choices": [name for name, _label in kecamatan_choices()],
        "map_tiles": settings.CC112_MAP_TILE_URL,
        "map_attribution": settings.CC112_MAP_ATTRIBUTION,
        "map_centre": settings.CC112_MAP_CENTRE,
    }
    return TemplateResponse(request, "incidents/board/board.html", context)


def board_fragment(request: HttpRequest, site: Any) -> HttpResponse:
    """The board's rows, fetched again when its marker moved.

    Every open board asks for them at the same moment after a change, and the centre sees
    every case, so the rows are the same for all of its boards with the same filters: they are
    rendered once per marker version, filters and language, and kept in the cache for the
    others. The version is read before the rows, so rows kept under a version are at least as
    new as it; a later change moves the version and misses the cache.
    """
    if not may_watch_board(request.user):
        raise Http404
    key = board_rows_key(pulse_version(CENTRE), get_language(), request.GET.urlencode())
    return HttpResponse(
        _rendered_once(
            key,
            lambda: render_to_string("incidents/board/rows.html", _board_context(request), request),
        )
    )


def _rendered_once(key: str, render: Callable[[], str]) -> str:
    """What ``render`` gives, kept under ``key`` for the pages asking for the same."""
    html = cache.get(key)
    if html is None and not cache.add(f"{key}.rendering", 1, RENDER_WAIT_SECONDS):
        # Another page is rendering this version (they all ask at the same moment): wait for
        # its rows rather than render them again beside it, on the same cores.
        html = _wait_for(key)
    if html is None:
        html = render()
        cache.set(key, html, BOARD_CACHE_SECONDS)
    return html


def board_rows_key(version: int, language: str, query: str) -> str:
    """Where the board's rows of a marker version, language and filters are kept."""
    filters = hashlib.sha256(query.encode()).hexdigest()[:16]
    return f"cc112.board.{version}.{language}.{filters}"


def _wait_for(key: str) -> str | None:
    waited = 0.0
    while waited < RENDER_WAIT_SECONDS:
        time.sleep(RENDER_POLL_SECONDS)
        waited += RENDER_POLL_SECONDS
        html = cache.get(key)
        if html is not None:
            return html
    return None


def _live_page(request: HttpRequest, key: str, rows_url: str) -> dict[str, Any]:
    return {
        "pulse_url": reverse("admin:incidents_pulse"),
        "pulse_token": pulse_token(request, key),
        "pulse_version": pulse_version_for(request, key),
        "rows_url": rows_url,
        "now_ms": _epoch_ms(timezone.now()),
        "units": {
            "d": _("%(n)d d"),
            "h": _("%(n)d h"),
            "min": _("%(n)d min"),
            "s": _("%(n)d s"),
            "late": _("%(time)s overdue"),
            "left": _("%(time)s left"),
        },
    }


# --- The inbox -------------------------------------------------------------------------------


ACK_FIELDS = ("id", "target", "working_time", "office_week", "started_at", "due_at")


def _with_acknowledge_clock(dispatches: Any) -> Any:
    """Each dispatch with its running acknowledge clock's fields (there is at most one: one
    clock per dispatch and kind, joined) and the escalation level it reached, in the same
    statement. A join, not a subquery per field: six subqueries were half the inbox's time,
    most of it compiling them."""
    running = FilteredRelation(
        "clocks", condition=Q(clocks__kind=ClockKind.ACKNOWLEDGE, clocks__state=ClockState.RUNNING)
    )
    dispatches = dispatches.annotate(ack=running).annotate(
        **{f"ack_{name}": F(f"ack__{name}") for name in ACK_FIELDS}
    )
    level = Escalation.objects.filter(clock=OuterRef("ack_id")).order_by("-level").values("level")
    return dispatches.annotate(ack_level=Subquery(level[:1]))


def _acknowledge_clock(dispatch: Dispatch) -> Clock | None:
    """The running acknowledge clock ``_with_acknowledge_clock`` read beside the dispatch."""
    if dispatch.ack_id is None:  # type: ignore[attr-defined]
        return None
    clock = Clock(
        dispatch=dispatch,
        incident_id=dispatch.incident_id,
        agency=dispatch.agency,
        kind=ClockKind.ACKNOWLEDGE,
        state=ClockState.RUNNING,
        **{name: getattr(dispatch, f"ack_{name}") for name in ACK_FIELDS},
    )
    clock.level = dispatch.ack_level  # type: ignore[attr-defined]
    return clock


def inbox_rows(user: Any) -> dict[str, Any]:
    """The user's agency's dispatches still open: waiting for acknowledgement first, newest
    first, then those under way; each with its running acknowledge clock, if any.

    One query, and one more for their number past the limit.
    """
    agency = agency_of(user)
    if agency is None:
        return {"rows": [], "total": 0, "limited": False}
    dispatches = Dispatch.objects.visible_to(user).filter(
        agency=agency, status__in=OPEN_DISPATCH_STATUSES
    )
    pending_first = Q(status=DispatchStatus.PENDING)
    shown = list(
        _with_acknowledge_clock(
            dispatches.select_related("incident__category")
            .defer("incident__category__examples")
            .annotate(waiting=pending_first)
        ).order_by("-waiting", "-dispatched_at", "-pk")[:INBOX_LIMIT]
    )
    total = len(shown) if len(shown) < INBOX_LIMIT else dispatches.count()
    calendars: dict[str, Any] = {}
    # The dispatch's and its acknowledge button's addresses made once and filled in a row, the
    # clock's tooltip and the "sent" line written here: three reverses and two blocktrans a row
    # were most of the inbox's rows (bench/portal.py).
    change_url = reverse("admin:incidents_dispatch_change", args=(0,)).replace("/0/", "/{}/")
    ack_url = reverse("admin:incidents_inbox_acknowledge", args=(0,)).replace("/0/", "/{}/")
    rows = []
    for dispatch in shown:
        dispatch.agency = agency  # the user's own: no join, no query
        incident = dispatch.incident
        clock = _acknowledge_clock(dispatch)
        part = clock_part(clock, calendars) if clock is not None else None
        rows.append(
            {
                "dispatch": dispatch,
                "incident": incident,
                "pending": dispatch.status == DispatchStatus.PENDING,
                "clock": part,
                "clock_tip": _("target %(target)s, due %(due)s")
                % {"target": part["target"], "due": part["due"]}
                if part is not None
                else "",
                "line": (incident.description.strip().splitlines() or [""])[0][:140],
                "place": ", ".join(p for p in (incident.kelurahan, incident.kecamatan) if p),
                "sent": _("sent %(at)s") % {"at": local_moment(dispatch.dispatched_at)},
                "href": change_url.format(dispatch.pk),
                "ack_url": ack_url.format(dispatch.pk),
            }
        )
    return {"rows": rows, "total": total, "limited": total > len(rows)}


def inbox(request: HttpRequest, site: Any) -> HttpResponse:
    """An agency's inbox of its dispatches: its page; the rows come from ``inbox_fragment``."""
    if not may_open_inbox(request.user):
        raise Http404
    agency = agency_of(request.user)
    live = _live_page(request, agency_key(agency.pk), reverse("admin:incidents_inbox_rows"))
    context = {
        **site.each_context(request),
        "title": _("Inbox of %(agency)s") % {"agency": agency.short_name},
        "agency": agency,
        **live,
        "inbox_table": inbox_table(request),
    }
    return TemplateResponse(request, "incidents/board/inbox.html", context)


def inbox_fragment(request: HttpRequest, site: Any) -> HttpResponse:
    """The inbox's rows, fetched again when its agency's marker moved."""
    if not may_open_inbox(request.user):
        raise Http404
    context = {"inbox_table": inbox_table(request)}
    return TemplateResponse(request, "incidents/board/inbox_rows.html", context)


def inbox_table(request: HttpRequest) -> SafeString:
    """The agency's open dispatches as the inbox shows them.

    Every member of an agency sees the same dispatches (its group's grants), and every open
    inbox of the agency asks for them at the same moment after a change: as on the board, they
    are rendered once per marker version and language and kept for the others. Someone with a
    case shared in person sees more than the agency (``visible_to``): theirs are their own.
    """
    user = request.user

    def render() -> str:
        return render_to_string("incidents/board/inbox_table.html", inbox_rows(user), request)

    scope = shared_scope(user)
    if scope is None:
        return mark_safe(render())
    agency = agency_of(user)
    # The version before the rows: rows kept under a version are at least as new as it.
    version = pulse_version_for(request, agency_key(agency.pk))
    key = f"cc112.inbox.{scope}.{version}.{get_language()}"
    return mark_safe(_rendered_once(key, render))  # our own template's output


@require_POST
def inbox_acknowledge(request: HttpRequest, site: Any, dispatch_id: int) -> HttpResponse:
    """Acknowledge one of the agency's dispatches (T2) from the inbox: a click or one key."""
    if not may_open_inbox(request.user):
        raise Http404
    try:
        dispatch = Dispatch.objects.visible_to(request.user).get(
            pk=dispatch_id, agency=agency_of(request.user)
        )
    except Dispatch.DoesNotExist:
        raise Http404 from None
    done = submit(request, lambda: dispatch_acknowledge(dispatch=dispatch, actor=request.user))
    if request.headers.get("HX-Request"):
        # The row itself says it is acknowledged; a refusal shows as a message on the next page.
        return inbox_fragment(request, site)
    if done is not None:
        messages.success(
            request,
            _("%(reference)s acknowledged at %(at)s.")
            % {"reference": dispatch.incident.reference, "at": local_moment(done.acknowledged_at)},
        )
    return HttpResponseRedirect(reverse("admin:incidents_inbox"))


def board_urls(site: Any) -> list:
    def page(view: Any) -> Any:
        return site.admin_view(lambda request, **kwargs: view(request, site, **kwargs))

    return [
        path("board/", page(board), name="incidents_board"),
        path("board/rows/", page(board_fragment), name="incidents_board_rows"),
        path("inbox/", page(inbox), name="incidents_inbox"),
        path("inbox/rows/", page(inbox_fragment), name="incidents_inbox_rows"),
        path(
            "inbox/<int:dispatch_id>/acknowledge/",
            page(inbox_acknowledge),
            name="incidents_inbox_acknowledge",
        ),
        # Not through admin_view: the marker reads no session (see ``pulse``).
        path("pulse/", pulse, name="incidents_pulse"),
    ]


def may_open_board(request: HttpRequest) -> bool:
    return may_watch_board(request.user)


def may_open_agency_inbox(request: HttpRequest) -> bool:
    return may_open_inbox(request.user)


def inbox_badge(request: HttpRequest) -> str:
    """The sidebar's count of the agency's dispatches waiting for acknowledgement."""
    from cc112.sidebar import sidebar_counts

    if agency_of(request.user) is None:
        return ""
    waiting = sidebar_counts(request)["pending"]
    return str(waiting) if waiting else ""
