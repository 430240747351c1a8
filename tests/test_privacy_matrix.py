"""The privacy matrix: every URL pattern of the portal, requested as every persona.

``REGISTRY`` turns each pattern of the URL resolver into concrete requests for one persona (an
object it may see, every object out of its scope, a missing id, a nonsense id; lists with
searches, filters and facets) and says what the persona must get. For every request:

1. the status, and where a redirect goes, is the one the registry gives for the persona;
2. an object out of scope answers exactly like a missing one (status, redirect and page);
3. no page, nor any page its redirects lead to, holds anything of a case the persona may not
   see (reference, caller, location, kecamatan, notes, instructions) or a link to one;
4. lists, searches, facets and pickers show exactly the rows the persona may see;
5. a POST by a persona who may not write answers 403/404 (or the login) and changes nothing;
   a GET changes nothing either, but the reader's own notifications, which opening reads.

A pattern without a registry entry fails, and so does an entry whose pattern is gone, so the
matrix cannot fall silently behind the URLs. One test per persona walks every pattern and lists
all its failures at once, each named ``persona-pattern-variant``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlencode

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from agencies.models import (
    Agency,
    ApiKey,
    Membership,
    Role,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from agencies.services import api_key_create
from agencies.webhooks import webhook_subscribe, webhooks_emit
from incidents.models import (
    Area,
    Call,
    CallerIdentity,
    Category,
    Dispatch,
    Incident,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
    Note,
    Share,
    SubjectRequest,
)
from incidents.services import (
    areas_load,
    call_record,
    dispatch_acknowledge,
    dispatch_cancel,
    incident_dispatch,
    incident_share,
    note_add,
    share_revoke,
)
from sla.models import (
    RUBRIC,
    Clock,
    Escalation,
    EscalationStep,
    Evaluation,
    Notification,
    OfficeDay,
)
from sla.models import Target as ServiceTarget
from sla.scorecards import Period
from sla.services import (
    escalations_fire_due,
    evaluation_acknowledge,
    evaluation_open,
    evaluation_score,
    evaluation_submit,
)
from tests.conftest import World
from tests.factories import CategoryFactory, make_incident, make_member

User = get_user_model()

MISSING = 987654  # an id no row has
NONSENSE = "abc"  # an id no row can have

# --- Who sees which case -------------------------------------------------------------------------
# Written out by hand, not derived from ``visible_to``: this is what the portal is held to.

SEES: dict[str, frozenset[str]] = {
    "operator": frozenset({"*"}),
    "supervisor": frozenset({"*"}),
    "coordinator": frozenset({"*"}),
    "police_staff": frozenset({"police_only", "both"}),
    "police_head": frozenset({"police_only", "both", "personal_share"}),
    "health_staff": frozenset({"health_only", "both", "shared_with_health", "cancelled_dispatch"}),
    "outsider": frozenset(),  # logged in, in no agency
    "inactive": frozenset(),  # an agency's account, switched off
    "anonymous": frozenset(),
}
PERSONAS = tuple(SEES)
ROLE = {
    **dict.fromkeys(("operator",), "centre"),
    **dict.fromkeys(("supervisor", "coordinator"), "manager"),
    **dict.fromkeys(("police_staff", "police_head", "health_staff"), "agency"),
    **dict.fromkeys(("outsider", "inactive", "anonymous"), "nobody"),
}
AGENCY = {"police_staff": "polresta", "police_head": "polresta", "health_staff": "dinkes"}
OWN_CASE = {
    "police_staff": "police_only",
    "police_head": "police_only",
    "health_staff": "health_only",
}
OTHER_AGENCYS_CASE = {"police_staff": "health_only", "police_head": "health_only"}


# --- Answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None = None  # a regular expression the whole Location header must match

    def __str__(self) -> str:
        return f"{self.status} -> {self.location}" if self.location else str(self.status)


OK = Answer(200)
FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)
NOT_ALLOWED = Answer(405)
LOGIN = Answer(302, r"/admin/login/\?next=.+")
TO_INDEX = Answer(302, "/admin/")


def redirect(path_regex: str, status: int = 302) -> Answer:
    return Answer(status, path_regex)


Rule = Callable[["Ctx"], Answer | None]  # a persona's answer; None: not asked of that persona
_AS_CENTRE = Answer(0)


def by_role(
    *,
    centre: Answer | None,
    agency: Answer | None,
    manager: Answer | None = _AS_CENTRE,
    nobody: Answer | None = LOGIN,
) -> Rule:
    """The answer for the centre's operators, its supervisors and coordinators (as the operators
    unless given), agency staff, and those who may not use the portal (the login)."""
    answers = {"centre": centre, "manager": centre if manager is _AS_CENTRE else manager}
    answers |= {"agency": agency, "nobody": nobody}
    return lambda c: answers[c.role]


def staff(answer: Answer) -> Rule:
    return by_role(centre=answer, agency=answer)


CENTRE_ONLY = by_role(centre=OK, agency=FORBIDDEN)
MANAGERS_ONLY = by_role(centre=FORBIDDEN, manager=OK, agency=FORBIDDEN)
Check = Callable[[HttpResponse], list[str]]


@dataclass(frozen=True)
class Target:
    """One concrete request for a pattern, and what the persona must get."""

    variant: str
    url: str
    expect: Answer
    ids: tuple[Any, ...] = ()  # ids in the URL, blanked when two answers are compared
    same_as: str | None = None  # the variant this one must answer exactly like
    check: Check | None = None  # more to check on a 200 (rows shown, picker results)
    post: dict[str, Any] | None = None  # a POST that must not write...
    post_expect: Answer | None = None  # ...and its answer when it is not the GET's
    json: bool = False  # the POST's body is JSON (the API), not a form


# --- Data: eight cases with their dispatches, notes, history and calls --------------------------


@dataclass
class Case:
    key: str
    incident: Incident
    dispatches: dict[str, Dispatch]  # by agency code
    notes: list[Note] = field(default_factory=list)
    secrets: tuple[str, ...] = ()  # what only those who see the case may read
    # the centre's own ("dispatch", "handling", "closure"), agencies' ("<agency code>/<kind>")
    clocks: dict[str, Clock] = field(default_factory=dict)


@dataclass
class Data:
    world: World
    category: Category
    cases: dict[str, Case]
    prank_call: Call
    labels: dict[tuple[str, Any], str]  # (kind, pk) -> a readable name for failure messages
    notifications: dict[str, list[Notification]]  # by the persona told
    evaluations: dict[str, Evaluation] = field(default_factory=dict)  # by variant


# Those the escalation ladder tells (DOMAIN.md's: supervisor at levels 1 and 2, the agency head
# at level 2, the coordinator at level 3); the others are told nothing.
NOTIFIED = ("supervisor", "coordinator", "police_head")
# Every member of an agency is told in the portal of each new dispatch to it.
TOLD_OF_DISPATCHES = ("police_staff", "police_head", "health_staff")


def build_data(world: World) -> Data:
    """Cases that together cover every way a case becomes visible or stops being so; their
    clocks, and every rung of the ladder fired for the clocks still running."""
    category = CategoryFactory(code="MED", name_en="Medical", name_id="Kesehatan")
    areas_load()  # Kota Ambon's gazetteer, as every centre has it
    police, health = world.police, world.health
    cases: dict[str, Case] = {}

    def case(key: str, *agencies: Agency) -> Case:
        number = len(cases) + 1
        incident = make_incident(
            world.operator,
            category=category,
            caller_name=f"Pelapor-{key}-x",
            caller_phone=f"0812{number:04d}{number:04d}",
            location_text=f"Lokasi-{key}-x",
            kecamatan=f"Kec-{key}-x",
            description=f"Uraian-{key}-x",
        )
        dispatches = (
            incident_dispatch(
                incident=incident,
                agencies=agencies,
                actor=world.operator,
                instructions=f"Instruksi-{key}-x",
            )
            if agencies
            else []
        )
        cases[key] = Case(key, incident, {d.agency.code: d for d in dispatches})
        return cases[key]

    def note(key: str, author: Any) -> None:
        body = f"Catatan-{key}-{author}-x"
        cases[key].notes.append(note_add(incident=cases[key].incident, author=author, body=body))

    police_only = case("police_only", police)
    dispatch_acknowledge(dispatch=police_only.dispatches["polresta"], actor=world.police_staff)
    note("police_only", world.police_staff)

    case("health_only", health)
    note("health_only", world.health_staff)

    case("both", police, health)
    for author in (world.operator, world.police_staff, world.health_staff):
        note("both", author)

    case("undispatched")
    note("undispatched", world.operator)

    shared = case("shared_with_health")
    incident_share(
        incident=shared.incident, actor=world.supervisor, agency=health, reason="Alasan-shared-x"
    )
    note("shared_with_health", world.health_staff)

    revoked = case("revoked_share")
    share = incident_share(
        incident=revoked.incident, actor=world.supervisor, agency=police, reason="Alasan-revoked-x"
    )
    note("revoked_share", world.police_staff)  # written while shared, hidden from them since
    share_revoke(share=share, actor=world.supervisor, reason="Selesai-revoked-x")

    cancelled = case("cancelled_dispatch", police, health)
    note("cancelled_dispatch", world.police_staff)
    dispatch_cancel(
        dispatch=cancelled.dispatches["polresta"], actor=world.operator, reason="Batal-x"
    )

    personal = case("personal_share")
    incident_share(
        incident=personal.incident,
        actor=world.coordinator,
        user=world.police_head,
        reason="Alasan-personal-x",
    )
    note("personal_share", world.police_head)

    prank = call_record(
        operator=world.operator, outcome="prank", callback_number="0813 5555 0001", notes="Iseng-x"
    )
    api_key_create(agency=health, name="SIM Dinkes", actor=None)
    # Each partner's webhook subscription, and one delivery to health of its own case.
    with override_settings(CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        for agency, staff_member in ((police, world.police_staff), (health, world.health_staff)):
            webhook_subscribe(
                agency=agency,
                url=f"http://127.0.0.1:9/{agency.code}",
                events=list(WebhookEvent.values),
                actor=staff_member,
            )
    webhooks_emit(WebhookEvent.INCIDENT_UPDATED, incident=cases["health_only"].incident)

    # Far enough ahead that every rung of every running clock is due.
    escalations_fire_due(now=timezone.now() + timedelta(days=30))
    OfficeDay.objects.create(agency=health, weekday=0, opens=time(8), closes=time(15))

    labels: dict[tuple[str, Any], str] = {("call", prank.pk): "call:prank"}
    for key, c in cases.items():
        for clock in Clock.objects.filter(incident=c.incident).select_related("agency"):
            name = f"{clock.agency.code}/{clock.kind}" if clock.agency else clock.kind
            c.clocks[name] = clock
            labels[("clock", clock.pk)] = f"{key}/{name}"
        c.incident.refresh_from_db()
        shares = Share.objects.filter(incident=c.incident)
        c.secrets = (
            c.incident.reference,
            *(f"{prefix}-{key}-x" for prefix in ("Pelapor", "Lokasi", "Kec", "Uraian")),
            c.incident.caller_phone,
            *(n.body for n in c.notes),
            *([f"Instruksi-{key}-x"] if c.dispatches else []),
            *Dispatch.objects.filter(incident=c.incident)
            .exclude(closed_reason="")
            .values_list("closed_reason", flat=True),
            *(s.reason for s in shares),
            *(s.revoke_reason for s in shares if s.revoke_reason),
        )
        labels[("incident", c.incident.pk)] = key
        labels[("call", c.incident.call_id)] = f"call:{key}"
        labels |= {("dispatch", d.pk): f"{key}/{code}" for code, d in c.dispatches.items()}
        labels |= {("note", n.pk): f"{key}/{n.author}" for n in c.notes}

    case_of = {c.incident.pk: key for key, c in cases.items()}
    notifications: dict[str, list[Notification]] = {}
    told = 0
    for persona in dict.fromkeys(NOTIFIED + TOLD_OF_DISPATCHES):
        every = list(
            Notification.objects.filter(recipient=getattr(world, persona))
            .select_related("escalation__clock", "dispatch__agency")
            .order_by("pk")
        )
        told += len(every)
        ladder = [n for n in every if n.escalation_id is not None]
        assert ladder or persona not in NOTIFIED, f"the ladder told {persona} nothing"
        # A notification's page shows its case: the ladder tells no one of a case they cannot see.
        told_of = {case_of[n.incident_id] for n in ladder}
        hidden = set() if "*" in SEES[persona] else told_of - SEES[persona]
        assert not hidden, f"{persona} was told of cases hidden from them: {hidden}"
        # Told of a new dispatch that was cancelled since: gone with the case (visible_to).
        mine = [n for n in every if "*" in SEES[persona] or case_of[n.incident_id] in SEES[persona]]
        assert any(n.dispatch_id for n in mine) == (persona in TOLD_OF_DISPATCHES), persona
        notifications[persona] = mine
        for n in every:
            if n.escalation_id is not None:
                clock = labels[("clock", n.escalation.clock_id)]
                label = f"{persona}:{clock}/L{n.escalation.level}"
            else:
                label = f"{persona}:{labels[('dispatch', n.dispatch_id)]}/new"
            labels[("notification", n.pk)] = label
    assert Notification.objects.count() == told, "someone outside NOTIFIED was told"
    evaluations = build_evaluations(world)
    labels |= {("evaluation", e.pk): variant for variant, e in evaluations.items()}
    return Data(world, category, cases, prank, labels, notifications, evaluations)


# --- One persona's view --------------------------------------------------------------------------


class Obj(NamedTuple):
    variant: str
    pk: Any
    version: Any  # the pk of one of its history rows (None: the model keeps no history)
    seen: bool


SCOPED = {
    "incident": Incident,
    "dispatch": Dispatch,
    "note": Note,
    "call": Call,
    "share": Share,
    "clock": Clock,
    "notification": Notification,
    "webhook": WebhookSubscription,
    "evaluation": Evaluation,
}


@dataclass
class Ctx:
    persona: str
    data: Data
    _objects: dict[str, list[Obj]] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return ROLE[self.persona]

    @property
    def is_centre(self) -> bool:
        return self.role in ("centre", "manager")

    def sees(self, key: str) -> bool:
        return key in SEES[self.persona] or "*" in SEES[self.persona]

    def visible_cases(self) -> list[Case]:
        return [c for key, c in self.data.cases.items() if self.sees(key)]

    def case_variant(self, key: str) -> str:
        return "other_agency" if OTHER_AGENCYS_CASE.get(self.persona) == key else key

    def own_case(self) -> Case:
        """A case the persona sees (for those who see none: the case whose call stands in)."""
        return self.data.cases[OWN_CASE.get(self.persona, "police_only")]

    def other_agencys_case(self) -> Case:
        """The other agency's case (for the centre, which sees all: health's)."""
        return self.data.cases[OTHER_AGENCYS_CASE.get(self.persona, "health_only")]

    def hidden_cases(self) -> list[Case]:
        hidden = [c for key, c in self.data.cases.items() if not self.sees(key)]
        return hidden[:1] if self.role == "nobody" else hidden  # one stands for all at the login

    def visible_dispatches(self, *, own_agency_only: bool = False) -> set[int]:
        agency = AGENCY.get(self.persona) if own_agency_only else None
        return {
            d.pk
            for c in self.visible_cases()
            for code, d in c.dispatches.items()
            if agency in (None, code)
        }

    def visible_clocks(self) -> set[int]:
        """The clocks of the cases it sees; for an agency, not the centre's own dispatch clock
        (the operator's T0→T1, the centre's evaluation of itself)."""
        return {
            clock.pk
            for c in self.visible_cases()
            for name, clock in c.clocks.items()
            if self.is_centre or "/" in name
        }

    def own_notifications(self) -> list[Notification]:
        return self.data.notifications.get(self.persona, [])

    def objects(self, kind: str) -> list[Obj]:
        """The objects of ``kind`` to request: ones the persona sees and every one it does not."""
        if kind not in self._objects:
            self._objects[kind] = self._find_objects(kind)
        return self._objects[kind]

    def _find_objects(self, kind: str) -> list[Obj]:
        if kind not in SCOPED:
            obj = _plain_object(self, kind)
            version = _first_version(obj) if hasattr(obj, "history") else None
            return [Obj("existing", obj.pk, version, True)]
        own = self.own_case() if self.role != "nobody" else None
        hidden = self.hidden_cases()
        rows: list[tuple[str, Any, bool]] = []
        if kind == "incident":
            rows += [("own", own.incident.pk, True)] if own else []
            rows += [(self.case_variant(c.key), c.incident.pk, False) for c in hidden]
        elif kind == "dispatch":
            agency = AGENCY.get(self.persona, "polresta")
            rows += [("own", own.dispatches[agency].pk, True)] if own else []
            if self.role == "agency":  # its partner's dispatch on the case both work on
                partner = next(code for code in ("polresta", "dinkes") if code != agency)
                rows.append(("partner", self.data.cases["both"].dispatches[partner].pk, True))
            for c in hidden:
                for code, d in c.dispatches.items():
                    suffix = f"_{code}" if len(c.dispatches) > 1 else ""
                    rows.append((self.case_variant(c.key) + suffix, d.pk, False))
        elif kind == "note":
            rows += [("own", own.notes[0].pk, True)] if own else []
            rows += [(self.case_variant(c.key), c.notes[0].pk, False) for c in hidden]
        elif kind == "share":  # the centre's decisions; an agency sees the case, not the share
            rows += [
                (f"share_{n}", pk, self.is_centre)
                for n, pk in enumerate(Share.objects.order_by("pk").values_list("pk", flat=True))
            ]
        elif kind == "clock":
            agency = AGENCY.get(self.persona, "polresta")
            if own:  # its own agency's clock, and the centre's dispatch clock, on its own case
                rows.append(("own", own.clocks[f"{agency}/on_scene"].pk, True))
                rows.append(("dispatch_clock", own.clocks["dispatch"].pk, self.is_centre))
            if self.role == "agency":  # its partner's clock on the case both work on
                partner = next(code for code in ("polresta", "dinkes") if code != agency)
                rows.append(
                    ("partner", self.data.cases["both"].clocks[f"{partner}/on_scene"].pk, True)
                )
            for c in hidden:  # its own agency's clock there if any (a cancelled dispatch's)
                names = sorted(c.clocks, key=lambda n: (not n.startswith(agency), "/" not in n))
                rows.append((self.case_variant(c.key), c.clocks[names[0]].pk, False))
        elif kind == "webhook":  # an agency's own subscriptions; the coordinator's all of them
            for sub in WebhookSubscription.objects.select_related("agency").order_by("pk"):
                seen = self.persona == "coordinator" or AGENCY.get(self.persona) == sub.agency.code
                rows.append((f"{sub.agency.code}s", sub.pk, seen))
            rows = rows[:1] if self.role == "nobody" else rows
        elif kind == "evaluation":  # managers see all; an operator their own, once submitted
            for variant, evaluation in self.data.evaluations.items():
                seen = self.role == "manager" or (self.persona == "operator" and variant == "own")
                rows.append((variant, evaluation.pk, seen))
            rows = rows[:1] if self.role == "nobody" else rows
        elif kind == "notification":  # one's own only, even of a case one sees
            mine = self.own_notifications()
            rows += [("own", mine[0].pk, True)] if mine else []
            for persona, theirs in self.data.notifications.items():
                if persona == self.persona:
                    continue
                on_own = [n for n in theirs if own and n.incident_id == own.incident.pk]
                rows.append((f"{persona}s", (on_own or theirs)[0].pk, False))
            if self.role == "agency":
                other = self.other_agencys_case().incident.pk
                theirs = self.data.notifications["supervisor"]
                pk = next(n.pk for n in theirs if n.incident_id == other)
                rows.append((f"supervisors_on_{self.case_variant('health_only')}", pk, False))
            rows = rows[:1] if self.role == "nobody" else rows
        else:  # calls stay inside the centre, even the call that opened an agency's own case
            rows.append(("own_case_call", self.own_case().incident.call_id, self.is_centre))
            rows.append(("prank_call", self.data.prank_call.pk, self.is_centre))
            if self.role == "agency":
                other = self.other_agencys_case().incident.call_id
                rows.append(("other_agencys_call", other, False))
        model = SCOPED[kind]
        versioned = hasattr(model, "history")
        return [
            Obj(variant, pk, _first_version(model.objects.get(pk=pk)) if versioned else None, seen)
            for variant, pk, seen in rows
        ]

    def forbidden(self) -> dict[str, str]:
        """Texts and links that must not show -> what they would give away."""
        found: dict[str, str] = {}
        if not self.is_centre:
            found |= {"0813 5555 0001": "prank call's number", "Iseng-x": "prank call's notes"}
        for key, c in self.data.cases.items():
            if self.sees(key):
                continue
            found |= {text: f"{key}: {text!r}" for text in c.secrets}
            found[_admin_path("incident", c.incident.pk)] = f"link to case {key}"
            found |= {
                _admin_path("dispatch", d.pk): f"link to {key}/{code}"
                for code, d in c.dispatches.items()
            }
            found |= {_admin_path("note", n.pk): f"link to a note on {key}" for n in c.notes}
            found[f"/api/v1/incidents/{c.incident.pk}/"] = f"API link to case {key}"
            found |= {
                f"/api/v1/dispatches/{d.pk}/": f"API link to {key}/{code}"
                for code, d in c.dispatches.items()
            }
        for key, c in self.data.cases.items():
            for name, clock in c.clocks.items():
                if not self.sees(key) or ("/" not in name and not self.is_centre):
                    found[_sla_path("clock", clock.pk)] = f"link to clock {key}/{name}"
        for persona, theirs in self.data.notifications.items():
            if persona != self.persona:
                found |= {
                    _sla_path("notification", n.pk): f"{persona}'s notification" for n in theirs
                }
        for obj in self.objects("evaluation"):
            if not obj.seen:
                found |= EVALUATION_SECRETS[obj.variant]
                found[_sla_path("evaluation", obj.pk)] = f"link to evaluation {obj.variant}"
        return found


def _admin_path(kind: str, pk: Any) -> str:
    return f"/admin/incidents/{kind}/{pk}/"


def _sla_path(kind: str, pk: Any) -> str:
    return f"/admin/sla/{kind}/{pk}/"


def _first_version(obj: Model) -> int:
    return obj.history.order_by("history_id").values_list("history_id", flat=True)[0]  # type: ignore[attr-defined]


def _other_version(kind: str, pk: Any) -> int:
    history = SCOPED[kind].history  # type: ignore[attr-defined]
    return history.exclude(id=pk).values_list("history_id", flat=True)[0]


def _plain_object(c: Ctx, kind: str) -> Model:
    """The one row requested for models that hold no case data."""
    world = c.data.world
    return {
        "category": lambda: c.data.category,
        "area": lambda: Area.objects.get(code=BATU_MERAH),
        "agency": lambda: world.health,
        "membership": lambda: Membership.objects.get(user=world.health_staff),
        "user": lambda: world.health_staff,
        "group": lambda: world.health.group,
        "target": lambda: ServiceTarget.objects.order_by("pk").first(),
        "escalationstep": lambda: EscalationStep.objects.get(level=1),
        "officeday": lambda: OfficeDay.objects.get(agency=world.health),
        "apikey": lambda: ApiKey.objects.get(agency=world.health),
    }[kind]()


# --- Checks on lists, pickers and pages ----------------------------------------------------------


def rows_are(c: Ctx, kind: str, expected: set[Any], *, total: int | None) -> Check:
    """The changelist shows exactly ``expected`` and says so: "N results (``total`` total)"
    (``total`` None: a list that does not count all its rows, ``show_full_result_count``)."""

    def names(pks: set[Any]) -> list[str]:
        return sorted(c.data.labels.get((kind, pk), f"{kind}#{pk}") for pk in pks)

    def check(response: HttpResponse) -> list[str]:
        cl = response.context["cl"]
        shown = {obj.pk for obj in cl.result_list}
        problems = []
        if shown != expected:
            problems.append(
                f"rows: extra {names(shown - expected)}, lacking {names(expected - shown)}"
            )
        counts = (cl.result_count, cl.full_result_count)
        if counts != (len(expected), total):
            problems.append(f"counts {counts}, not {(len(expected), total)}")
        shown_total = total is not None and len(expected) != total
        if shown_total and f"{total} total" not in response.content.decode():
            problems.append(f"the page does not say '{total} total'")
        return problems

    return check


def status_facets_sum_to(expected: int, field_path: str = "status") -> Check:
    """With facets on, the counts per status (or ``field_path``) add up to the rows the persona
    may see."""

    def check(response: HttpResponse) -> list[str]:
        cl = response.context["cl"]
        [spec] = [s for s in cl.filter_specs if getattr(s, "field_path", None) == field_path]
        displays = [str(choice["display"]) for choice in spec.choices(cl)]
        counts = [int(m.group(1)) for d in displays if (m := re.search(r"\((\d+)\)$", d))]
        if sum(counts) == expected:
            return []
        return [f"{field_path} facets {displays}, not {expected}"]

    return check


def picker_offers(expected: set[str]) -> Check:
    def check(response: HttpResponse) -> list[str]:
        offered = {r["text"] for r in response.json()["results"]}
        if offered == expected:
            return []
        return [f"offers extra {offered - expected}, lacks {expected - offered}"]

    return check


def picker_ids(kind: str, c: Ctx, expected: set[Any]) -> Check:
    """Offers exactly ``expected``; on a first page of more (select2's pages of 20), only what
    is expected and a full page of it."""

    def check(response: HttpResponse) -> list[str]:
        answer = response.json()
        offered = {int(r["id"]) for r in answer["results"]}
        more = answer.get("pagination", {}).get("more")
        if offered == expected or (more and offered < expected and len(offered) == 20):
            return []
        extra = sorted(c.data.labels.get((kind, pk), pk) for pk in offered - expected)
        lacking = sorted(c.data.labels.get((kind, pk), pk) for pk in expected - offered)
        return [f"offers extra {extra}, lacks {lacking}"]

    return check


def shows(text: str) -> Check:
    """A page the persona may see does show the case (the matrix is not passing blank pages)."""
    return lambda response: [] if text in response.content.decode() else [f"{text!r} not shown"]


# --- Registry building blocks --------------------------------------------------------------------

Builder = Callable[["Ctx", str], list[Target]]
Form = dict[str, Any] | Callable[[Ctx], dict[str, Any]] | None


def object_page(
    kind: str,
    *,
    seen: Rule,
    unseen: Rule,
    partner: Answer | None = None,
    post: Form = None,
    post_seen: Rule | None = None,
    version: bool = False,
    shows_case: bool = False,
) -> Builder:
    """A page about one object: every object from ``Ctx.objects``, a missing and a nonsense id.

    ``seen``: the answer on an object the persona sees (``partner``: on its partner's dispatch);
    ``unseen``: on one it does not see, which must answer exactly like a missing id (for models
    without case data, ``unseen`` is just the answer on a missing id). With ``post``, each object
    is also POSTed to by those who may not write there (``post_seen``: the answer on a seen
    object when not the GET's; None: that persona may write there, so no POST).
    """

    def build(c: Ctx, name: str) -> list[Target]:
        def url(*ids: Any) -> str:
            return reverse(name, args=ids)

        form = post(c) if callable(post) else post
        targets = []
        for obj in c.objects(kind):
            ids = (obj.pk, obj.version) if version else (obj.pk,)
            if not obj.seen:
                targets.append(Target(obj.variant, url(*ids), unseen(c), ids, "missing", post=form))
                continue
            expect = partner if obj.variant == "partner" and partner else seen(c)
            if expect is None:
                continue
            check = None
            if shows_case and expect == OK:
                check = shows(_case_text(kind, obj.pk))
            answer = post_seen(c) if post_seen else None
            targets.append(
                Target(
                    obj.variant, url(*ids), expect, ids, check=check, post=form, post_expect=answer
                )
            )
        bad: list[tuple[str, tuple[Any, ...]]] = [
            ("missing", (MISSING, MISSING) if version else (MISSING,)),
            ("nonsense_id", (NONSENSE, NONSENSE) if version else (NONSENSE,)),
        ]
        if version:  # a real object with another object's version, or with an impossible one
            real = next((o for o in c.objects(kind) if o.seen), c.objects(kind)[0])
            if kind in SCOPED:
                bad.append(("other_objects_version", (real.pk, _other_version(kind, real.pk))))
            bad.append(("nonsense_version", (real.pk, NONSENSE)))
        for variant, ids in bad:
            same = None if variant == "missing" else "missing"
            targets.append(Target(variant, url(*ids), unseen(c), ids, same))
        return targets

    return build


def _case_text(kind: str, pk: Any) -> str:
    if kind == "note":
        return Note.objects.get(pk=pk).body
    if kind in ("dispatch", "clock", "notification"):
        return SCOPED[kind].objects.get(pk=pk).incident.reference
    return Incident.objects.get(pk=pk).reference


def page(variant: str, rule: Rule, post: Form = None) -> Builder:
    """A page without ids (an add form, a list with nothing to scope)."""

    def build(c: Ctx, name: str) -> list[Target]:
        return [Target(variant, reverse(name), rule(c), post=post(c) if callable(post) else post)]

    return build


def old_change_address(kind: str) -> Builder:
    """``admin/<app>/<model>/<id>/``: Django's pre-1.9 change address, redirected for any id."""
    app = {"user": "auth", "group": "auth", "agency": "agencies", "membership": "agencies"}
    app |= {"apikey": "agencies"}
    app |= dict.fromkeys(("target", "escalationstep", "officeday", "clock", "notification"), "sla")
    app["evaluation"] = "sla"
    prefix = f"/admin/{app.get(kind, 'incidents')}/{kind}/"

    def build(c: Ctx, name: str) -> list[Target]:
        expect = staff(redirect(re.escape(prefix) + "[^/]+/change/"))(c)
        targets = [Target("missing", f"{prefix}{MISSING}/", expect, (MISSING,))]
        for obj in c.objects(kind):
            same = None if obj.seen else "missing"
            targets.append(Target(obj.variant, f"{prefix}{obj.pk}/", expect, (obj.pk,), same))
        return targets

    return build


def query(name: str, **params: Any) -> str:
    return reverse(name) + (f"?{urlencode(params, quote_via=quote)}" if params else "")


# --- Lists ---------------------------------------------------------------------------------------


def _incident_changelist(c: Ctx, name: str) -> list[Target]:
    ok = staff(OK)(c)
    visible = {x.incident.pk for x in c.visible_cases()}

    def rows(expected: set[Any]) -> Check:
        # The case list counts nothing beyond its page (cc112/admin_paging.py).
        return rows_are(c, "incident", expected, total=None)

    other = c.other_agencys_case()
    other_row = {other.incident.pk} if c.sees(other.key) else set()
    dispatched = {x.incident.pk for x in c.visible_cases() if x.incident.status == "dispatched"}
    return [
        Target("list", query(name), ok, check=rows(visible)),
        Target("facets", query(name, _facets=1), ok, check=status_facets_sum_to(len(visible))),
        *(
            Target(
                f"search_{c.case_variant(key)}",
                query(name, q=x.incident.reference),
                ok,
                check=rows({x.incident.pk} if c.sees(key) else set()),
            )
            for key, x in c.data.cases.items()
        ),
        Target(
            "filter_other_agencys_kecamatan",
            query(name, kecamatan=f"Kec-{other.key}-x"),
            ok,
            check=rows(other_row),
        ),
        Target(
            # The caller is no column of the case any more (CallerIdentity): searched, not
            # filtered by, and found only on cases the persona sees.
            "search_other_agencys_phone",
            query(name, q=other.incident.caller_phone),
            ok,
            check=rows(other_row),
        ),
        Target(
            "filter_status", query(name, status__exact="dispatched"), ok, check=rows(dispatched)
        ),
    ]


def _dispatch_changelist(c: Ctx, name: str) -> list[Target]:
    ok = staff(OK)(c)
    every = c.visible_dispatches()
    # An agency gets its own queue first and all it may see on request; the centre sees all.
    all_mine = {} if c.is_centre else {"queue": "all"}
    health = c.data.world.health
    healths = {pk for pk in every if c.data.labels[("dispatch", pk)].endswith("/dinkes")}

    def rows(expected: set[Any]) -> Check:
        return rows_are(c, "dispatch", expected, total=None)  # keyset pages: nothing counted

    return [
        Target("queue", query(name), ok, check=rows(c.visible_dispatches(own_agency_only=True))),
        Target("all", query(name, **all_mine), ok, check=rows(every)),
        Target(
            "facets", query(name, _facets=1, **all_mine), ok, check=status_facets_sum_to(len(every))
        ),
        Target(
            "filter_health",
            query(name, agency__id__exact=health.pk, **all_mine),
            ok,
            check=rows(healths),
        ),
        *(
            Target(
                f"search_{c.case_variant(key)}",
                query(name, q=x.incident.reference, **all_mine),
                ok,
                check=rows({d.pk for d in x.dispatches.values()} if c.sees(key) else set()),
            )
            for key, x in c.data.cases.items()
        ),
    ]


def _note_changelist(c: Ctx, name: str) -> list[Target]:
    ok = staff(OK)(c)
    visible = {n.pk for x in c.visible_cases() for n in x.notes}

    def rows(expected: set[Any]) -> Check:
        return rows_are(c, "note", expected, total=len(visible))

    return [
        Target("list", query(name), ok, check=rows(visible)),
        *(
            Target(
                f"search_{c.case_variant(key)}",
                query(name, q=x.incident.reference),
                ok,
                check=rows({n.pk for n in x.notes} if c.sees(key) else set()),
            )
            for key, x in c.data.cases.items()
        ),
    ]


def _call_changelist(c: Ctx, name: str) -> list[Target]:
    every = set(Call.objects.values_list("pk", flat=True))
    other = c.other_agencys_case().incident
    return [
        Target(
            "list", query(name), CENTRE_ONLY(c), check=rows_are(c, "call", every, total=len(every))
        ),
        Target(
            "search_other_agencys_phone",
            query(name, q=other.caller_phone),
            CENTRE_ONLY(c),
            check=rows_are(c, "call", {other.call_id}, total=len(every)),
        ),
    ]


def _clock_changelist(c: Ctx, name: str) -> list[Target]:
    """The live board: every clock of the cases the persona sees (an agency: not the centre's
    dispatch clocks), with every state (the list opens on running ones); it does not count all
    rows (``show_full_result_count``)."""
    ok = staff(OK)(c)
    every = c.visible_clocks()
    other = c.other_agencys_case()
    clocks = [(name, clock) for x in c.data.cases.values() for name, clock in x.clocks.items()]
    healths = {clock.pk for name, clock in clocks if name.startswith("dinkes/")} & every
    # Level 3 flags the case for evaluation: it fired for every clock still running.
    flagged = {clock.pk for _name, clock in clocks if clock.flagged_for_evaluation} & every
    dispatch_clocks = {clock.pk for name, clock in clocks if name == "dispatch"} & every

    def rows(expected: set[Any]) -> Check:
        return rows_are(c, "clock", expected, total=None)

    def of(case: Case) -> set[Any]:
        return {clock.pk for clock in case.clocks.values()} & every

    return [
        Target("list", query(name, state="all"), ok, check=rows(every)),
        Target(
            "facets",
            query(name, state="all", _facets=1),
            ok,
            check=status_facets_sum_to(len(every), "kind"),
        ),
        *(
            Target(
                f"search_{c.case_variant(key)}",
                query(name, state="all", q=x.incident.reference),
                ok,
                check=rows(of(x)),
            )
            for key, x in c.data.cases.items()
        ),
        Target(
            "filter_other_agencys_case",
            query(name, state="all", incident__id__exact=other.incident.pk),
            ok,
            check=rows(of(other)),
        ),
        Target(
            "filter_dispatch_clocks",
            query(name, state="all", kind__exact="dispatch"),
            ok,
            check=rows(dispatch_clocks),
        ),
        Target(
            "filter_health",
            query(name, state="all", agency__id__exact=c.data.world.health.pk),
            ok,
            check=rows(healths),
        ),
        Target(
            "filter_flagged",
            query(name, state="all", flagged_for_evaluation__exact=1),
            ok,
            check=rows(flagged),
        ),
    ]


def _notification_changelist(c: Ctx, name: str) -> list[Target]:
    """One's own notifications, and nobody else's: marking others' read marks nothing."""
    ok = staff(OK)(c)
    mine = {n.pk for n in c.own_notifications()}
    others = [o.pk for o in c.objects("notification") if not o.seen]
    supervisor = c.data.world.supervisor

    def rows(expected: set[Any]) -> Check:
        return rows_are(c, "notification", expected, total=len(mine))

    heads = {n.pk for n in c.own_notifications() if n.audience == "agency_head"}
    return [
        Target("list", query(name), ok, check=rows(mine)),
        Target(
            "facets", query(name, _facets=1), ok, check=status_facets_sum_to(len(mine), "audience")
        ),
        Target(
            "filter_supervisors",
            query(name, recipient__id__exact=supervisor.pk),
            ok,
            check=rows(mine if c.persona == "supervisor" else set()),
        ),
        Target(
            "filter_agency_head", query(name, audience__exact="agency_head"), ok, check=rows(heads)
        ),
        Target(
            "mark_others_read",
            query(name),
            ok,
            check=rows(mine),
            post={"action": "mark_read", "index": "0", "_selected_action": others},
            post_expect=staff(redirect(re.escape(reverse(name))))(c),
        ),
    ]


# --- The admin site's own pages and the rest -----------------------------------------------------


def _autocomplete(c: Ctx, name: str) -> list[Target]:
    """The select2 pickers: cases (reached through three relations), clocks, calls, categories,
    agencies and accounts, each fed by its admin's scoped list."""

    def picker(model: str, field_name: str, term: str, app: str = "incidents") -> str:
        return query(name, app_label=app, model_name=model, field_name=field_name, term=term)

    refs = {x.incident.reference for x in c.visible_cases()}
    other = c.other_agencys_case()
    other_ref = {other.incident.reference} & refs
    ok = staff(OK)(c)
    return [
        Target("cases", picker("dispatch", "incident", "112-"), ok, check=picker_offers(refs)),
        Target(
            "cases_for_notes", picker("note", "incident", "112-"), ok, check=picker_offers(refs)
        ),
        Target(
            "other_agencys_reference",
            picker("dispatch", "incident", other.incident.reference),
            ok,
            check=picker_offers(other_ref),
        ),
        Target(
            "other_agencys_location",
            picker("dispatch", "incident", f"Lokasi-{other.key}"),
            ok,
            check=picker_offers(other_ref),
        ),
        Target(
            "cases_for_clocks",
            picker("clock", "incident", "112-", app="sla"),
            ok,
            check=picker_offers(refs),
        ),
        Target(  # the clock board's own search, reached through an escalation's clock
            "clocks",
            picker("escalation", "clock", "112-", app="sla"),
            ok,
            check=picker_ids("clock", c, c.visible_clocks()),
        ),
        Target("calls", picker("incident", "call", "0"), CENTRE_ONLY(c)),
        Target("categories", picker("incident", "category", "MED"), ok),
        Target(
            "areas",
            picker("incident", "area", "batu"),
            ok,
            check=picker_offers({f"Batu {n} (Sirimau)" for n in ("Gajah", "Meja", "Merah")}),
        ),
        Target("agencies", picker("membership", "agency", "a", app="agencies"), ok),
        Target("users", picker("membership", "user", "a", app="agencies"), staff(FORBIDDEN)(c)),
        Target(
            "bad_parameters",
            query(name, app_label="incidents", model_name="x"),
            staff(FORBIDDEN)(c),
        ),
    ]


def _sidebar_search(c: Ctx, name: str) -> list[Target]:
    """unfold's sidebar search: model names only (``COMMAND.search_models`` is not set)."""
    ref = c.other_agencys_case().incident.reference
    return [
        Target("models", query(name, s="case"), staff(OK)(c)),
        Target("other_agencys_reference", query(name, s=ref), staff(OK)(c)),
        Target("other_agencys_reference_extended", query(name, s=ref, extended=1), staff(OK)(c)),
    ]


def _view_on_site(c: Ctx, name: str) -> list[Target]:
    """``admin/r/<content type>/<id>/``: cases have no page outside the portal, so 404 for any."""
    ct = ContentType.objects.get_for_model(Incident).pk
    answer = staff(NOT_FOUND)(c)
    targets = [Target("missing", reverse(name, args=(ct, MISSING)), answer, (MISSING,))]
    for obj in c.objects("incident"):
        same = None if obj.seen else "missing"
        targets.append(
            Target(obj.variant, reverse(name, args=(ct, obj.pk)), answer, (obj.pk,), same)
        )
    return targets


def _index(c: Ctx, name: str) -> list[Target]:
    """The portal's home: the centre's staff are sent to the board, an agency's to its inbox
    (each page then checked like any other); the model index itself is ``?all=1``."""
    home = by_role(
        centre=redirect(re.escape(reverse("admin:incidents_board"))),
        agency=redirect(re.escape(reverse("admin:incidents_inbox"))),
    )(c)
    return [Target("home", reverse(name), home), Target("all", query(name, all=1), staff(OK)(c))]


def _set_language(c: Ctx, name: str) -> list[Target]:
    case = reverse("admin:incidents_incident_change", args=(c.other_agencys_case().incident.pk,))
    return [
        Target("get", query(name), redirect("/")),
        Target("next_other_agencys_case", query(name, next=case), redirect(re.escape(case))),
    ]


def _logout(c: Ctx, name: str) -> list[Target]:
    # A POST logs out (a GET is refused); the runner logs the persona back in.
    return [
        Target(
            "logout",
            reverse(name),
            by_role(centre=NOT_ALLOWED, agency=NOT_ALLOWED, nobody=TO_INDEX)(c),
            post={},
            post_expect=by_role(centre=OK, agency=OK, nobody=TO_INDEX)(c),
        )
    ]


def _catch_all(c: Ctx, name: str) -> list[Target]:
    """Unknown admin addresses; one without its final slash is redirected to it, for any id."""
    slash = staff(redirect(r"/admin/incidents/incident/[^/]+/change/", 301))(c)
    targets = [
        Target("unknown_page", "/admin/no-such-page/", staff(NOT_FOUND)(c)),
        Target("unregistered_model", "/admin/incidents/referencesequence/", staff(NOT_FOUND)(c)),
        Target(
            "no_slash_missing", f"/admin/incidents/incident/{MISSING}/change", slash, (MISSING,)
        ),
    ]
    for obj in c.objects("incident"):
        same = None if obj.seen else "no_slash_missing"
        url = f"/admin/incidents/incident/{obj.pk}/change"
        targets.append(Target(f"no_slash_{obj.variant}", url, slash, (obj.pk,), same))
    return targets


def _app_index(c: Ctx, name: str) -> list[Target]:
    return [
        Target("incidents", reverse(name, args=("incidents",)), staff(OK)(c)),
        Target("agencies", reverse(name, args=("agencies",)), staff(OK)(c)),
        Target("auth", reverse(name, args=("auth",)), staff(NOT_FOUND)(c)),  # no role sees users
        Target("sla", reverse(name, args=("sla",)), staff(OK)(c)),  # clocks and notifications
    ]


# --- Forms a refused POST sends (each would write, were it allowed) ------------------------------


def case_form(c: Ctx) -> dict[str, Any]:
    return {
        "channel": "phone",
        "caller_name": "Bocor",
        "caller_phone": "0800000000",
        "received_at_0": "",
        "received_at_1": "",
        "location_text": "Bocor",
        "kecamatan": "Bocor",
        "category": str(c.data.category.pk),
        "priority": "1",
        "description": "Bocor",
    }


def dispatch_form(c: Ctx) -> dict[str, Any]:
    return {
        "agencies": [str(c.data.world.police.pk), str(c.data.world.health.pk)],
        "instructions": "x",
    }


def membership_form(c: Ctx) -> dict[str, Any]:
    return {
        "user": str(c.data.world.outsider.pk),
        "agency": str(c.data.world.police.pk),
        "role": "staff",
    }


NOTE_FORM = {"body": "Bocor"}
REASON_FORM = {"reason": "Bocor", "note": "Bocor"}
STEP_FORM = {"reason": "Bocor", "resolution": "Bocor", "at_0": "", "at_1": ""}
CALL_FORM = {"outcome": "prank", "callback_number": "0811 2233 4455", "notes": "Bocor"}
CATEGORY_FORM = {
    "code": "BOCOR",
    "sort_order": "1",
    "name_id": "B",
    "name_en": "B",
    "default_priority": "2",
}
BATU_MERAH = "81.71.02.2003"


def area_form(c: Ctx) -> dict[str, Any]:
    return {
        "code": "81.71.02.2999",
        "level": "4",
        "kind": "desa",
        "parent": str(Area.objects.get(code="81.71.02").pk),
        "name": "Bocor",
        "postal_code": "97128",
        "latitude": "",
        "longitude": "",
        "active": "on",
    }


AGENCY_FORM = {
    "code": "bocor",
    "short_name": "B",
    "name": "B",
    "kind": "police",
    "working_hours": "24_7",
}
DELETE_FORM = {"post": "yes"}
PASSWORD_FORM = {"password1": "Sandi-baru-112!", "password2": "Sandi-baru-112!"}
READ_ONLY = staff(FORBIDDEN)  # a POST where the persona may only read
CLOCK_FORM = {"flagged_for_evaluation": "on", "state": "met"}
NOTIFICATION_FORM = {"read_at_0": "01-01-2026", "read_at_1": "00:00:00", "email_status": "sent"}
LADDER_FORM = {"level": "9", "percent": "999", "notify_coordinator": "on"}


def service_target_form(c: Ctx) -> dict[str, Any]:
    return {
        "kind": "acknowledge",
        "priority": "1",
        "category": str(c.data.category.pk),
        "agency": str(c.data.world.health.pk),
        "target": "00:05:00",
    }


def office_day_form(c: Ctx) -> dict[str, Any]:
    return {
        "agency": str(c.data.world.health.pk),
        "weekday": "3",
        "opens": "08:00",
        "closes": "15:00",
    }


def _auth_pages(model: str, form: dict[str, Any]) -> dict[str, Builder]:
    p = f"admin:auth_{model}_"
    no = staff(FORBIDDEN)
    return {
        p + "changelist": page("list", no),
        p + "add": page("form", no, post=form),
        p + "change": object_page(model, seen=no, unseen=no, post=form),
        # Django's own history page looks the row up before the permission: a missing id
        # redirects where an existing one is refused (account ids only, no case data).
        p + "history": object_page(model, seen=no, unseen=staff(TO_INDEX), post=form),
        p + "delete": object_page(model, seen=no, unseen=no, post=DELETE_FORM),
        f"admin/auth/{model}/<path:object_id>/": old_change_address(model),
    }


def _policy_pages(model: str, form: Form, *, adds: bool) -> dict[str, Builder]:
    """Service-level policies: the centre reads them, its supervisors and coordinators set
    them (``adds``: add and delete too, not just change); agencies do not see them."""
    p = f"admin:sla_{model}_"
    writer = MANAGERS_ONLY if adds else staff(FORBIDDEN)
    read = CENTRE_ONLY
    return {
        p + "changelist": page("list", read),
        p + "add": page("form", writer, post=form),
        p + "change": object_page(
            model,
            seen=read,
            # Django's answers to a missing id, after the permission: no case data here.
            unseen=by_role(centre=TO_INDEX, agency=FORBIDDEN),
            post=form,
            post_seen=by_role(centre=FORBIDDEN, manager=None, agency=FORBIDDEN),
        ),
        p + "history": object_page(model, seen=read, unseen=staff(NOT_FOUND)),
        p + "simple_history": object_page(
            model, seen=read, unseen=staff(NOT_FOUND), version=True, post=form, post_seen=READ_ONLY
        ),
        p + "delete": object_page(
            model,
            seen=writer,
            unseen=by_role(centre=FORBIDDEN, manager=TO_INDEX, agency=FORBIDDEN)
            if adds
            else staff(FORBIDDEN),
            post=DELETE_FORM,
        ),
        f"admin/sla/{model}/<path:object_id>/": old_change_address(model),
    }


def _case_data_pages(model: str, form: dict[str, Any], changelist: Builder) -> dict[str, Builder]:
    """Clocks and notifications: case data, read-only in the portal, scoped like their cases
    (a row out of scope answers exactly like a missing id)."""
    p = f"admin:sla_{model}_"
    unseen = staff(NOT_FOUND)
    return {
        p + "changelist": changelist,
        p + "add": page("form", staff(FORBIDDEN), post=form),
        p + "change": object_page(
            model, seen=staff(OK), unseen=unseen, post=form, post_seen=READ_ONLY, shows_case=True
        ),
        p + "history": object_page(model, seen=staff(OK), unseen=unseen),
        p + "delete": object_page(model, seen=staff(FORBIDDEN), unseen=unseen, post=DELETE_FORM),
        f"admin/sla/{model}/<path:object_id>/": old_change_address(model),
    }


# --- The API (/api/v1/): JSON, the session's user, 401 for those without one -------------------

UNAUTHENTICATED = Answer(401)


def api(*, centre: Answer | None, agency: Answer | None, outsider: Answer | None) -> Rule:
    """The API's answer for the centre (operators, supervisors, coordinator), agency staff, a
    logged-in account in no agency, and those it does not authenticate (anonymous, inactive)."""

    def rule(c: Ctx) -> Answer | None:
        if c.persona in ("anonymous", "inactive"):
            return UNAUTHENTICATED
        if c.persona == "outsider":
            return outsider
        return centre if c.is_centre else agency

    return rule


API_OK = api(centre=OK, agency=OK, outsider=OK)
API_MISS = api(centre=NOT_FOUND, agency=NOT_FOUND, outsider=NOT_FOUND)
API_GET_REFUSED = api(centre=NOT_ALLOWED, agency=NOT_ALLOWED, outsider=NOT_ALLOWED)
API_CENTRE_WRITES = api(centre=None, agency=FORBIDDEN, outsider=FORBIDDEN)
API_WRITES = api(centre=None, agency=None, outsider=None)


def api_rows(c: Ctx, kind: str, expected: set[Any]) -> Check:
    """A JSON list (paged or not) holds exactly ``expected``."""

    def check(response: HttpResponse) -> list[str]:
        body = response.json()
        shown = {row["id"] for row in (body["results"] if isinstance(body, dict) else body)}
        if shown == expected:
            return []
        label = c.data.labels.get
        extra = sorted(label((kind, pk), pk) for pk in shown - expected)
        lacking = sorted(label((kind, pk), pk) for pk in expected - shown)
        return [f"rows: extra {extra}, lacking {lacking}"]

    return check


def api_object(
    kind: str,
    path: str,
    *,
    get: Rule,
    post: Form = None,
    post_seen: Rule | None = None,
    partner_post: Answer | None = None,
    rows: Callable[[Ctx, Any], set[Any]] | None = None,
) -> Builder:
    """An API address about one object, ``path`` with ``{}`` for its id: every object the
    persona sees (``get`` on GET; ``post_seen`` on POST, None where it may write, so no POST;
    ``partner_post`` on its partner's dispatch) and every one it does not, a missing and a
    nonsense id, which answer alike (404, or 405 where GET is not a method of the address)."""

    def build(c: Ctx, name: str) -> list[Target]:
        form = post(c) if callable(post) else post
        get_unseen = API_GET_REFUSED(c) if get is API_GET_REFUSED else API_MISS(c)
        targets = []
        for obj in c.objects(kind):
            url = path.format(obj.pk)
            if not obj.seen:
                targets.append(
                    Target(
                        obj.variant,
                        url,
                        get_unseen,
                        (obj.pk,),
                        "missing",
                        post=form,
                        post_expect=API_MISS(c) if form is not None else None,
                        json=True,
                    )
                )
                continue
            answer = post_seen(c) if post_seen else None
            if obj.variant == "partner" and partner_post is not None:
                answer = partner_post
            check = None
            if rows is not None and get(c) == OK:
                check = api_rows(c, kind if kind != "incident" else "dispatch", rows(c, obj.pk))
            targets.append(
                Target(
                    obj.variant,
                    url,
                    get(c),
                    (obj.pk,),
                    check=check,
                    post=form if answer is not None else None,
                    post_expect=answer,
                    json=True,
                )
            )
        for variant, pk in (("missing", MISSING), ("nonsense_id", NONSENSE)):
            same = None if variant == "missing" else "missing"
            targets.append(
                Target(
                    variant,
                    path.format(pk),
                    get_unseen,
                    (pk,),
                    same,
                    post=form,
                    post_expect=API_MISS(c) if form is not None else None,
                    json=True,
                )
            )
        return targets

    return build


def _api_incident_list(c: Ctx, name: str) -> list[Target]:
    visible = {case.incident.pk for case in c.visible_cases()}
    with_health = {
        case.incident.pk
        for case in c.visible_cases()
        if "dinkes" in case.dispatches or case.key == "cancelled_dispatch"
    }
    url = reverse(name)
    create = {"category": "MED", "location_text": "Bocor", "description": "Bocor"}
    ok = API_OK(c)
    rows = (lambda expected: api_rows(c, "incident", expected)) if ok == OK else lambda e: None
    return [
        Target(
            "all",
            url,
            ok,
            check=rows(visible),
            post=create,
            post_expect=API_CENTRE_WRITES(c),
            json=True,
        ),
        Target("dispatched_to_health", f"{url}?agency=dinkes", ok, check=rows(with_health)),
        Target("category", f"{url}?category=MED&ordering=updated_at", ok, check=rows(visible)),
        Target(
            "updated_since", f"{url}?updated_since=2000-01-01T00:00:00Z", ok, check=rows(visible)
        ),
    ]


def _api_dispatch_list(c: Ctx, name: str) -> list[Target]:
    ok = API_OK(c)
    check = api_rows(c, "dispatch", c.visible_dispatches()) if ok == OK else None
    return [Target("all", reverse(name), ok, check=check)]


def _api_webhook_list(c: Ctx, name: str) -> list[Target]:
    """Subscribing: the centre's operators and supervisors and those in no agency are refused;
    agencies and the coordinator get as far as the address, which is on a private network."""
    ok = API_OK(c)
    seen = {o.pk for o in c.objects("webhook") if o.seen}
    refused = (
        Answer(400)
        if c.persona == "coordinator"
        else api(centre=FORBIDDEN, agency=Answer(400), outsider=FORBIDDEN)(c)
    )
    return [
        Target(
            "all",
            reverse(name),
            ok,
            check=api_rows(c, "webhook", seen) if ok == OK else None,
            post={"url": "http://10.0.0.7/hook", "events": ["incident.closed"]},
            post_expect=refused,
            json=True,
        )
    ]


def _case_dispatches(c: Ctx, incident_pk: Any) -> set[Any]:
    return {
        d.pk
        for case in c.data.cases.values()
        if case.incident.pk == incident_pk
        for d in case.dispatches.values()
    }


def _api_step(action: str, body: dict[str, Any], *, centre_only: bool = False) -> Builder:
    return api_object(
        "dispatch",
        "/api/v1/dispatches/{}/" + action + "/",
        get=API_GET_REFUSED,
        post=body,
        post_seen=API_CENTRE_WRITES if centre_only else API_WRITES,
        partner_post=FORBIDDEN,
    )


def apikey_form(c: Ctx) -> dict[str, Any]:
    return {"agency": str(c.data.world.police.pk), "name": "Bocor", "requests_per_minute": "60"}


def keys(answer: Answer = OK) -> Rule:
    """API keys: administrators and the 112 coordinator manage them; nobody else opens them."""
    return lambda c: answer if c.persona == "coordinator" else staff(FORBIDDEN)(c)


def _api_key_pages() -> dict[str, Builder]:
    p = "admin:agencies_apikey_"
    read_only = staff(FORBIDDEN)
    return {
        p + "changelist": page("list", keys()),
        p + "add": page("form", keys(), post=apikey_form),
        p + "change": object_page(
            "apikey", seen=keys(), unseen=keys(TO_INDEX), post=apikey_form, post_seen=read_only
        ),
        p + "history": object_page("apikey", seen=keys(), unseen=staff(NOT_FOUND)),
        p + "simple_history": object_page(
            "apikey",
            seen=keys(),
            unseen=staff(NOT_FOUND),
            version=True,
            post=apikey_form,
            post_seen=read_only,
        ),
        p + "delete": object_page("apikey", seen=read_only, unseen=read_only, post=DELETE_FORM),
        p + "revoke_key": object_page(
            "apikey",
            seen=keys(),
            unseen=keys(NOT_FOUND),
            post=REASON_FORM,
            post_seen=lambda c: None if c.persona == "coordinator" else staff(FORBIDDEN)(c),
        ),
        "admin/agencies/apikey/<path:object_id>/": old_change_address("apikey"),
    }


def _api_pages() -> dict[str, Builder]:
    incident = "/api/v1/incidents/{}/"
    return {
        "api:schema": page("schema", lambda c: OK),
        "api:docs": page("docs", lambda c: OK),
        "api:not-found": lambda c, name: [Target("unknown", "/api/v1/no-such/", NOT_FOUND)],
        "api:category-list": page("list", API_OK),
        "api:agency-list": page("list", API_OK),
        "api:incident-list": _api_incident_list,
        "api:incident-detail": api_object("incident", incident, get=API_OK),
        "api:incident-dispatches": api_object(
            "incident",
            incident + "dispatches/",
            get=API_OK,
            post=lambda c: {"agencies": ["polresta", "dinkes"]},
            post_seen=API_CENTRE_WRITES,
            rows=_case_dispatches,
        ),
        "api:incident-notes": api_object(
            "incident",
            incident + "notes/",
            get=API_OK,
            post={"body": "Bocor"},
            post_seen=API_WRITES,
        ),
        "api:incident-clocks": api_object("incident", incident + "clocks/", get=API_OK),
        "api:incident-history": api_object("incident", incident + "history/", get=API_OK),
        "api:incident-close": api_object(
            "incident",
            incident + "close/",
            get=API_GET_REFUSED,
            post={"note": "Bocor"},
            post_seen=API_CENTRE_WRITES,
        ),
        "api:incident-cancel": api_object(
            "incident",
            incident + "cancel/",
            get=API_GET_REFUSED,
            post={"reason": "Bocor"},
            post_seen=API_CENTRE_WRITES,
        ),
        "api:dispatch-list": _api_dispatch_list,
        "api:webhook-list": _api_webhook_list,
        "api:webhook-detail": api_object("webhook", "/api/v1/webhooks/{}/", get=API_OK),
        "api:webhook-deliveries": api_object(
            "webhook", "/api/v1/webhooks/{}/deliveries/", get=API_OK
        ),
        "api:dispatch-detail": api_object("dispatch", "/api/v1/dispatches/{}/", get=API_OK),
        "api:dispatch-acknowledge": _api_step("acknowledge", {}),
        "api:dispatch-en-route": _api_step("en-route", {}),
        "api:dispatch-on-scene": _api_step("on-scene", {}),
        "api:dispatch-resolve": _api_step("resolve", {"resolution": "Bocor"}),
        "api:dispatch-decline": _api_step("decline", {"reason": "Bocor"}),
        "api:dispatch-cancel": _api_step("cancel", {"reason": "Bocor"}, centre_only=True),
    }


# --- The registry: every URL pattern, by name (or by route when it has none) ---------------------

REGISTRY: dict[str, Builder] = {
    "": lambda c, name: [Target("root", "/", TO_INDEX)],  # the site root
    "set_language": _set_language,
    "admin:index": _index,
    "admin:login": page("form", by_role(centre=TO_INDEX, agency=TO_INDEX, nobody=OK)),
    "admin:logout": _logout,
    "admin:password_change": page("form", staff(OK)),
    "admin:password_change_done": page("done", staff(OK)),
    # Each person's own second factor (cc112.mfa): nobody reaches another's.
    "admin:mfa": page("own", staff(OK), post={}),
    "admin:mfa_totp": page("own", staff(OK), post={"otp_token": "000000"}),
    "admin:autocomplete": _autocomplete,
    "admin:jsi18n": page("catalog", staff(OK)),
    "admin:search": _sidebar_search,
    "admin:view_on_site": _view_on_site,
    "admin:app_list": _app_index,
    "admin/(?P<url>.*)$": _catch_all,
    # --- Cases
    "admin:incidents_incident_changelist": _incident_changelist,
    "admin:incidents_incident_add": page("form", CENTRE_ONLY, post=case_form),
    "admin:incidents_incident_change": object_page(
        "incident",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        post=case_form,
        post_seen=by_role(centre=None, agency=FORBIDDEN),
        shows_case=True,
    ),
    "admin:incidents_incident_history": object_page(
        "incident", seen=staff(OK), unseen=staff(NOT_FOUND), shows_case=True
    ),
    "admin:incidents_incident_simple_history": object_page(
        "incident",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=case_form,
        post_seen=READ_ONLY,  # a version is looked at, never reverted to
        shows_case=True,
    ),
    "admin:incidents_incident_delete": object_page(
        "incident", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    "admin:incidents_incident_add_note": object_page(
        "incident", seen=staff(OK), unseen=staff(NOT_FOUND), post=NOTE_FORM
    ),
    "admin:incidents_incident_dispatch_case": object_page(
        "incident", seen=CENTRE_ONLY, unseen=staff(NOT_FOUND), post=dispatch_form
    ),
    **{
        f"admin:incidents_incident_{action}": object_page(
            "incident", seen=CENTRE_ONLY, unseen=staff(NOT_FOUND), post=REASON_FORM
        )
        for action in ("close_case", "cancel_case", "reopen_case")
    },
    "admin:incidents_incident_share_case": object_page(
        "incident", seen=MANAGERS_ONLY, unseen=staff(NOT_FOUND), post=REASON_FORM
    ),
    "admin/incidents/incident/<path:object_id>/": old_change_address("incident"),
    # --- Shares (the centre's record; revoked by its supervisors and coordinators)
    "admin:incidents_share_changelist": page("list", CENTRE_ONLY),
    "admin:incidents_share_add": page("form", staff(FORBIDDEN), post=REASON_FORM),
    "admin:incidents_share_change": object_page(
        "share", seen=staff(OK), unseen=staff(NOT_FOUND), post=REASON_FORM, post_seen=READ_ONLY
    ),
    "admin:incidents_share_history": object_page("share", seen=staff(OK), unseen=staff(NOT_FOUND)),
    "admin:incidents_share_simple_history": object_page(
        "share",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=REASON_FORM,
        post_seen=READ_ONLY,
    ),
    "admin:incidents_share_delete": object_page(
        "share", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    "admin:incidents_share_revoke_share": object_page(
        "share", seen=MANAGERS_ONLY, unseen=staff(NOT_FOUND), post=REASON_FORM
    ),
    "admin/incidents/share/<path:object_id>/": old_change_address("share"),
    # --- Dispatches
    "admin:incidents_dispatch_changelist": _dispatch_changelist,
    "admin:incidents_dispatch_add": page("form", staff(FORBIDDEN), post={}),
    "admin:incidents_dispatch_change": object_page(
        "dispatch",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        post=STEP_FORM,
        post_seen=READ_ONLY,
        shows_case=True,
    ),
    "admin:incidents_dispatch_history": object_page(
        "dispatch", seen=staff(OK), unseen=staff(NOT_FOUND), shows_case=True
    ),
    "admin:incidents_dispatch_simple_history": object_page(
        "dispatch",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=STEP_FORM,
        post_seen=READ_ONLY,
        shows_case=True,
    ),
    "admin:incidents_dispatch_delete": object_page(
        "dispatch", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    # An agency works its own dispatch; its partner's on a shared case it reads but may not work.
    **{
        f"admin:incidents_dispatch_{step}": object_page(
            "dispatch", seen=staff(OK), partner=FORBIDDEN, unseen=staff(NOT_FOUND), post=STEP_FORM
        )
        for step in ("acknowledge", "en_route", "on_scene", "resolve", "decline")
    },
    "admin:incidents_dispatch_cancel_dispatch": object_page(
        "dispatch", seen=CENTRE_ONLY, partner=FORBIDDEN, unseen=staff(NOT_FOUND), post=STEP_FORM
    ),
    "admin/incidents/dispatch/<path:object_id>/": old_change_address("dispatch"),
    # --- Notes (written on the case page; read-only here)
    "admin:incidents_note_changelist": _note_changelist,
    "admin:incidents_note_add": page("form", staff(FORBIDDEN), post=NOTE_FORM),
    "admin:incidents_note_change": object_page(
        "note",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        post=NOTE_FORM,
        post_seen=READ_ONLY,
        shows_case=True,
    ),
    "admin:incidents_note_history": object_page("note", seen=staff(OK), unseen=staff(NOT_FOUND)),
    "admin:incidents_note_simple_history": object_page(
        "note",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=NOTE_FORM,
        post_seen=READ_ONLY,
    ),
    "admin:incidents_note_delete": object_page(
        "note", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    "admin/incidents/note/<path:object_id>/": old_change_address("note"),
    # --- Calls (the centre's alone: outside it, any call is out of scope, so 404)
    "admin:incidents_call_changelist": _call_changelist,
    "admin:incidents_call_add": page("form", CENTRE_ONLY, post=CALL_FORM),
    "admin:incidents_call_change": object_page(
        "call", seen=staff(OK), unseen=staff(NOT_FOUND), post=CALL_FORM, post_seen=READ_ONLY
    ),
    "admin:incidents_call_history": object_page("call", seen=staff(OK), unseen=staff(NOT_FOUND)),
    "admin:incidents_call_simple_history": object_page(
        "call",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=CALL_FORM,
        post_seen=READ_ONLY,
    ),
    "admin:incidents_call_delete": object_page(
        "call", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    "admin/incidents/call/<path:object_id>/": old_change_address("call"),
    # --- Categories (no case data: every role reads them; supervisors edit them)
    "admin:incidents_category_changelist": page("list", staff(OK)),
    "admin:incidents_category_add": page("form", MANAGERS_ONLY, post=CATEGORY_FORM),
    "admin:incidents_category_change": object_page(
        "category",
        seen=staff(OK),
        unseen=staff(TO_INDEX),  # Django's answer to a missing id on a change page
        post=CATEGORY_FORM,
        post_seen=by_role(centre=FORBIDDEN, manager=None, agency=FORBIDDEN),
    ),
    "admin:incidents_category_history": object_page(
        "category", seen=staff(OK), unseen=staff(NOT_FOUND)
    ),
    "admin:incidents_category_simple_history": object_page(
        "category",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=CATEGORY_FORM,
        post_seen=READ_ONLY,
    ),
    "admin:incidents_category_delete": object_page(
        "category", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin/incidents/category/<path:object_id>/": old_change_address("category"),
    # --- Areas (reference data like categories: every role reads them; supervisors edit them)
    "admin:incidents_area_changelist": page("list", staff(OK)),
    "admin:incidents_area_add": page("form", MANAGERS_ONLY, post=area_form),
    "admin:incidents_area_change": object_page(
        "area",
        seen=staff(OK),
        unseen=staff(TO_INDEX),  # Django's answer to a missing id on a change page
        post=area_form,
        post_seen=by_role(centre=FORBIDDEN, manager=None, agency=FORBIDDEN),
    ),
    "admin:incidents_area_history": object_page("area", seen=staff(OK), unseen=staff(NOT_FOUND)),
    "admin:incidents_area_simple_history": object_page(
        "area",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=area_form,
        post_seen=READ_ONLY,
    ),
    "admin:incidents_area_delete": object_page(
        "area", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin/incidents/area/<path:object_id>/": old_change_address("area"),
    # --- Agencies (a directory every role reads; none adds or edits here)
    "admin:agencies_agency_changelist": page("list", staff(OK)),
    "admin:agencies_agency_add": page("form", staff(FORBIDDEN), post=AGENCY_FORM),
    "admin:agencies_agency_change": object_page(
        "agency", seen=staff(OK), unseen=staff(TO_INDEX), post=AGENCY_FORM, post_seen=READ_ONLY
    ),
    "admin:agencies_agency_history": object_page("agency", seen=staff(OK), unseen=staff(NOT_FOUND)),
    "admin:agencies_agency_simple_history": object_page(
        "agency",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=AGENCY_FORM,
        post_seen=READ_ONLY,
    ),
    "admin:agencies_agency_delete": object_page(
        "agency", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin/agencies/agency/<path:object_id>/": old_change_address("agency"),
    # --- Memberships (supervisors and coordinators read them; none edits here)
    "admin:agencies_membership_changelist": page("list", MANAGERS_ONLY),
    "admin:agencies_membership_add": page("form", staff(FORBIDDEN), post=membership_form),
    "admin:agencies_membership_change": object_page(
        "membership",
        seen=MANAGERS_ONLY,
        unseen=by_role(centre=FORBIDDEN, manager=TO_INDEX, agency=FORBIDDEN),
        post=membership_form,
        post_seen=READ_ONLY,
    ),
    # simple_history looks the row up before the permission: a missing id is a 404 where an
    # existing one is refused (membership ids only, no case data).
    "admin:agencies_membership_history": object_page(
        "membership", seen=MANAGERS_ONLY, unseen=staff(NOT_FOUND)
    ),
    "admin:agencies_membership_simple_history": object_page(
        "membership",
        seen=MANAGERS_ONLY,
        unseen=staff(NOT_FOUND),
        version=True,
        post=membership_form,
        post_seen=READ_ONLY,
    ),
    "admin:agencies_membership_delete": object_page(
        "membership", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin:agencies_membership_end_membership": object_page(
        "membership", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post={}
    ),
    "admin/agencies/membership/<path:object_id>/": old_change_address("membership"),
    # --- Accounts and groups (kept in line by the membership services; no role opens them)
    **_auth_pages("user", {"username": "bocor", **PASSWORD_FORM}),
    **_auth_pages("group", {"name": "bocor"}),
    "admin:auth_user_password_change": object_page(
        "user", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=PASSWORD_FORM
    ),
    # --- Service levels: clocks and notifications (case data), and the policies
    **_case_data_pages("clock", CLOCK_FORM, _clock_changelist),
    **_case_data_pages("notification", NOTIFICATION_FORM, _notification_changelist),
    **_policy_pages("target", service_target_form, adds=True),
    **_policy_pages("escalationstep", LADDER_FORM, adds=False),
    **_policy_pages("officeday", office_day_form, adds=True),
    # --- Partners' API keys, and the API itself
    **_api_key_pages(),
    **_api_pages(),
}


# --- URL patterns --------------------------------------------------------------------------------


def _join(prefix: str, route: str) -> str:
    # As Django joins routes into ResolverMatch.route: without the inner pattern's leading ^.
    return prefix + route.removeprefix("^") if prefix else route


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, _join(prefix, str(pattern.pattern)), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and f"{namespace}{pattern.name}"
            yield name or _join(prefix, str(pattern.pattern))


def url_pattern_keys() -> list[str]:
    """Every URL pattern of the project: its name with namespace, or its route if unnamed."""
    return list(dict.fromkeys(_walk(get_resolver().url_patterns)))


def _key_of(path: str) -> str:
    match = resolve(path)
    return match.view_name if match.url_name else match.route


# --- Running the matrix --------------------------------------------------------------------------

AUDITED = (
    Incident,
    Dispatch,
    Note,
    Call,
    Share,
    Category,
    Area,
    Agency,
    Membership,
    ServiceTarget,
    EscalationStep,
    OfficeDay,
    Evaluation,
)
# Written by the services alone, without history. Not the log of readings of callers'
# identities (PersonalDataAccess): opening a case page writes to it, by design.
COUNTED = (Clock, Escalation, Notification, SubjectRequest, CallerIdentity)
OWN_READS = "own notifications read"  # opening one's own notification reads it


def snapshot(reader: Any = None) -> dict[str, Any]:
    """What a request could change, to show that a refused POST (or any GET) changed nothing.

    Every write to an audited model leaves a history row, so row counts (of the models, their
    history, clocks, escalations, notifications, access grants, groups and the admin log) see
    it; accounts and clocks are compared whole, notifications by which are read (``reader``'s
    own apart).
    """
    tables = _counted_tables()
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    accounts = User.objects.order_by("pk").values_list(
        "pk", "username", "password", "is_active", "is_staff", "is_superuser"
    )
    groups = Group.objects.order_by("pk").values_list("name", flat=True)
    clocks = Clock.objects.order_by("pk").values_list(
        "pk", "state", "target", "due_at", "next_level", "flagged_for_evaluation"
    )
    read = Notification.objects.filter(read_at__isnull=False).order_by("pk")
    read_by = list(read.values_list("pk", "recipient_id"))
    reader_id = getattr(reader, "pk", None)
    return {
        **dict(zip(tables, row, strict=True)),
        "accounts": list(accounts),
        "groups": list(groups),
        "clocks": list(clocks),
        "others' notifications read": [pk for pk, user in read_by if user != reader_id],
        OWN_READS: [pk for pk, user in read_by if user == reader_id],
    }


@cache
def _counted_tables() -> tuple[str, ...]:
    models = [*AUDITED, *(m.history.model for m in AUDITED), *COUNTED]  # type: ignore[attr-defined]
    models += [IncidentGroupObjectPermission, IncidentUserObjectPermission, Group, LogEntry]
    models += [User.groups.through, Category.suggested_agencies.through]
    return tuple(m._meta.db_table for m in models)


@dataclass
class Run:
    """One persona's walk through the registry: a logged-in browser and what went wrong."""

    ctx: Ctx
    client: Client = field(default_factory=lambda: Client(headers={"accept-language": "en"}))
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    baseline: dict[str, Any] = field(init=False)
    followed: set[str] = field(default_factory=set)  # redirect targets already checked

    def __post_init__(self) -> None:
        self.baseline = snapshot(self.reader)

    @property
    def persona(self) -> str:
        return self.ctx.persona

    @property
    def reader(self) -> Any:
        return getattr(self.ctx.data.world, self.persona, None)

    def unchanged(self, case_id: str, what: str, *, own_reads: bool) -> None:
        """Fail if the database changed since the last look (the reader's own notifications
        read apart when ``own_reads``); look again from here."""
        after = snapshot(self.reader)
        changed = sorted(
            k for k in after if after[k] != self.baseline[k] and (k != OWN_READS or not own_reads)
        )
        if changed:
            self.fail(case_id, f"{what} changed {changed}")
        self.baseline = after

    def login(self) -> None:
        self.client.logout()
        if self.persona != "anonymous":
            self.client.force_login(getattr(self.ctx.data.world, self.persona))

    def fail(self, case_id: str, message: str) -> None:
        self.failures.append(f"{case_id}: {message}")

    def request(
        self, case_id: str, method: str, url: str, data: Any = None, *, json: bool = False
    ) -> HttpResponse | None:
        self.requests += 1
        try:
            if method != "POST":
                return self.client.get(url)
            if json:
                return self.client.post(url, data, content_type="application/json")
            return self.client.post(url, data)
        except Exception as error:  # a 500: a finding like the others, so reported with them
            self.fail(case_id, f"{method} {url} raised {type(error).__name__}: {error}")
            return None


def _normalise(text: str, ids: tuple[Any, ...]) -> str:
    for value in ids:
        # As written, and as quoted in a ``next`` address (an API key's id holds ``$``).
        for form in dict.fromkeys((str(value), quote(str(value)))):
            text = re.sub(rf"(?<=/){re.escape(form)}(?=/)", "<id>", text)
    return text


def _answer_of(response: HttpResponse, ids: tuple[Any, ...]) -> tuple[int, str, str]:
    """What a persona learns from an answer, with the ids it asked about blanked out."""
    location = _normalise(response.get("Location", ""), ids)
    return response.status_code, location, _normalise(response.content.decode(), ids)


def _mismatch(response: HttpResponse, expect: Answer) -> str | None:
    location = response.get("Location", "")
    if response.status_code == expect.status and (
        expect.location is None or re.fullmatch(expect.location, location)
    ):
        return None
    return f"expected {expect}, got {response.status_code}" + (
        f" -> {location}" if location else ""
    )


def _check_leaks(run: Run, case_id: str, response: HttpResponse, chain: list[str]) -> None:
    """Nothing of a hidden case on the page but what the request itself carried (a search
    term, a ``next`` address): a page may repeat what it was asked, not what it found."""
    body = response.content.decode(errors="replace")
    asked = " ".join(unquote(unquote(url)) for url in chain)
    for marker, what in run.ctx.forbidden().items():
        if marker in body and marker not in asked:
            run.fail(case_id, f"LEAK in {chain[-1]}: {what}")


def _inspect(run: Run, case_id: str, response: HttpResponse, url: str) -> None:
    """Leaks in the answer and in every page its redirects lead to."""
    chain = [url]
    _check_leaks(run, case_id, response, chain)
    while 300 <= response.status_code < 400 and len(chain) < 5:
        location = response.get("Location", "")
        # A page already followed to is the same page again (any message left waiting in the
        # session shows on the next page requested, which is checked too).
        if not location.startswith("/") or location in run.followed:
            return
        run.followed.add(location)
        chain.append(location)
        followed = run.request(case_id, "GET", location)
        if followed is None:
            return
        response = followed
        _check_leaks(run, case_id, response, chain)


def run_target(run: Run, key: str, target: Target) -> tuple[int, str, str] | None:
    case_id = f"{run.persona}-{key.removeprefix('admin:') or '/'}-{target.variant}"
    path = target.url.split("?")[0]
    if _key_of(path) != key:
        run.fail(case_id, f"{path} resolves to {_key_of(path)!r}, not to this pattern")
    response = run.request(case_id, "GET", target.url)
    if response is None:
        return None
    if problem := _mismatch(response, target.expect):
        run.fail(case_id, f"GET {target.url}: {problem}")
    elif target.check is not None and response.status_code == 200:
        for problem in target.check(response):
            run.fail(case_id, f"GET {target.url}: {problem}")
    _inspect(run, case_id, response, target.url)
    run.unchanged(case_id, f"GET {target.url}", own_reads=True)

    post_expect = target.post_expect
    if post_expect is None and target.expect.status != 200:
        post_expect = target.expect
    if target.post is not None and post_expect is not None:
        posted = run.request(case_id, "POST", target.url, target.post, json=target.json)
        if posted is not None:
            if problem := _mismatch(posted, post_expect):
                run.fail(case_id, f"POST {target.url}: {problem}")
            _inspect(run, case_id, posted, target.url)
        run.unchanged(case_id, f"POST {target.url}", own_reads=False)
        if run.persona != "anonymous" and "_auth_user_id" not in run.client.session:
            run.login()  # the logout POST did its job
    return _answer_of(response, target.ids)


def run_matrix(persona: str, data: Data) -> Run:
    run = Run(Ctx(persona, data))
    run.login()
    for key in url_pattern_keys():
        if key not in REGISTRY:
            run.fail(f"{persona}-{key}", "no registry entry for this URL pattern")
            continue
        targets = REGISTRY[key](run.ctx, key)
        answers = {target.variant: run_target(run, key, target) for target in targets}
        for target in targets:
            mine, theirs = answers[target.variant], answers.get(target.same_as or "")
            if target.same_as and mine and theirs and mine != theirs:
                differ = " (the pages differ)" if mine[:2] == theirs[:2] else ""
                run.fail(
                    f"{persona}-{key.removeprefix('admin:')}-{target.variant}",
                    f"answers unlike {target.same_as!r}: {mine[:2]} vs {theirs[:2]}{differ}",
                )
    return run


# --- Tests ---------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_registry_entry() -> None:
    missing = [key for key in url_pattern_keys() if key not in REGISTRY]
    assert not missing, f"URL patterns the privacy matrix does not walk; add to REGISTRY: {missing}"


def test_every_registry_entry_still_has_a_url_pattern() -> None:
    patterns = set(url_pattern_keys())
    stale = [key for key in REGISTRY if key not in patterns]
    assert not stale, f"REGISTRY entries whose URL pattern is gone: {stale}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_privacy_matrix(persona: str, world: World, record_property: Any) -> None:
    run = run_matrix(persona, build_data(world))
    record_property("requests", run.requests)
    assert not run.failures, (
        f"{len(run.failures)} failures in {run.requests} requests:\n" + "\n".join(run.failures)
    )


@pytest.mark.parametrize("page_number", ["abc", "99"])
def test_sidebar_search_answers_a_bad_page_number_without_a_500(
    world: World, page_number: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.operator)
    response = client.get(reverse("admin:search"), {"s": "case", "page": page_number})
    assert response.status_code == 404


def test_a_refused_post_does_not_read_ones_own_notification(world: World) -> None:
    """Opening one's notification reads it; a POST to its read-only page is refused (403) and
    leaves it unread (the matrix's walk opens each page before it POSTs, so cannot see this)."""
    data = build_data(world)
    mine = data.notifications["police_head"][0]
    client = Client()
    client.force_login(world.police_head)
    url = reverse("admin:sla_notification_change", args=(mine.pk,))
    assert client.post(url, NOTIFICATION_FORM).status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None
    assert client.get(url).status_code == 200
    mine.refresh_from_db()
    assert mine.read_at is not None


# --- Partners' webhooks: the 112 coordinator's pages (appended to REGISTRY) ----------------------


def _coordinator_only(c: Ctx) -> Answer | None:
    """Subscriptions and deliveries are the coordinator's (and administrators'); the rest of the
    centre, like the agencies, is refused."""
    if c.role == "nobody":
        return LOGIN
    return OK if c.persona == "coordinator" else FORBIDDEN


def _coordinator_else(answer: Answer) -> Rule:
    return lambda c: answer if c.persona == "coordinator" else _coordinator_only(c)


def _webhook_objects(c: Ctx) -> dict[str, Model]:
    """Health's subscription and its delivery of health's own case (``build_data``'s)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(subscription__agency=c.data.world.health, event=WebhookEvent.INCIDENT_UPDATED)
        .latest("pk")
    )
    return {"webhooksubscription": delivery.subscription, "webhookdelivery": delivery}


def _webhook_page(
    kind: str,
    *,
    seen: Rule,
    unseen: Rule,
    post: Form = None,
    post_seen: Rule | None = None,
    version: bool = False,
) -> Builder:
    """A page about one subscription or delivery; a missing and a nonsense id answer alike."""

    def build(c: Ctx, name: str) -> list[Target]:
        obj = _webhook_objects(c)[kind]
        ids = (obj.pk, _first_version(obj)) if version else (obj.pk,)
        form = post(c) if callable(post) else post
        answer = post_seen(c) if post_seen else None
        targets = [
            Target("existing", reverse(name, args=ids), seen(c), ids, post=form, post_expect=answer)
        ]
        for variant, bad in (("missing", MISSING), ("nonsense_id", NONSENSE)):
            bad_ids = (bad, bad) if version else (bad,)
            same = None if variant == "missing" else "missing"
            targets.append(Target(variant, reverse(name, args=bad_ids), unseen(c), bad_ids, same))
        return targets

    return build


def _webhook_old_address(kind: str) -> Builder:
    prefix = f"/admin/agencies/{kind}/"

    def build(c: Ctx, name: str) -> list[Target]:
        obj = _webhook_objects(c)[kind]
        expect = staff(redirect(re.escape(prefix) + "[^/]+/change/"))(c)
        return [
            Target("missing", f"{prefix}{MISSING}/", expect, (MISSING,)),
            Target("existing", f"{prefix}{obj.pk}/", expect, (obj.pk,)),
        ]

    return build


def _webhook_form(c: Ctx) -> dict[str, Any]:
    return {"agency": str(c.data.world.police.pk), "url": "https://bocor.example/", "events": "x"}


_WEBHOOK_PAGES: dict[str, Builder] = {
    "admin:agencies_webhooksubscription_changelist": page("list", _coordinator_only),
    "admin:agencies_webhooksubscription_add": page("form", _coordinator_only, post=_webhook_form),
    "admin:agencies_webhooksubscription_change": _webhook_page(
        "webhooksubscription",
        seen=_coordinator_only,
        unseen=_coordinator_else(TO_INDEX),
        post=_webhook_form,
        post_seen=READ_ONLY,
    ),
    "admin:agencies_webhooksubscription_history": _webhook_page(
        "webhooksubscription", seen=_coordinator_only, unseen=staff(NOT_FOUND)
    ),
    "admin:agencies_webhooksubscription_simple_history": _webhook_page(
        "webhooksubscription",
        seen=_coordinator_only,
        unseen=staff(NOT_FOUND),
        version=True,
        post=_webhook_form,
        post_seen=READ_ONLY,
    ),
    "admin:agencies_webhooksubscription_delete": _webhook_page(
        "webhooksubscription", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin:agencies_webhooksubscription_deactivate": _webhook_page(
        "webhooksubscription", seen=_coordinator_only, unseen=_coordinator_else(NOT_FOUND), post={}
    ),
    "admin/agencies/webhooksubscription/<path:object_id>/": _webhook_old_address(
        "webhooksubscription"
    ),
    "admin:agencies_webhookdelivery_changelist": page("list", _coordinator_only),
    "admin:agencies_webhookdelivery_add": page("form", staff(FORBIDDEN), post={}),
    "admin:agencies_webhookdelivery_change": _webhook_page(
        "webhookdelivery",
        seen=_coordinator_only,
        unseen=_coordinator_else(TO_INDEX),
        post={"status": "delivered"},
        post_seen=READ_ONLY,
    ),
    # Django's own history page looks the row up before the permission (delivery ids only).
    "admin:agencies_webhookdelivery_history": _webhook_page(
        "webhookdelivery", seen=_coordinator_only, unseen=staff(TO_INDEX)
    ),
    "admin:agencies_webhookdelivery_delete": _webhook_page(
        "webhookdelivery", seen=staff(FORBIDDEN), unseen=staff(FORBIDDEN), post=DELETE_FORM
    ),
    "admin:agencies_webhookdelivery_replay": _webhook_page(
        "webhookdelivery", seen=_coordinator_only, unseen=_coordinator_else(NOT_FOUND), post={}
    ),
    "admin/agencies/webhookdelivery/<path:object_id>/": _webhook_old_address("webhookdelivery"),
}
REGISTRY |= _WEBHOOK_PAGES

# --- Operations: health for balancers (states only, for anyone), metrics for the scraper only ----

REGISTRY |= {
    "health_live": lambda c, name: [Target("poll", reverse(name), OK)],
    "health_ready": lambda c, name: [Target("poll", reverse(name), OK)],
    # Without the scraper's token or address, as if there were no such page.
    "metrics": lambda c, name: [Target("scrape", reverse(name), NOT_FOUND)],
}


# --- The evaluation meeting's pages (sla/report_pages.py) ----------------------------------------

_EVALUATORS = by_role(centre=NOT_FOUND, manager=OK, agency=NOT_FOUND)


def _scorecards(c: Ctx, name: str) -> list[Target]:
    """An operator's own card; anybody else's answers like a missing one (the supervisor's id:
    no operator's card)."""
    world = c.data.world
    url = reverse(name)
    return [
        Target("own-or-chosen", url, by_role(centre=OK, agency=NOT_FOUND)(c)),
        Target(
            "operator",
            f"{url}?operator={world.operator.pk}",
            by_role(centre=OK, agency=NOT_FOUND)(c),
        ),
        Target(
            "not-an-operator",
            f"{url}?operator={world.supervisor.pk}",
            by_role(centre=NOT_FOUND, agency=NOT_FOUND)(c),
            ids=(world.supervisor.pk,),
        ),
        Target(
            "nonsense",
            f"{url}?operator=x",
            by_role(centre=NOT_FOUND, manager=OK, agency=NOT_FOUND)(c),
        ),
    ]


def _agency_reports(c: Ctx, name: str) -> list[Target]:
    """An agency's own report; another agency's answers like a missing one."""
    url = reverse(name)

    def own_or_evaluator(code: str) -> Answer:
        if c.role in ("manager", "nobody"):
            return by_role(centre=None, agency=None, manager=OK)(c)  # type: ignore[return-value]
        return OK if AGENCY.get(c.persona) == code else NOT_FOUND

    return [
        Target("own-or-chosen", url, by_role(centre=NOT_FOUND, manager=OK, agency=OK)(c)),
        Target("police", f"{url}?agency=polresta", own_or_evaluator("polresta")),
        Target("health", f"{url}?agency=dinkes", own_or_evaluator("dinkes")),
        Target(
            "missing",
            f"{url}?agency=tidakada",
            by_role(centre=NOT_FOUND, manager=NOT_FOUND, agency=NOT_FOUND)(c),
        ),
    ]


def _explain_breach(c: Ctx, name: str) -> list[Target]:
    """The form that records why a clock breached: whoever answers for that clock (the police
    head for the police's clocks; a supervisor or the coordinator for the centre's own) when
    it breached; anybody else who sees the clock is refused (403); an unseen clock answers
    like a missing one. A POST without a cause writes nothing."""
    form = {"cause": "", "explanation": ""}

    def answer(pk: int) -> Answer:
        clock = Clock.objects.get(pk=pk)
        breached = clock.state == "breached" or (
            clock.state == "running" and clock.due_at < timezone.now()
        )
        if clock.agency_id is None:
            answers = c.persona in ("supervisor", "coordinator")
        else:
            answers = c.persona == "police_head" and clock.agency.code == "polresta"
        return OK if answers and breached else FORBIDDEN

    targets = []
    for obj in c.objects("clock"):
        url = reverse(name, args=(obj.pk,))
        if c.role == "nobody":
            targets.append(Target(obj.variant, url, LOGIN, (obj.pk,)))
        elif not obj.seen:
            targets.append(Target(obj.variant, url, NOT_FOUND, (obj.pk,), "missing", post=form))
        else:
            expect = answer(obj.pk)
            post_expect = OK if expect == OK else None  # the form comes back with its error
            targets.append(
                Target(obj.variant, url, expect, (obj.pk,), post=form, post_expect=post_expect)
            )
    for variant, pk in (("missing", MISSING), ("nonsense_id", NONSENSE)):
        expect = LOGIN if c.role == "nobody" else NOT_FOUND
        same = None if variant == "missing" else "missing"
        targets.append(Target(variant, reverse(name, args=(pk,)), expect, (pk,), same))
    return targets


def _breaches(c: Ctx, name: str) -> list[Target]:
    """The breaches to explain: the centre's supervisors and coordinator, and the agencies'
    duty officers and heads (their own agency's); nobody else (404)."""
    if c.role == "nobody":
        return [Target("page", reverse(name), LOGIN)]
    may = c.persona in ("supervisor", "coordinator", "police_head")
    return [Target("page", reverse(name), OK if may else NOT_FOUND)]


def _call_screen_lookup(c: Ctx, name: str) -> list[Target]:
    """The call screen's fragments: a caller's history (numbers and cases of the centre's
    calls) and the open cases that may be the same emergency: the centre only."""
    police_case = c.data.cases["police_only"].incident
    query = {
        "admin:incidents_answer_caller": f"?caller_phone={police_case.caller_phone}",
        "admin:incidents_answer_duplicates": f"?category={police_case.category_id}"
        f"&kelurahan=Lokasi-police_only",
        # Reference data, but the type-ahead belongs to the screen: the centre only.
        "admin:incidents_answer_areas": "?q=batu",
    }[name]
    return [Target("lookup", reverse(name) + query, by_role(centre=OK, agency=NOT_FOUND)(c))]


def _board_rows(c: Ctx, name: str) -> list[Target]:
    """The board's rows: the centre's, filtered by agency, category, kecamatan and priority;
    404 for an agency (it has the inbox), with any filter."""
    expect = by_role(centre=OK, agency=NOT_FOUND)(c)
    health_case = c.data.cases["health_only"].incident
    return [
        Target("rows", reverse(name), expect),
        Target("by_agency", query(name, agency=c.data.world.health.pk), expect),
        Target("by_category", query(name, category=c.data.category.pk), expect),
        Target("by_kecamatan", query(name, kecamatan=health_case.kecamatan), expect),
        Target("by_priority", query(name, priority=health_case.priority), expect),
        Target("bad_filter", query(name, priority="x", agency=MISSING), expect),
    ]


def _inbox_acknowledge(c: Ctx, name: str) -> list[Target]:
    """Acknowledging from the inbox: a POST only (405 to a GET, whatever the id); an agency's
    own dispatches only; another agency's, even on a case both work on, is 404 like a missing
    one, and so is every dispatch for the centre (it has no inbox)."""
    logged_out = c.role == "nobody"
    get = LOGIN if logged_out else NOT_ALLOWED
    refused = LOGIN if logged_out else NOT_FOUND
    targets = [
        Target(
            "missing", reverse(name, args=(MISSING,)), get, (MISSING,), post={}, post_expect=refused
        )
    ]
    for obj in c.objects("dispatch"):
        url = reverse(name, args=(obj.pk,))
        own = c.role == "agency" and obj.variant == "own"
        same = None if obj.seen else "missing"
        if own:  # theirs to acknowledge (already acknowledged: refused, nothing written)
            targets.append(Target(obj.variant, url, get, (obj.pk,), same))
        else:
            targets.append(
                Target(obj.variant, url, get, (obj.pk,), same, post={}, post_expect=refused)
            )
    return targets


def _pulse(c: Ctx, name: str) -> list[Target]:
    """The live pages' marker: only with the token its page handed to this session (tested in
    tests/incidents/test_board.py); without one, or with another session's, 404 for everyone,
    logged in or not."""
    from django.core import signing

    from incidents.board import TOKEN_SALT

    others = signing.dumps({"k": "centre", "s": "not-this-session"}, salt=TOKEN_SALT)
    return [
        Target("no_token", reverse(name), NOT_FOUND),
        Target("other_sessions_token", query(name, t=others), NOT_FOUND),
        Target("altered_token", query(name, t=others[:-3] + "abc"), NOT_FOUND),
    ]


def _personal_data(c: Ctx, name: str) -> list[Target]:
    """The data protection officer's pages: the log of who read callers' identities (and its
    CSV) and data-subject requests. None of these personas is that officer: the centre's own
    staff and every agency get 404, so no agency reaches any caller through them, its own or
    another's; a request for another agency's caller's number writes nothing."""
    expect = by_role(centre=NOT_FOUND, agency=NOT_FOUND)(c)
    health_case = c.data.cases["health_only"].incident
    if name == "admin:incidents_personal_data_log":
        return [
            Target("log", reverse(name), expect),
            Target("csv", query(name, format="csv"), expect),
            Target("by_case", query(name, case=health_case.reference, format="csv"), expect),
        ]
    form = {"number": health_case.caller_phone, "reason": "x", "export_format": "json"}
    return [Target("requests", reverse(name), expect, post=form)]


REGISTRY |= {
    "admin:incidents_personal_data_log": _personal_data,
    "admin:incidents_subject_requests": _personal_data,
    "admin:incidents_board": page("board", by_role(centre=OK, agency=NOT_FOUND)),
    "admin:incidents_board_rows": _board_rows,
    "admin:incidents_inbox": page("inbox", by_role(centre=NOT_FOUND, agency=OK)),
    "admin:incidents_inbox_rows": page("rows", by_role(centre=NOT_FOUND, agency=OK)),
    "admin:incidents_inbox_acknowledge": _inbox_acknowledge,
    "admin:incidents_pulse": _pulse,
    "admin:incidents_answer": page("screen", by_role(centre=OK, agency=NOT_FOUND)),
    "admin:incidents_answer_caller": _call_screen_lookup,
    "admin:incidents_answer_duplicates": _call_screen_lookup,
    "admin:incidents_answer_areas": _call_screen_lookup,
    "admin:sla_clock_explain_breach": _explain_breach,
    "admin:sla_breaches": _breaches,
    "admin:sla_period_report": page("report", _EVALUATORS),
    "admin:sla_scorecard": _scorecards,
    "admin:sla_agency_report": _agency_reports,
}


# --- Evaluations of operators: the centre's managers' and each operator's own (appended) --------

# What each evaluation holds that only those who see it may read.
EVALUATION_SECRETS: dict[str, dict[str, str]] = {
    "own": {"Komentar-own-x": "Sari's submitted evaluation's comment"},
    "own_draft": {"Komentar-own_draft-x": "Sari's draft evaluation's comment"},
    "other_operators": {
        "Komentar-other_operators-x": "Budi's evaluation's comment",
        "Jawaban-other_operators-x": "Budi's remark on his evaluation",
    },
}


def build_evaluations(world: World) -> dict[str, Evaluation]:
    """Sari's (``operator``) evaluation submitted to her and her next one still a draft; Budi's,
    acknowledged with a remark."""
    # A username no generated name contains: the search below finds it by the name, and the
    # factory's Indonesian names are often Budi (a search for "budi" then found Sari's too).
    budi = make_member(world.centre, Role.OPERATOR, username="budi-112")
    now = timezone.now()
    earlier = Period(now - timedelta(days=14), now - timedelta(days=7))
    later = Period(now - timedelta(days=7), now - timedelta(minutes=1))
    scores = {code: 3 for code, _label in RUBRIC}

    def evaluation(variant: str, operator: Any, period: Period) -> Evaluation:
        opened = evaluation_open(operator=operator, period=period, actor=world.supervisor)
        return evaluation_score(
            evaluation=opened,
            actor=world.supervisor,
            scores=scores,
            comment=f"Komentar-{variant}-x",
        )

    own = evaluation_submit(
        evaluation=evaluation("own", world.operator, earlier), actor=world.supervisor
    )
    other = evaluation_submit(
        evaluation=evaluation("other_operators", budi, earlier), actor=world.coordinator
    )
    other = evaluation_acknowledge(evaluation=other, actor=budi, remark="Jawaban-other_operators-x")
    return {
        "own": own,
        "own_draft": evaluation("own_draft", world.operator, later),
        "other_operators": other,
    }


def _evaluation_changelist(c: Ctx, name: str) -> list[Target]:
    ok = CENTRE_ONLY(c)
    seen = {o.pk for o in c.objects("evaluation") if o.seen}
    every = c.data.evaluations
    other, draft = every["other_operators"], every["own_draft"]

    def rows(expected: set[Any]) -> Check:
        return rows_are(c, "evaluation", expected & seen, total=len(seen))

    return [
        Target("list", query(name), ok, check=rows(seen)),
        Target("facets", query(name, _facets=1), ok, check=status_facets_sum_to(len(seen))),
        Target("filter_drafts", query(name, status__exact="draft"), ok, check=rows({draft.pk})),
        Target(
            "filter_other_operator",
            query(name, operator=other.operator_id),
            ok,
            check=rows({other.pk}),
        ),
        Target(
            "search_other_operator",
            query(name, q=other.operator.get_username()),
            ok,
            check=rows({other.pk}),
        ),
    ]


def evaluation_open_form(c: Ctx) -> dict[str, Any]:
    return {
        "operator": str(c.data.world.operator.pk),
        "period_start": "2020-01-01",
        "period_end": "2020-03-31",
    }


EVALUATION_FORM = {**{code: "1" for code, _label in RUBRIC}, "comment": "Bocor"}
_E = "admin:sla_evaluation_"
_EVALUATION_PAGES: dict[str, Builder] = {
    _E + "changelist": _evaluation_changelist,
    _E + "add": page("form", MANAGERS_ONLY, post=evaluation_open_form),
    # Managers score a draft here (so no refused POST to send them); the operator only reads.
    _E + "change": object_page(
        "evaluation",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        post=EVALUATION_FORM,
        post_seen=by_role(centre=FORBIDDEN, manager=None, agency=FORBIDDEN),
    ),
    _E + "history": object_page("evaluation", seen=staff(OK), unseen=staff(NOT_FOUND)),
    _E + "simple_history": object_page(
        "evaluation",
        seen=staff(OK),
        unseen=staff(NOT_FOUND),
        version=True,
        post=EVALUATION_FORM,
        post_seen=READ_ONLY,
    ),
    _E + "delete": object_page(
        "evaluation", seen=staff(FORBIDDEN), unseen=staff(NOT_FOUND), post=DELETE_FORM
    ),
    _E + "submit_evaluation": object_page(
        "evaluation", seen=MANAGERS_ONLY, unseen=staff(NOT_FOUND), post={}
    ),
    # Only the evaluated operator acknowledges: managers who see it are refused.
    _E + "acknowledge_evaluation": object_page(
        "evaluation",
        seen=by_role(centre=OK, manager=FORBIDDEN, agency=FORBIDDEN),
        unseen=staff(NOT_FOUND),
        post={"remark": "Bocor"},
    ),
    "admin/sla/evaluation/<path:object_id>/": old_change_address("evaluation"),
}
REGISTRY |= _EVALUATION_PAGES
