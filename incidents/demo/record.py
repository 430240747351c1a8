"""Recording the plan through the services, dated after the fact, exactly as the operators and
agencies would have: :func:`seed_demo` installs the network, the logins, the categories and
Kota Ambon's areas where missing, then the three months of activity."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.defaults import agencies_install_defaults
from agencies.models import Agency, Membership
from agencies.services import membership_create
from cc112.history import system_user
from incidents.defaults import categories_install_defaults
from incidents.demo.live import NOW_SPAN, live_cases_due, record_live_cases
from incidents.demo.period import DemoPeriod, demo_period
from incidents.demo.plan import (
    DEFAULT_SEED,
    ActivityPlan,
    PlannedCall,
    PlannedCase,
    Step,
    plan_activity,
)
from incidents.demo.roster import (
    DEMO_PASSWORD,
    DemoLogin,
    demo_logins,
    member,
    supervisor_on_duty,
)
from incidents.demo.summary import demo_activity_exists, recorded_period
from incidents.demo.texts import HOMONYMS
from incidents.models import Area, Call, Category, Dispatch, Incident
from incidents.services import (
    areas_load,
    call_record,
    dispatch_acknowledge,
    dispatch_decline,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_cancel,
    incident_close,
    incident_create,
    incident_dispatch,
)
from sla.models import BreachCause, Clock, ClockState, Escalation
from sla.services import breach_explain

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Users = dict[str, AbstractBaseUser]


def install_logins(*, agencies: dict[str, Agency], actor: AbstractBaseUser) -> Users:
    """Create the demo logins that are missing, each with its membership; return all by name.

    A login that already exists keeps its password and, if it has one, its membership.
    """
    User = get_user_model()
    logins = demo_logins()
    users = User.objects.in_bulk([login.username for login in logins], field_name="username")
    placed = set(
        Membership.objects.filter(user__in=users.values(), is_active=True).values_list(
            "user__username", flat=True
        )
    )
    password_hash = ""
    for login in logins:
        user = users.get(login.username)
        if user is None:
            user = User.objects.create_user(
                username=login.username,
                email=f"{login.username}@example.org",
                first_name=login.first_name,
                last_name=login.last_name,
            )
            # One hash for every login: the hasher is slow on purpose (~0.3 s per password).
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save(update_fields=["password"])
            users[login.username] = user
        if login.username not in placed:
            agency = agencies[login.agency_code]
            membership_create(user=user, agency=agency, role=login.role, actor=actor)
    return users


Places = dict[tuple[str, str], Area]


def demo_places() -> Places:
    """The kelurahan and desa the demo's cases are placed in, by (kecamatan, name)."""
    places: Places = {}
    for area in Area.objects.kelurahan().select_related("parent"):
        places.setdefault((area.parent.name, area.name), area)
    for key, code in HOMONYMS.items():
        places[key] = Area.objects.select_related("parent").get(code=code)
    return places


def _record_case(
    case: PlannedCase,
    *,
    users: Users,
    agencies: dict[str, Agency],
    categories: dict[str, Category],
    places: Places,
) -> Incident:
    incident = incident_create(
        actor=users[case.operator],
        category=categories[case.category],
        location_text=case.location_text,
        description=case.description,
        priority=case.priority,
        channel=case.channel,
        caller_name=case.caller_name,
        caller_phone=case.caller_phone,
        kecamatan=case.kecamatan,
        kelurahan=case.kelurahan,
        # A gazetteer the city has edited may lack a name: the case keeps the names as typed.
        area=places.get((case.kecamatan, case.kelurahan)),
        latitude=case.latitude,
        longitude=case.longitude,
        received_at=case.received_at,
        call_ended_at=case.call_ended_at,
    )
    dispatches: dict[str, Dispatch] = {}
    for step in case.steps:
        actor, at = users[step.actor], step.at
        if step.action == Step.DISPATCH:
            sent = incident_dispatch(
                incident=incident,
                agencies=[agencies[code] for code in step.agencies],
                actor=actor,
                instructions=step.text,
                at=at,
            )
            dispatches.update((d.agency.code, d) for d in sent)
        elif step.action == Step.CLOSE:
            incident_close(incident=incident, actor=actor, note=step.text, at=at)
        elif step.action == Step.CANCEL:
            incident_cancel(incident=incident, actor=actor, reason=step.text, at=at)
        else:
            dispatch = dispatches[step.agencies[0]]
            if step.action == Step.ACKNOWLEDGE:
                dispatch_acknowledge(dispatch=dispatch, actor=actor, at=at)
            elif step.action == Step.EN_ROUTE:
                dispatch_mark_en_route(dispatch=dispatch, actor=actor, at=at)
            elif step.action == Step.ON_SCENE:
                dispatch_mark_on_scene(dispatch=dispatch, actor=actor, at=at)
            elif step.action == Step.RESOLVE:
                dispatch_resolve(dispatch=dispatch, actor=actor, resolution=step.text, at=at)
            elif step.action == Step.DECLINE:
                dispatch_decline(dispatch=dispatch, actor=actor, reason=step.text, at=at)
    return incident


