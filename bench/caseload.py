"""A year of cases for the benchmarks, loaded with COPY but shaped as the services write them.

Import after ``django.setup()``. The network (agencies, categories, people) is built through
the services; the cases, their calls, dispatches, notes, shares and guardian grants are planned
in Python from the demo's scenarios and copied in, because 200k cases through the services would
take hours. Each dispatch step is checked against ``incidents.transitions``, a case's status is
``status_from_dispatches``, and the grants are derived with ``access_sync_agency``'s rule; one
more case made through the services afterwards must agree with the load (:func:`parity_check`).

Not written: the simple-history rows of the loaded cases and the calls that never became cases;
the case list reads neither.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from agencies.defaults import CENTRE_CODE, agencies_install_defaults
from agencies.models import Agency, AgencyKind, Role
from agencies.services import agency_create, membership_create
from cc112.history import system_user
from incidents.defaults import categories_install_defaults
from incidents.demo.figures import (
    AGENCY_PACE,
    CANCELLABLE,
    CHANNEL_WEIGHTS,
    CHANNELS,
    DEFAULT_PRIORITY,
    DISTANCE,
    FALLBACK,
    HOURS,
    KIND_HOURS,
    PERIODS,
    PRIORITY_PACE,
    TEAM_DISPATCH_SECONDS,
    WORK_MINUTES,
)
from incidents.demo.period import AMBON_TZ
from incidents.demo.plan import draw_report
from incidents.demo.texts import (
    CALLED_IN,
    CANCEL_DUPLICATE,
    CANCEL_REASONS,
    DECLINE_REASONS,
    FAMILY_NAMES,
    FIRST_NAMES,
    INFO_NOTES,
    INSTRUCTIONS,
    MOBILE_PREFIXES,
    RESOLUTIONS,
)
from incidents.models import (
    Call,
    CallerIdentity,
    CallOutcome,
    Category,
    Channel,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentGroupObjectPermission,
    IncidentStatus,
    IncidentUserObjectPermission,
    Note,
    Priority,
    ReferenceSequence,
    Share,
)
from incidents.phones import caller_key
from incidents.services import incident_create, incident_dispatch, incident_share
from incidents.transitions import (
    check_dispatch_transition,
    check_incident_transition,
    status_from_dispatches,
)

D = DispatchStatus
S = IncidentStatus

# The 15th agency: agencies.defaults holds the centre and 13 partners.
EXTRA_PARTNER = {
    "code": "rsud-haulussy",
    "name": "RSUD dr. M. Haulussy Ambon",
    "short_name": "RSUD Haulussy",
    "kind": AgencyKind.HOSPITAL,
}
EXTRA_PARTNER_PACE = (90, 15)  # median seconds to acknowledge, minutes to the scene
EXTRA_PARTNER_RESOLUTIONS = (
    "Pasien diterima dan ditangani di IGD.",
    "Ambulans rumah sakit menjemput pasien, kondisi stabil.",
)
# Agencies called in beyond a scenario's own, with their chance per kind of case. With the
# demo's scenarios this gives ~1.75 dispatches a case, most of them to police and health, few to
# PLN and BMKG.
ALSO_CALLED_IN: dict[str, tuple[tuple[str, float], ...]] = {
    "MED": (("rsud-haulussy", 0.5), ("polresta", 0.08)),
    "AMB": (("rsud-haulussy", 0.6),),
    "LAKA": (("rsud-haulussy", 0.45),),
    "KTB": (("dinkes", 0.2),),
    "KBK": (("polresta", 0.45), ("dinkes", 0.25), ("pln", 0.15), ("bpbd", 0.1)),
    "BNC": (("polresta", 0.3), ("kodim-1504", 0.15), ("basarnas", 0.1), ("bmkg", 0.05)),
    "HWN": (("polresta", 0.1),),
    "SAR": (("polresta", 0.4), ("dinkes", 0.35), ("bmkg", 0.05)),
    "SOS": (("polresta", 0.35), ("dinkes", 0.25)),
    "UTL": (("polresta", 0.15), ("bpbd", 0.05)),
    "JNZ": (("rsud-haulussy", 0.3),),
}
DECLINE_CHANCE = 0.05
CANCEL_CHANCE = 0.025
AGENCY_SHARE_CHANCE = 0.004
PERSON_SHARE_CHANCE = 0.0005
SHARE_REASON = "Untuk tindak lanjut dan pendampingan korban."
SHARE_DAYS = 30


# --- The network, through the services ----------------------------------------------------------


@dataclass
class Network:
    """Every id the loader writes, built once per bench database."""

    agency_ids: dict[str, int]
    group_ids: dict[str, int]
    short_names: dict[str, str]
    partners: list[str]
    centre_id: int
    category_ids: dict[str, int]
    operators: list[int]
    supervisors: list[int]
    members: dict[str, int]  # "<agency code>.<staff|duty|head>" -> user id
    auditors: list[int]
    system_user: int
    permission_id: int
    city: str


def build_network() -> Network:
    """The centre and 14 partners, the default categories and the people who work them, made
    by the same services the portal uses (each agency gets its group, each member joins it)."""
    user_model = get_user_model()
    agencies = agencies_install_defaults(actor=None)
    agencies[EXTRA_PARTNER["code"]] = agency_create(actor=None, **EXTRA_PARTNER)
    categories = categories_install_defaults(actor=None)

    def person(username: str, agency: Agency | None = None, role: str = "") -> int:
        user = user_model.objects.create_user(username=username, first_name=username.title())
        if agency is not None:
            membership_create(user=user, agency=agency, role=role, actor=None)
        return user.pk

    centre = agencies[CENTRE_CODE]
    partners = [code for code, agency in agencies.items() if not agency.is_centre]
    members = {}
    for code in partners:
        members[f"{code}.staff"] = person(f"{code}.staff", agencies[code], Role.STAFF)
        members[f"{code}.duty"] = person(f"{code}.duty", agencies[code], Role.DUTY_OFFICER)
        members[f"{code}.head"] = person(f"{code}.head", agencies[code], Role.HEAD)
    permission = Permission.objects.get(
        content_type__app_label="incidents", codename="view_incident"
    )
    return Network(
        agency_ids={code: agency.pk for code, agency in agencies.items()},
        group_ids={code: agency.group_id for code, agency in agencies.items()},
        short_names={code: agency.short_name for code, agency in agencies.items()},
        partners=partners,
        centre_id=centre.pk,
        category_ids={code: category.pk for code, category in categories.items()},
        operators=[person(f"operator{i}", centre, Role.OPERATOR) for i in range(1, 7)],
        supervisors=[person(f"supervisor{i}", centre, Role.SUPERVISOR) for i in (1, 2)],
        members=members,
        auditors=[person(f"auditor{i}") for i in (1, 2, 3)],
        system_user=system_user().pk,
        permission_id=permission.pk,
        city=settings.CC112_CITY_CODE,
    )


# --- A year of cases, as rows -------------------------------------------------------------------

CALL_COLUMNS = (
    "id",
    "operator_id",
    "answered_at",
    "ended_at",
    "caller_id",
    "outcome",
    "notes",
    "created_at",
)
# Callers' names and numbers, in their own table (incidents.models.CallerIdentity).
IDENTITY_COLUMNS = (
    "id",
    "name",
    "phone",
    "key",
    "had_phone",
    "released_at",
    "created_at",
)
INCIDENT_COLUMNS = (
    "id",
    "reference",
    "call_id",
    "channel",
    "caller_id",
    "location_text",
    "kecamatan",
    "kelurahan",
    "latitude",
    "longitude",
    "category_id",
    "priority",
    "description",
    "status",
    "operator_id",
    "received_at",
    "first_dispatched_at",
    "resolved_at",
    "closed_at",
    "closed_by_id",
    "created_at",
    "updated_at",
)
DISPATCH_COLUMNS = (
    "id",
    "incident_id",
    "agency_id",
    "status",
    "instructions",
    "dispatched_at",
    "dispatched_by_id",
    "acknowledged_at",
    "acknowledged_by_id",
    "en_route_at",
    "en_route_by_id",
    "on_scene_at",
    "on_scene_by_id",
    "resolved_at",
    "resolved_by_id",
    "resolution",
    "closed_at",
    "closed_by_id",
    "closed_reason",
)
DISPATCH_TIMES = tuple(c for c in DISPATCH_COLUMNS if c.endswith("_at"))
NOTE_COLUMNS = ("id", "incident_id", "author_id", "agency_id", "body", "created_at")
SHARE_COLUMNS = (
    "id",
    "incident_id",
    "agency_id",
    "user_id",
    "reason",
    "expires_at",
    "created_at",
    "created_by_id",
    "revoked_at",
    "revoked_by_id",
    "revoke_reason",
)
# A dispatch step -> the columns the dispatch services stamp (as in dispatch._STEP_FIELDS).
STEP_COLUMNS = {
    D.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by_id"),
    D.EN_ROUTE: ("en_route_at", "en_route_by_id"),
    D.ON_SCENE: ("on_scene_at", "on_scene_by_id"),
    D.RESOLVED: ("resolved_at", "resolved_by_id"),
    D.DECLINED: ("closed_at", "closed_by_id"),
    D.CANCELLED: ("closed_at", "closed_by_id"),
}
OPEN_STATUSES = frozenset({D.PENDING, D.ACKNOWLEDGED, D.EN_ROUTE, D.ON_SCENE})


@dataclass
class PlannedDispatch:
    agency: str
    sent_at: datetime
    sent_by: int
    instructions: str
    steps: list[tuple[datetime, str, int, str]] = field(default_factory=list)  # at, status, by


def identity_row(
    pk: int, name: str, phone: str, released_at: datetime | None, created_at: datetime
) -> tuple:
    """A caller's identity as ``caller_identity_create`` writes it (released when the case
    closed or was cancelled, or at once for a call that opened no case)."""
    return (pk, name, phone, caller_key(phone), bool(phone), released_at, created_at)


@dataclass
class Rows:
    identities: list[tuple] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)
    incidents: list[tuple] = field(default_factory=list)
    dispatches: list[list] = field(default_factory=list)  # ids are given once sorted by time
    notes: list[list] = field(default_factory=list)
    shares: list[list] = field(default_factory=list)
    sequences: Counter[str] = field(default_factory=Counter)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=round(value))


def _step(row: dict[str, Any], target: str, at: datetime, actor: int, text: str = "") -> None:
    """Move a dispatch row one step, as ``incidents.services.dispatch._step`` does."""
    check_dispatch_transition(row["status"], target)
    time_column, actor_column = STEP_COLUMNS[target]
    row[time_column] = at
    row[actor_column] = actor
    if target == D.RESOLVED:
        row["resolution"] = text
    elif target in (D.DECLINED, D.CANCELLED):
        row["closed_reason"] = text
    row["status"] = target


class CaseWriter:
    """Plans each case's life, with the demo planner's figures and texts, and keeps the rows
    as they stand at ``now``: events after it have not happened yet."""

    def __init__(self, network: Network, seed: int, now: datetime) -> None:
        self.n = network
        self.rng = random.Random(seed)
        self.now = now
        self.rows = Rows()
        self.pace = {**AGENCY_PACE, EXTRA_PARTNER["code"]: EXTRA_PARTNER_PACE}
        kinds: Counter[str] = Counter()
        kecamatan: Counter[str] = Counter()
        for period in PERIODS:
            kinds.update(period.kinds)
            kecamatan.update(period.kecamatan)
        self.kinds, self.kind_weights = list(kinds), list(kinds.values())
        self.kecamatan, self.kecamatan_weights = list(kecamatan), list(kecamatan.values())
        self.hours = {kind: HOURS[KIND_HOURS.get(kind, "day")] for kind in kinds}

    def slots(self, count: int) -> list[tuple[datetime, str, str]]:
        """(T0, kind, kecamatan) of ``count`` cases over the 365 days up to ``now``."""
        rng = self.rng
        local_now = self.now.astimezone(AMBON_TZ)
        first_day = (local_now - timedelta(days=364)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        kinds = rng.choices(self.kinds, self.kind_weights, k=count)
        places = rng.choices(self.kecamatan, self.kecamatan_weights, k=count)
        slots = []
        for kind, kecamatan in zip(kinds, places, strict=True):
            local = local_now
            while local >= local_now:
                hour = rng.choices(range(24), self.hours[kind])[0]
                local = first_day + timedelta(
                    days=rng.randrange(365), hours=hour, seconds=rng.randrange(3600)
                )
            slots.append((local.astimezone(UTC), kind, kecamatan))
        slots.sort()
        return slots

    def plan_dispatch(
        self,
        life: dict[str, Any],
        agency: str,
        sent_at: datetime,
        sent_by: int,
        instructions: str,
        *,
        may_decline: bool = True,
    ) -> list[PlannedDispatch]:
        """One agency acknowledges, goes, is on scene and reports; or it declines and the
        supervisor sends the case to its fallback agency."""
        rng = self.rng
        ack_median, scene_minutes = self.pace[agency]
        pace = PRIORITY_PACE[life["priority"]]
        ack = max(rng.lognormvariate(math.log(ack_median * pace), 0.55), 15)
        acked_at = sent_at + _seconds(ack)
        duty = self.n.members[f"{agency}.duty"]
        staff = self.n.members[f"{agency}.staff"]
        planned = PlannedDispatch(agency, sent_at, sent_by, instructions)
        fallback = FALLBACK.get(agency)
        taken = life["agencies"]
        if may_decline and fallback and fallback not in taken and rng.random() < DECLINE_CHANCE:
            reason = rng.choice(DECLINE_REASONS).format(other=self.n.short_names[fallback])
            planned.steps.append((acked_at, D.DECLINED, duty, reason))
            taken.append(fallback)
            again_at = acked_at + _seconds(rng.uniform(90, 480))
            again_by = rng.choice(self.n.supervisors)
            why = f"Dialihkan: ditolak {self.n.short_names[agency]}."
            return [
                planned,
                *self.plan_dispatch(life, fallback, again_at, again_by, why, may_decline=False),
            ]
        planned.steps.append((acked_at, D.ACKNOWLEDGED, rng.choice((duty, staff)), ""))
        if not scene_minutes:
            resolved_at = acked_at + _seconds(rng.uniform(600, 2400))
        else:
            travel = scene_minutes * 60 * DISTANCE[life["kecamatan"]] * pace
            on_scene_at = max(
                sent_at + _seconds(rng.lognormvariate(math.log(travel), 0.4)),
                acked_at + _seconds(rng.uniform(240, 600)),
            )
            if rng.random() < 0.85:
                gap = (on_scene_at - acked_at).total_seconds()
                en_route_at = acked_at + _seconds(rng.uniform(20, min(300, gap / 2)))
                planned.steps.append((en_route_at, D.EN_ROUTE, staff, ""))
            planned.steps.append((on_scene_at, D.ON_SCENE, staff, ""))
            low, high = WORK_MINUTES[life["kind"]]
            resolved_at = on_scene_at + _seconds(60 * rng.uniform(low, high))
        texts = (
            RESOLUTIONS.get(f"{agency}:{life['kind']}")
            or RESOLUTIONS.get(agency)
            or EXTRA_PARTNER_RESOLUTIONS
        )
        report = rng.choice(texts).format(**life["slots"])
        planned.steps.append((resolved_at, D.RESOLVED, staff, report))
        return [planned]

    def fold(self, planned: PlannedDispatch, cut: datetime) -> dict[str, Any] | None:
        """The dispatch row as it stands at ``cut``; None if it was not yet sent."""
        if planned.sent_at > cut:
            return None
        row: dict[str, Any] = dict.fromkeys(DISPATCH_COLUMNS)
        row.update(
            agency_id=self.n.agency_ids[planned.agency],
            status=D.PENDING,
            instructions=planned.instructions,
            dispatched_at=planned.sent_at,
            dispatched_by_id=planned.sent_by,
            resolution="",
            closed_reason="",
        )
        for at, target, actor, text in planned.steps:
            if at > cut:
                break
            _step(row, target, at, actor, text)
        return row

    def case(self, case_id: int, received_at: datetime, kind: str, kecamatan: str) -> None:
        """One case with its call, dispatches, note and share.

        1. What was reported, where, by whom, through which channel (``incident_create``).
        2. The operator dispatches the scenario's agencies; others are called in later.
        3. A few cases are cancelled before any agency reports; the rest are closed.
        4. Everything is cut at ``now``; the case's status follows its dispatches.
        """
        rng, n = self.rng, self.n
        report = draw_report(rng, kind, kecamatan)
        category, scenario, slots = report.category, report.scenario, report.slots
        kelurahan, location = report.kelurahan, report.location
        latitude, longitude = report.latitude, report.longitude
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        operator = rng.choice(n.operators)
        priority = scenario.priority or (
            Priority.P2 if kind == "AMB" else DEFAULT_PRIORITY[category]
        )
        caller_name = ""
        if rng.random() >= 0.1:
            caller_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(FAMILY_NAMES)}"
        caller_phone = ""
        if channel != Channel.WALK_IN:
            digits = "".join(str(rng.randrange(10)) for _digit in range(rng.choice((7, 8))))
            caller_phone = rng.choice(MOBILE_PREFIXES) + digits

        median = TEAM_DISPATCH_SECONDS[priority]
        sent_at = received_at + _seconds(max(rng.lognormvariate(math.log(median), 0.45), 20))
        created_at = received_at + (sent_at - received_at) / 2
        life = {
            "kind": kind,
            "priority": priority,
            "kecamatan": kecamatan,
            "slots": slots,
            "agencies": list(scenario.agencies),
        }
        later = [
            agency
            for agency, chance in ALSO_CALLED_IN.get(kind, ())
            if scenario.agencies and agency not in life["agencies"] and rng.random() < chance
        ]
        life["agencies"] += later
        planned: list[PlannedDispatch] = []
        for agency in scenario.agencies:
            planned += self.plan_dispatch(life, agency, sent_at, operator, rng.choice(INSTRUCTIONS))
        for agency in later:
            later_at = sent_at + _seconds(rng.uniform(300, 1500))
            later_by = rng.choice(n.operators)
            planned += self.plan_dispatch(life, agency, later_at, later_by, rng.choice(CALLED_IN))

        cancel_at = close_at = None
        reason = note = ""
        reported = [p.steps[-1][0] for p in planned if p.steps[-1][1] == D.RESOLVED]
        if not planned:
            close_at = received_at + _seconds(rng.uniform(180, 900))
            note = rng.choice(INFO_NOTES)
        elif kind in CANCELLABLE and rng.random() < CANCEL_CHANCE:
            duplicate = rng.random() < 0.4
            if duplicate:
                cancel_at = received_at + _seconds(rng.uniform(60, 200))
            else:
                cancel_at = sent_at + _seconds(rng.uniform(120, 900))
            # A case whose agencies have all reported can be closed, no longer cancelled.
            cancel_at = min(cancel_at, min(reported) - timedelta(minutes=1))
            reason = CANCEL_DUPLICATE if duplicate else rng.choice(CANCEL_REASONS)
        else:
            close_at = max(reported) + _seconds(rng.uniform(300, 5400))

        cancelled = cancel_at is not None and cancel_at <= self.now
        cut = cancel_at if cancelled else self.now
        dispatches = [row for p in planned if (row := self.fold(p, cut)) is not None]
        status = status_from_dispatches([r["status"] for r in dispatches])
        resolved_at = None
        if status == S.RESOLVED:
            resolved_at = max(r["resolved_at"] for r in dispatches if r["status"] == D.RESOLVED)
        closed_at = closed_by = None
        if cancelled:
            closed_by = rng.choice(n.supervisors)
            check_incident_transition(status, S.CANCELLED)
            for row in dispatches:
                if row["status"] in OPEN_STATUSES:
                    _step(row, D.CANCELLED, cancel_at, closed_by, reason)
            status, closed_at = S.CANCELLED, cancel_at
        elif close_at is not None and close_at <= self.now:
            # Information cases are closed by the operator who answered them.
            closed_by = rng.choice(n.operators) if planned else operator
            check_incident_transition(status, S.CLOSED)
            status, closed_at = S.CLOSED, close_at
        events = [r[c] for r in dispatches for c in DISPATCH_TIMES if r[c] is not None]
        updated_at = max([created_at, *events, *([closed_at] if closed_at else [])])

        key = f"{n.city}-{received_at.astimezone(AMBON_TZ).year}"
        self.rows.sequences[key] += 1
        caller_id = None
        if caller_name or caller_phone:
            caller_id = len(self.rows.identities) + 1
            self.rows.identities.append(
                identity_row(caller_id, caller_name, caller_phone, closed_at, created_at)
            )
        call_id = None
        if channel == Channel.PHONE:
            call_id = len(self.rows.calls) + 1
            ended_at = received_at + _seconds(rng.uniform(60, 300))
            self.rows.calls.append(
                (
                    call_id,
                    operator,
                    received_at,
                    ended_at,
                    caller_id,
                    CallOutcome.INCIDENT,
                    "",
                    created_at,
                )
            )
        self.rows.incidents.append(
            (
                case_id,
                f"112-{key}-{self.rows.sequences[key]:06d}",
                call_id,
                channel,
                caller_id,
                location,
                kecamatan,
                kelurahan,
                latitude,
                longitude,
                n.category_ids[category],
                priority,
                scenario.text.format(**slots),
                status,
                operator,
                received_at,
                min((r["dispatched_at"] for r in dispatches), default=None),
                resolved_at,
                closed_at,
                closed_by,
                created_at,
                updated_at,
            )
        )
        for row in dispatches:
            row["incident_id"] = case_id
            self.rows.dispatches.append([row[c] for c in DISPATCH_COLUMNS])
        if note and closed_at is not None:
            self.rows.notes.append([None, case_id, closed_by, n.centre_id, note, closed_at])
        if dispatches:
            self.share(case_id, received_at, life["agencies"])

    def share(self, case_id: int, received_at: datetime, taken: list[str]) -> None:
        """Now and then a supervisor lets another agency, or an auditor, see a case; a share
        whose expiry has passed was revoked by the sweep (``shares_expire_due``)."""
        rng, n = self.rng, self.n
        roll = rng.random()
        if roll >= AGENCY_SHARE_CHANCE + PERSON_SHARE_CHANCE:
            return
        created_at = received_at + _seconds(rng.uniform(3600, 86400))
        if created_at > self.now:
            return
        agency = user = None
        if roll < AGENCY_SHARE_CHANCE:
            agency = n.agency_ids[rng.choice([c for c in n.partners if c not in taken])]
        else:
            user = rng.choice(n.auditors)
        expires_at = revoked_at = revoked_by = None
        revoke_reason = ""
        if rng.random() < 0.3:
            expires_at = created_at + timedelta(days=SHARE_DAYS)
            if expires_at <= self.now:
                revoked_at, revoked_by, revoke_reason = expires_at, n.system_user, "expired"
        self.rows.shares.append(
            [
                None,
                case_id,
                agency,
                user,
                SHARE_REASON,
                expires_at,
                created_at,
                rng.choice(n.supervisors),
                revoked_at,
                revoked_by,
                revoke_reason,
            ]
        )


def plan_rows(network: Network, count: int, seed: int, now: datetime) -> Rows:
    writer = CaseWriter(network, seed, now)
    for case_id, (received_at, kind, kecamatan) in enumerate(writer.slots(count), start=1):
        writer.case(case_id, received_at, kind, kecamatan)
    rows = writer.rows
    # Ids follow time, as they do when the services write rows one at a time.
    sent = DISPATCH_COLUMNS.index("dispatched_at")
    rows.dispatches.sort(key=lambda r: (r[sent], r[1]))
    rows.notes.sort(key=lambda r: r[-1])
    rows.shares.sort(key=lambda r: r[SHARE_COLUMNS.index("created_at")])
    for table in (rows.dispatches, rows.notes, rows.shares):
        for number, row in enumerate(table, start=1):
            row[0] = number
    return rows


# --- Loading ------------------------------------------------------------------------------------


class LoadFigures(TypedDict):
    incidents: int
    dispatches: int
    group_grants: int
    user_grants: int
    calls: int
    shares: int
    notes: int
    statuses: dict[str, int]
    dispatches_per_agency: dict[str, int]
    seconds: float


CASE_MODELS = (
    CallerIdentity,
    Call,
    Incident,
    Dispatch,
    Note,
    Share,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
)
# access_sync_agency's rule: an agency holds a case while it has a dispatch on it that was not
# cancelled, or an active share; access_sync_user's: a person holds a case while they have an
# active share of it. Grants are written in the order the services would have written them.
GRANT_GROUPS_SQL = """
INSERT INTO incidents_incidentgroupobjectpermission (content_object_id, group_id, permission_id)
SELECT held.incident_id, agency.group_id, %(permission)s
FROM (
    SELECT incident_id, agency_id, min(since) AS since
    FROM (
        SELECT incident_id, agency_id, dispatched_at AS since
        FROM incidents_dispatch WHERE status <> 'cancelled'
        UNION ALL
        SELECT incident_id, agency_id, created_at
        FROM incidents_share
        WHERE agency_id IS NOT NULL AND revoked_at IS NULL
          AND (expires_at IS NULL OR expires_at > %(now)s)
    ) AS entitled
    GROUP BY incident_id, agency_id
) AS held
JOIN agencies_agency AS agency ON agency.id = held.agency_id
ORDER BY held.since, held.incident_id, agency.group_id
"""
GRANT_USERS_SQL = """
INSERT INTO incidents_incidentuserobjectpermission (content_object_id, user_id, permission_id)
SELECT incident_id, user_id, %(permission)s
FROM incidents_share
WHERE user_id IS NOT NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %(now)s)
GROUP BY incident_id, user_id
ORDER BY min(created_at), incident_id
"""
# The grants the rule derives against the grants held, both ways; both counts must be 0.
GRANT_DRIFT_SQL = """
WITH expected AS (
    SELECT d.incident_id, a.group_id
    FROM incidents_dispatch d JOIN agencies_agency a ON a.id = d.agency_id
    WHERE d.status <> 'cancelled'
    UNION
    SELECT s.incident_id, a.group_id
    FROM incidents_share s JOIN agencies_agency a ON a.id = s.agency_id
    WHERE s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
), held AS (
    SELECT content_object_id, group_id FROM incidents_incidentgroupobjectpermission
    WHERE permission_id = %(permission)s
)
SELECT
    (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM held) AS missing),
    (SELECT count(*) FROM (SELECT * FROM held EXCEPT SELECT * FROM expected) AS unjustified),
    (SELECT count(*) FROM incidents_incidentgroupobjectpermission
     WHERE permission_id <> %(permission)s)
