"""Three months of Kota Ambon's 112 centre as demo data (``manage.py seed_demo``).

:func:`plan_activity` is pure: from a seed it plans every call and case as plain data, the same
plan for the same seed. :func:`seed_demo` installs the network, the logins, the categories and
Kota Ambon's areas (the gazetteer) where missing, then records the plan through the services,
dated after the fact, exactly as the operators and agencies would have, each case placed in its
kelurahan or desa. Every demo login's password is :data:`DEMO_PASSWORD`.

The months are the 91 days up to today (``--end`` pins the last day), with a handful of cases
open right now at varied stages (``live``). The volumes follow the city's published figures
(DOMAIN.md) for its first 91 days from the go-live on 8 September 2025, wherever the demo's
days fall: 381 cases, kamtibmas first, then health, disasters, wild animals and ambulance
requests; the first 54 days (8 September–31 October) reproduce the Sept–Oct count of 206 cases
(medical 73, kamtibmas 48, disaster 25; Sirimau 104, Nusaniwe 43, Teluk Ambon 33); more than
200 prank calls in the first three weeks.

The modules, by role: ``period`` (when), ``live`` (the cases of right now), ``roster`` (who,
and who is on shift), ``figures`` (how many, and how fast), ``texts`` (what people say and
write), ``plan`` (the pure planner), ``record`` (writing the plan through the services) and
``summary`` (counting what is there).
"""

from incidents.demo.live import LIVE_CASES, LiveCase
from incidents.demo.period import AMBON_TZ, DEMO_DAYS, GO_LIVE, DemoPeriod, demo_period
from incidents.demo.plan import (
    DEFAULT_SEED,
    LIVE_WINDOW,
    ActivityPlan,
    PlannedCall,
    PlannedCase,
    PlannedStep,
    Step,
    plan_activity,
)
from incidents.demo.record import SeedOutcome, install_logins, record_activity, seed_demo
from incidents.demo.roster import (
    DEMO_PASSWORD,
    OPERATOR_TEAMS,
    SUPERVISORS,
    DemoLogin,
    demo_logins,
    supervisor_on_duty,
    team_on_duty,
)
from incidents.demo.summary import DemoSummary, demo_activity_exists, demo_summary
from incidents.demo.texts import AMBULANCE_REQUEST_PREFIX, P1, P2, P3

__all__ = [
    "AMBON_TZ",
    "AMBULANCE_REQUEST_PREFIX",
    "DEFAULT_SEED",
    "DEMO_DAYS",
    "DEMO_PASSWORD",
    "GO_LIVE",
    "LIVE_CASES",
    "LIVE_WINDOW",
    "OPERATOR_TEAMS",
    "P1",
    "P2",
    "P3",
    "SUPERVISORS",
    "ActivityPlan",
    "DemoLogin",
    "DemoPeriod",
    "DemoSummary",
    "LiveCase",
    "PlannedCall",
    "PlannedCase",
    "PlannedStep",
    "SeedOutcome",
    "Step",
    "demo_activity_exists",
    "demo_logins",
    "demo_period",
    "demo_summary",
    "install_logins",
    "plan_activity",
    "record_activity",
    "seed_demo",
    "supervisor_on_duty",
    "team_on_duty",
]