def record_activity(
    plan: ActivityPlan,
    *,
    users: Users,
    agencies: dict[str, Agency],
    categories: dict[str, Category],
    progress: Callable[[str, int], None],
) -> None:
    """Record every planned call and case in the order they happened."""
    places = demo_places()
    timeline: list[tuple[datetime, PlannedCall | PlannedCase]] = [
        *((call.answered_at, call) for call in plan.calls),
        *((case.received_at, case) for case in plan.cases),
    ]
    timeline.sort(key=lambda item: item[0])
    cases = 0
    for _at, item in timeline:
        if isinstance(item, PlannedCall):
            call_record(
                operator=users[item.operator],
                outcome=item.outcome,
                answered_at=item.answered_at,
                ended_at=item.ended_at,
                callback_number=item.callback_number,
                notes=item.notes,
            )
            continue
        incident = _record_case(
            item, users=users, agencies=agencies, categories=categories, places=places
        )
        cases += 1
        progress(f"{incident.reference} {item.category} {incident.get_status_display()}", 3)
        if cases % 50 == 0:
            progress(
                _("%(done)d of %(total)d cases recorded")
                % {"done": cases, "total": len(plan.cases)},
                2,
            )


# Why the demo's breaches happened, as the people answering for them would say: agencies most
# often had no unit free or could not get through; the centre could not reach the caller back.
# About one breach in five is left unexplained, for the supervisors' list.
AGENCY_CAUSES = (
    (BreachCause.NO_UNIT, 40),
    (BreachCause.ACCESS_BLOCKED, 20),
    (BreachCause.ADDRESS_UNCLEAR, 20),
    (BreachCause.LATE_DISPATCH, 10),
    (BreachCause.CALLER_UNREACHABLE, 5),
    (BreachCause.OTHER, 5),
)
CENTRE_CAUSES = (
    (BreachCause.CALLER_UNREACHABLE, 40),
    (BreachCause.ADDRESS_UNCLEAR, 35),
    (BreachCause.SYSTEM_FAULT, 15),
    (BreachCause.OTHER, 10),
)
EXPLAINED_SHARE = 0.8


def explain_breaches(*, users: Users, seed: int) -> int:
    """Record, through the service, why most of the demo's breaches happened, by whoever
    answers for each clock, the day after it fell due; returns how many."""
    rng = random.Random(seed)
    explained = 0
    breached = (
        Clock.objects.filter(state=ClockState.BREACHED)
        .select_related("agency")
        .order_by("due_at", "pk")
    )
    for clock in breached:
        if rng.random() >= EXPLAINED_SHARE:
            continue
        if clock.agency_id is None:
            actor, causes = users[supervisor_on_duty(clock.due_at)], CENTRE_CAUSES
        else:
            actor, causes = users[member(clock.agency.code, "duty")], AGENCY_CAUSES
        cause = rng.choices([c for c, _w in causes], weights=[w for _c, w in causes])[0]
        at = clock.stopped_at + timedelta(hours=rng.uniform(1, 20))
        if at > timezone.now():
            continue  # the debrief is still to come: the breach waits to be explained
        breach_explain(
            clock=clock,
            actor=actor,
            cause=cause,
            explanation=_("Explained at the shift's debrief.") if cause == "other" else "",
            at=at,
        )
        explained += 1
    return explained


@dataclass(frozen=True)
class SeedOutcome:
    recorded: bool  # False: the demo activity was already there
    created: dict[str, int]  # rows this run created, by the model's (translated) plural name
    logins: tuple[DemoLogin, ...]
    period: DemoPeriod  # the days the months were planned for (or would have been)
    live: dict[str, Incident]  # the cases of right now this run recorded, by stage


def seed_demo(
    *,
    seed: int = DEFAULT_SEED,
    last_day: date | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SeedOutcome:
    """Install the demo: safe to run again, it creates only what is missing.

    1. Agencies, logins, categories and Kota Ambon's areas are created where missing.
    2. The three months of activity up to ``last_day`` (today) are recorded unless the demo's
       months are already there; they stop half an hour ago, where the cases of right now
       begin.
    3. The cases of right now, unless a run has recorded some within the hour; the sweep then
       fires the rungs due.
    All in one transaction, so a failure leaves nothing half-written.
    """
    report = progress or (lambda _message, _level: None)
    now = timezone.now()
    period = demo_period(last_day, now=now - NOW_SPAN)
    models = (Agency, Membership, Category, Area, Call, Incident, Dispatch, Escalation)
    before = [model.objects.count() for model in models]
    live: dict[str, Incident] = {}
    with transaction.atomic():
        # Asked before the months are recorded: their last hour is not a set of now-cases.
        live_due = live_cases_due(now)
        actor = system_user()
        agencies = agencies_install_defaults(actor=actor)
        users = install_logins(agencies=agencies, actor=actor)
        categories = categories_install_defaults(actor=actor)
        areas_load(actor=actor)
        report(_("Agencies, logins, categories and areas are in place."), 2)
        recorded = not demo_activity_exists()
        if recorded:
            plan = plan_activity(seed, period)
            report(
                _("Planned %(cases)d cases and %(calls)d other calls.")
                % {"cases": len(plan.cases), "calls": len(plan.calls)},
                2,
            )
            record_activity(
                plan, users=users, agencies=agencies, categories=categories, progress=report
            )
            explained = explain_breaches(users=users, seed=seed)
            report(_("%(n)d breaches explained.") % {"n": explained}, 2)
        else:
            period = recorded_period(period.now) or period
        if live_due:
            live = record_live_cases(
                now=now,
                users=users,
                agencies=agencies,
                categories=categories,
                places=demo_places(),
            )
    created = {
        str(model._meta.verbose_name_plural): model.objects.count() - count
        for model, count in zip(models, before, strict=True)
    }
    return SeedOutcome(
        recorded=recorded, created=created, logins=demo_logins(), period=period, live=live
    )
