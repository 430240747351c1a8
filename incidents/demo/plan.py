"""The demo as plain data: from a seed, every call and case of the three months, with each step
of each case; the same plan for the same seed."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from faker import Faker

from incidents.demo.figures import (
    AFFINITY,
    AGENCY_PACE,
    CALL_SECONDS,
    CANCELLABLE,
    CHANNEL_WEIGHTS,
    CHANNELS,
    DEFAULT_PRIORITY,
    DISTANCE,
    FALLBACK,
    HOURS,
    KIND_HOURS,
    NON_CASE_CALLS,
    OFFICE_HOURS,
    OPERATOR_PACE,
    PERIODS,
    PRIORITY_PACE,
    SHORT_NAMES,
    TEAM_DISPATCH_SECONDS,
    WORK_MINUTES,
)
from incidents.demo.period import AMBON_TZ, DemoPeriod, demo_period
from incidents.demo.roster import member, supervisor_on_duty, team_on_duty
from incidents.demo.texts import (
    CALL_NOTES,
    CALLED_IN,
    CANCEL_DUPLICATE,
    CANCEL_REASONS,
    CENTRES,
    DECLINE_AFTER_HOURS,
    DECLINE_REASONS,
    FAMILY_NAMES,
    FIRST_NAMES,
    INFO_NOTES,
    INSTRUCTIONS,
    MOBILE_PREFIXES,
    PLACE_DETAILS,
    PLACES,
    PUSKESMAS,
    RESOLUTIONS,
    SCENARIOS,
    Scenario,
)
from incidents.models import CallOutcome, Channel, Priority

DEFAULT_SEED = 112
# Cases this close to the demo's end are left open in whatever state they had reached.
LIVE_WINDOW = timedelta(days=3)


class Step(StrEnum):
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RESOLVE = "resolve"
    DECLINE = "decline"
    CLOSE = "close"
    CANCEL = "cancel"


@dataclass(frozen=True)
class PlannedStep:
    at: datetime
    action: Step
    actor: str  # username
    # The agencies a dispatch goes to, or the one agency whose dispatch this step moves.
    agencies: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class PlannedCase:
    received_at: datetime
    operator: str
    category: str
    priority: int
    channel: str
    caller_name: str
    caller_phone: str
    kecamatan: str
    kelurahan: str
    location_text: str
    latitude: Decimal | None
    longitude: Decimal | None
    description: str
    call_ended_at: datetime | None
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True)
class PlannedCall:
    """A call that never became a case."""

    answered_at: datetime
    ended_at: datetime
    operator: str
    outcome: str
    callback_number: str
    notes: str


@dataclass(frozen=True)
class ActivityPlan:
    seed: int
    period: DemoPeriod
    cases: tuple[PlannedCase, ...]
    calls: tuple[PlannedCall, ...]


# --- Planning ----------------------------------------------------------------------------------


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=round(value))


def _office_open(at: datetime) -> bool:
    local = at.astimezone(AMBON_TZ)
    return local.weekday() < 5 and 8 <= local.hour < 16


def _is_night(at: datetime) -> bool:
    return not 6 <= at.astimezone(AMBON_TZ).hour < 22


class _People:
    """Callers: Faker's Indonesian first names (seeded) with Maluku family names."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.faker = Faker("id_ID")
        self.faker.seed_instance(seed)
        # A few numbers call in pranks again and again.
        self.prankers = [self.phone() for _number in range(25)]

    def name(self) -> str:
        first = self.faker.first_name() if self.rng.random() < 0.5 else None
        return f"{first or self.rng.choice(FIRST_NAMES)} {self.rng.choice(FAMILY_NAMES)}"

    def phone(self) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _digit in range(self.rng.choice((7, 8))))
        return self.rng.choice(MOBILE_PREFIXES) + digits

    def prank_phone(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choices(self.prankers, [1 / (i + 1) for i in range(25)])[0]
        return self.phone()


def _moment(
    rng: random.Random,
    period: DemoPeriod,
    first_day: int,
    last_day: int,
    day_weight: Callable[[int], float],
    hours: str,
) -> datetime:
    days = range(first_day, last_day)
    day = rng.choices(days, [day_weight(d) for d in days])[0]
    hour = rng.choices(range(24), HOURS[hours])[0]
    local = period.start + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
    # On the last day, what would come after the demo's now happened the day before, at the
    # same hour (the day's rhythm and each period's counts stay).
    while local >= period.now:
        local -= timedelta(days=1)
    return local.astimezone(UTC)


def _case_slots(rng: random.Random, period: DemoPeriod) -> list[tuple[datetime, str, str]]:
    """(T0, kind, kecamatan) of every case, meeting each period's counts exactly."""
    slots = []
    for figures in PERIODS:
        kinds = [kind for kind, count in figures.kinds.items() for _case in range(count)]
        rng.shuffle(kinds)
        remaining = dict(figures.kecamatan)
        for kind in kinds:
            names = [name for name, left in remaining.items() if left]
            weights = [remaining[n] * AFFINITY.get(kind, {}).get(n, 1.0) for n in names]
            kecamatan = rng.choices(names, weights)[0]
            remaining[kecamatan] -= 1
            hours = KIND_HOURS.get(kind, "day")
            at = _moment(rng, period, figures.first_day, figures.last_day, lambda d: 1.0, hours)
            slots.append((at, kind, kecamatan))
    return sorted(slots)


@dataclass
class _CaseLife:
    """What the planner knows while it plans one case's life."""

    kind: str
    priority: int
    kecamatan: str
    slots: dict[str, object]
    agencies: list[str]  # every agency the case has gone or will go to
    steps: list[PlannedStep] = field(default_factory=list)


def _plan_resolve(rng: random.Random, life: _CaseLife, agency: str, at: datetime) -> None:
    """The agency's staff report what they did (T4), in words that fit the agency and case."""
    texts = RESOLUTIONS.get(f"{agency}:{life.kind}") or RESOLUTIONS[agency]
    text = rng.choice(texts).format(**life.slots)
    life.steps.append(PlannedStep(at, Step.RESOLVE, member(agency, "staff"), (agency,), text))


def _plan_dispatch(
    rng: random.Random, life: _CaseLife, agency: str, sent_at: datetime, *, may_decline: bool = True
) -> tuple[datetime | None, datetime]:
    """Plan one agency's work on a dispatch; (on scene at, resolved at) of whoever handled it.

    1. The agency acknowledges (T2), slower at night and much slower after office hours.
    2. Or it declines, and the shift supervisor sends the case to the fallback agency.
    3. Its team goes (sometimes reporting en route), reaches the scene (T3) and reports (T4).
    """
    ack_median, scene_minutes = AGENCY_PACE[agency]
    after_hours = agency in OFFICE_HOURS and not _office_open(sent_at)
    ack = rng.lognormvariate(math.log(ack_median * PRIORITY_PACE[life.priority]), 0.55)
    if after_hours:
        ack += rng.uniform(600, 2700)
    acked_at = sent_at + _seconds(max(ack, 15))
    on_duty = after_hours or (_is_night(acked_at) and rng.random() < 0.5)

    fallback = FALLBACK.get(agency)
    if (
        may_decline
        and fallback
        and fallback not in life.agencies
        and rng.random() < (0.3 if after_hours else 0.05)
    ):
        reason = DECLINE_AFTER_HOURS if after_hours else rng.choice(DECLINE_REASONS)
        reason = reason.format(other=SHORT_NAMES[fallback])
        life.steps.append(
            PlannedStep(acked_at, Step.DECLINE, member(agency, "duty"), (agency,), reason)
        )
        again_at = acked_at + _seconds(rng.uniform(90, 480))
        life.agencies.append(fallback)
        life.steps.append(
            PlannedStep(
                again_at,
                Step.DISPATCH,
                supervisor_on_duty(again_at),
                (fallback,),
                f"Dialihkan: ditolak {SHORT_NAMES[agency]}.",
            )
        )
        return _plan_dispatch(rng, life, fallback, again_at, may_decline=False)

    taker = member(agency, "duty" if on_duty else "staff")
    staff = member(agency, "staff")
    life.steps.append(PlannedStep(acked_at, Step.ACKNOWLEDGE, taker, (agency,)))
    if not scene_minutes:
        resolved_at = acked_at + _seconds(rng.uniform(600, 2400))
        _plan_resolve(rng, life, agency, resolved_at)
        return None, resolved_at

    travel = scene_minutes * 60 * DISTANCE[life.kecamatan] * PRIORITY_PACE[life.priority]
    on_scene_at = max(
        sent_at + _seconds(rng.lognormvariate(math.log(travel), 0.4)),
        acked_at + _seconds(rng.uniform(240, 600)),
    )
    if rng.random() < 0.85:
        gap = (on_scene_at - acked_at).total_seconds()
        en_route_at = acked_at + _seconds(rng.uniform(20, min(300, gap / 2)))
        life.steps.append(PlannedStep(en_route_at, Step.EN_ROUTE, staff, (agency,)))
    life.steps.append(PlannedStep(on_scene_at, Step.ON_SCENE, staff, (agency,)))
    low, high = WORK_MINUTES[life.kind]
    resolved_at = on_scene_at + _seconds(60 * rng.uniform(low, high))
    _plan_resolve(rng, life, agency, resolved_at)
    return on_scene_at, resolved_at


def _plan_dispatches(
    rng: random.Random, life: _CaseLife, scenario: Scenario, received_at: datetime, operator: str
) -> tuple[datetime, list[datetime]]:
    """The operator dispatches (T1); one agency may be called in later from the scene.

    Returns when the operator dispatched, and when each agency's work on the case was resolved.
    """
    median = TEAM_DISPATCH_SECONDS[life.priority] * OPERATOR_PACE[operator]
    delay = rng.lognormvariate(math.log(median), 0.45)
    if rng.random() < 0.07:
        delay += rng.uniform(180, 720)  # location unclear, or a second line ringing
    sent_at = received_at + _seconds(max(delay, 20))
    first = list(scenario.agencies)
    later = first.pop() if len(first) > 1 and rng.random() < 0.3 else None
    life.steps.append(
        PlannedStep(sent_at, Step.DISPATCH, operator, tuple(first), rng.choice(INSTRUCTIONS))
    )
    outcomes = [_plan_dispatch(rng, life, agency, sent_at) for agency in first]
    if later:
        scenes = [scene for scene, _resolved in outcomes if scene]
        later_at = min(scenes, default=sent_at + timedelta(minutes=10))
        later_at += _seconds(rng.uniform(120, 600))
        later_by = rng.choice(team_on_duty(later_at))
        life.steps.append(
            PlannedStep(later_at, Step.DISPATCH, later_by, (later,), rng.choice(CALLED_IN))
        )
        outcomes.append(_plan_dispatch(rng, life, later, later_at))
    return sent_at, [resolved for _scene, resolved in outcomes]


def _plan_ending(
    rng: random.Random,
    life: _CaseLife,
    received_at: datetime,
    sent_at: datetime,
    resolved: list[datetime],
) -> None:
    """A few cases are cancelled (duplicates, false reports); the rest are closed."""
    if life.kind in CANCELLABLE and rng.random() < 0.025:
        duplicate = rng.random() < 0.4
        if duplicate:
            cancel_at = received_at + _seconds(rng.uniform(60, 200))
        else:
            cancel_at = sent_at + _seconds(rng.uniform(120, 900))
        # A case whose agencies have all reported can be closed, no longer cancelled.
        cancel_at = min(cancel_at, min(resolved) - timedelta(minutes=1))
        reason = CANCEL_DUPLICATE if duplicate else rng.choice(CANCEL_REASONS)
        life.steps = [s for s in life.steps if s.at < cancel_at]
        canceller = supervisor_on_duty(cancel_at)
        life.steps.append(PlannedStep(cancel_at, Step.CANCEL, canceller, (), reason))
    else:
        closed_at = max(resolved) + _seconds(rng.uniform(300, 5400))
        closer = rng.choice(team_on_duty(closed_at))
        life.steps.append(PlannedStep(closed_at, Step.CLOSE, closer))


def _plan_steps(
    rng: random.Random,
    life: _CaseLife,
    scenario: Scenario,
    received_at: datetime,
    operator: str,
    now: datetime,
) -> tuple[PlannedStep, ...]:
    """Plan a case from its dispatch (T1) to closing, then cut it where the demo ends.

    1. Information cases are answered and closed by the operator, without a dispatch.
    2. The operator dispatches; one agency may be called in later from the scene.
    3. A few cases are cancelled (duplicates, false reports); the rest are closed.
    4. Cases of the last days stop at a random step, so the live view has open work.
    """
    if not scenario.agencies:
        closed_at = received_at + _seconds(rng.uniform(180, 900))
        life.steps.append(PlannedStep(closed_at, Step.CLOSE, operator, (), rng.choice(INFO_NOTES)))
    else:
        sent_at, resolved = _plan_dispatches(rng, life, scenario, received_at, operator)
        _plan_ending(rng, life, received_at, sent_at, resolved)

    steps = sorted(life.steps, key=lambda s: s.at)
    age = now - received_at
    keep_at_least = 0 if age < timedelta(hours=6) else 1
    # A case with nothing after its first step has nowhere to stop early.
    if age < LIVE_WINDOW and len(steps) > keep_at_least and rng.random() < 0.8:
        steps = steps[: rng.randrange(keep_at_least, len(steps))]
    return tuple(s for s in steps if s.at < now)


@dataclass(frozen=True)
class DrawnReport:
    """What a caller reports and where: a scenario of its kind, filled in, at a place."""

    category: str
    scenario: Scenario
    slots: dict[str, object]
    kelurahan: str
    location: str
    latitude: Decimal | None
    longitude: Decimal | None


def draw_report(rng: random.Random, kind: str, kecamatan: str) -> DrawnReport:
    """Draw a report's scenario, its details and its place (the benchmark's loader shares it)."""
    category = "MED" if kind == "AMB" else kind
    scenario = rng.choice(SCENARIOS[kind])
    kelurahan, place = rng.choice(PLACES[kecamatan])
    slots: dict[str, object] = {
        "age": rng.randint(25, 70),
        "child": rng.randint(2, 12),
        "elder": rng.randint(65, 90),
        "n": rng.randint(2, 6),
        "cm": rng.choice((30, 40, 50, 60, 80, 100)),
        "m": rng.choice((2, 3, 4, 5)),
        "mag": f"{rng.uniform(4.0, 5.6):.1f}",
        "hours": rng.randint(3, 12),
        "kel": kelurahan,
        "pkm": rng.choice(PUSKESMAS),
    }
    latitude = longitude = None
    if scenario.at_sea:
        location = f"Perairan {kelurahan}, ±{rng.randint(1, 4)} mil laut dari pantai"
    else:
        detail = rng.choice(PLACE_DETAILS).format(rt=rng.randint(1, 9), rw=rng.randint(1, 6))
        location = f"{place}, {detail}" if detail else place
        if rng.random() < 0.75:
            lat, lon = CENTRES[kecamatan]
            latitude = Decimal(f"{lat + rng.uniform(-0.007, 0.007):.6f}")
            longitude = Decimal(f"{lon + rng.uniform(-0.007, 0.007):.6f}")
    return DrawnReport(category, scenario, slots, kelurahan, location, latitude, longitude)


def _plan_case(
    rng: random.Random,
    people: _People,
    received_at: datetime,
    kind: str,
    kecamatan: str,
    now: datetime,
) -> PlannedCase:
    report = draw_report(rng, kind, kecamatan)
    category, scenario, slots = report.category, report.scenario, report.slots
    kelurahan, location = report.kelurahan, report.location
    latitude, longitude = report.latitude, report.longitude
    channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
    operator = rng.choices(team_on_duty(received_at), (55, 45))[0]
    priority = scenario.priority or (Priority.P2 if kind == "AMB" else DEFAULT_PRIORITY[category])
    life = _CaseLife(kind, priority, kecamatan, slots, list(scenario.agencies))
    return PlannedCase(
        received_at=received_at,
        operator=operator,
        category=category,
        priority=priority,
        channel=channel,
        caller_name="" if rng.random() < 0.1 else people.name(),
        caller_phone="" if channel == Channel.WALK_IN else people.phone(),
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        location_text=location,
        latitude=latitude,
        longitude=longitude,
        description=scenario.text.format(**slots),
        call_ended_at=(
            received_at + _seconds(rng.uniform(60, 300)) if channel == Channel.PHONE else None
        ),
        steps=_plan_steps(rng, life, scenario, received_at, operator, now),
    )


def _plan_calls(rng: random.Random, people: _People, period: DemoPeriod) -> list[PlannedCall]:
    calls = []
    for outcome, count, first_day, last_day, day_weight, hours in NON_CASE_CALLS:
        for _call in range(count):
            answered_at = _moment(rng, period, first_day, last_day, day_weight, hours)
            low, high = CALL_SECONDS[outcome]
            if outcome == CallOutcome.PRANK:
                number = people.prank_phone()
            else:
                number = "" if rng.random() < 0.06 else people.phone()
            calls.append(
                PlannedCall(
                    answered_at=answered_at,
                    ended_at=answered_at + _seconds(rng.uniform(low, high)),
                    operator=rng.choice(team_on_duty(answered_at)),
                    outcome=outcome,
                    callback_number=number,
                    notes=rng.choice(CALL_NOTES[outcome]),
                )
            )
    return sorted(calls, key=lambda c: c.answered_at)


def plan_activity(seed: int = DEFAULT_SEED, period: DemoPeriod | None = None) -> ActivityPlan:
    """Plan three months of calls and cases (by default the 91 days up to now); the same seed
    and period always give the same plan."""
    period = period or demo_period()
    rng = random.Random(seed)
    people = _People(rng, seed)
    cases = tuple(
        _plan_case(rng, people, at, kind, kecamatan, period.now)
        for at, kind, kecamatan in _case_slots(rng, period)
    )
    calls = tuple(_plan_calls(rng, people, period))
    return ActivityPlan(seed=seed, period=period, cases=cases, calls=calls)