"""


class LoadRefused(RuntimeError):
    """The loaded rows disagree with what the services write."""


def case_tables() -> list[str]:
    models = [*CASE_MODELS, ReferenceSequence]
    tables = [m._meta.db_table for m in models]
    tables += [
        m.history.model._meta.db_table  # type: ignore[attr-defined]
        for m in models
        if hasattr(m, "history")
    ]
    return tables


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def load(network: Network, count: int, seed: int) -> LoadFigures:
    """Empty the case tables and load a year of ``count`` cases.

    1. Plan the rows in Python (seeded: the same seed gives the same cases).
    2. COPY calls, cases, dispatches, notes and shares; derive guardian's grants in SQL; move
       the id sequences and the reference sequences past what was loaded.
    3. Make one case through the services and check it against the load.
    4. VACUUM ANALYZE, as autovacuum would have by the time a year of cases is in.
    """
    started = time.perf_counter()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(case_tables())} RESTART IDENTITY CASCADE")
    rows = plan_rows(network, count, seed, now)
    planned = time.perf_counter() - started
    with transaction.atomic():
        copy_rows(CallerIdentity._meta.db_table, IDENTITY_COLUMNS, rows.identities)
        copy_rows(Call._meta.db_table, CALL_COLUMNS, rows.calls)
        copy_rows(Incident._meta.db_table, INCIDENT_COLUMNS, rows.incidents)
        copy_rows(Dispatch._meta.db_table, DISPATCH_COLUMNS, rows.dispatches)
        copy_rows(Note._meta.db_table, NOTE_COLUMNS, rows.notes)
        copy_rows(Share._meta.db_table, SHARE_COLUMNS, rows.shares)
        with connection.cursor() as cursor:
            params = {"permission": network.permission_id, "now": now}
            cursor.execute(GRANT_GROUPS_SQL, params)
            cursor.execute(GRANT_USERS_SQL, params)
            for statement in connection.ops.sequence_reset_sql(no_style(), CASE_MODELS):
                cursor.execute(statement)
        ReferenceSequence.objects.bulk_create(
            ReferenceSequence(key=key, last_value=value) for key, value in rows.sequences.items()
        )
    parity_check(network, rows)
    for code in network.partners:
        share_with_head(network, code)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    figures = census(network)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"   loaded in {figures['seconds']:.1f} s (planning the rows {planned:.1f} s)", flush=True
    )
    return figures


def parity_check(network: Network, rows: Rows) -> None:
    """One more case through ``incident_create`` and ``incident_dispatch``: its reference must
    continue the loaded numbering, and every grant, loaded or written by the services, must be
    the one the access rule derives."""
    operator = get_user_model().objects.get(pk=network.operators[0])
    incident = incident_create(
        actor=operator,
        category=Category.objects.get(code="BNC"),
        location_text="Jl. Sultan Babullah, dekat Masjid Raya Al-Fatah",
        kecamatan="Sirimau",
        kelurahan="Honipopu",
        description="Gempa terasa kuat, dinding rumah retak.",
        caller_phone="081234567890",
    )
    incident_dispatch(
        incident=incident,
        agencies=list(Agency.objects.filter(code__in=["bpbd", "polresta", "bmkg"])),
        actor=operator,
    )
    key = f"{network.city}-{timezone.localtime(incident.received_at, AMBON_TZ).year}"
    expected = f"112-{key}-{rows.sequences[key] + 1:06d}"
    if incident.reference != expected:
        raise LoadRefused(f"the services numbered {incident.reference}, the load {expected}")
    with connection.cursor() as cursor:
        cursor.execute(GRANT_DRIFT_SQL, {"permission": network.permission_id})
        missing, unjustified, foreign = cursor.fetchone()
    if missing or unjustified or foreign:
        raise LoadRefused(
            f"{missing} grants missing, {unjustified} without a dispatch or share, "
            f"{foreign} for another permission"
        )


def share_with_head(network: Network, code: str) -> None:
    """The newest case the agency does not hold, shared with its head in person through
    ``incident_share``: the head's case list is the agency's plus one personal grant."""
    user_model = get_user_model()
    held = IncidentGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group_id=network.group_ids[code]
    )
    incident = Incident.objects.exclude(Exists(held)).order_by("-received_at").first()
    if incident is None:
        raise LoadRefused(f"no case left to share with the head of {code}")
    incident_share(
        incident=incident,
        actor=user_model.objects.get(pk=network.supervisors[0]),
        reason=SHARE_REASON,
        user=user_model.objects.get(pk=network.members[f"{code}.head"]),
    )


def census(network: Network) -> LoadFigures:
    codes = {pk: code for code, pk in network.agency_ids.items()}
    per_agency = Dispatch.objects.values_list("agency_id").annotate(n=Count("id")).order_by("-n")
    statuses = Incident.objects.values_list("status").annotate(n=Count("id")).order_by("-n")
    return LoadFigures(
        incidents=Incident.objects.count(),
        dispatches=Dispatch.objects.count(),
        group_grants=IncidentGroupObjectPermission.objects.count(),
        user_grants=IncidentUserObjectPermission.objects.count(),
        calls=Call.objects.count(),
        shares=Share.objects.count(),
        notes=Note.objects.count(),
        statuses=dict(statuses),
        dispatches_per_agency={codes[pk]: n for pk, n in per_agency},
        seconds=0.0,
    )
