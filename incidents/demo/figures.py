"""The numbers behind the plan: how many calls and cases, when and where, and how fast the
operators and the partner agencies respond."""

from __future__ import annotations

import math
from dataclasses import dataclass

from agencies.defaults import DEFAULT_AGENCIES
from agencies.models import WorkingHours
from incidents.defaults import DEFAULT_CATEGORIES
from incidents.demo.period import DEMO_DAYS, FIRST_FIGURES_DAYS
from incidents.models import CallOutcome, Channel, Priority

# --- Volumes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    first_day: int  # days from the demo's start
    last_day: int  # exclusive
    kinds: dict[str, int]  # case kind (a category code, or AMB: an ambulance request) -> cases
    kecamatan: dict[str, int]


# The source's 8 September-31 October, then November to 7 December, wherever the demo's days
# fall: the counts are the city's, the dates follow the demo.
PERIODS = (
    _Period(
        0,
        FIRST_FIGURES_DAYS,
        {"KTB": 48, "MED": 55, "AMB": 18, "BNC": 25, "HWN": 14, "LAKA": 10, "KBK": 9, "SOS": 9,
         "UTL": 7, "SAR": 6, "JNZ": 4, "INF": 1},
        {"Sirimau": 104, "Nusaniwe": 43, "Teluk Ambon": 33, "Baguala": 18,
         "Leitimur Selatan": 8},
    ),
    _Period(
        FIRST_FIGURES_DAYS,
        DEMO_DAYS,
        {"KTB": 60, "MED": 19, "AMB": 8, "BNC": 27, "HWN": 20, "LAKA": 9, "KBK": 8, "SOS": 7,
         "UTL": 6, "SAR": 5, "JNZ": 3, "INF": 3},
        {"Sirimau": 86, "Nusaniwe": 37, "Teluk Ambon": 27, "Baguala": 17,
         "Leitimur Selatan": 8},
    ),
)  # fmt: skip
# Where a kind of case is likelier than the kecamatan's share alone says.
AFFINITY: dict[str, dict[str, float]] = {
    "SAR": {"Sirimau": 0.5, "Nusaniwe": 1.6, "Leitimur Selatan": 2.0, "Teluk Ambon": 1.4},
    "HWN": {"Sirimau": 0.6, "Baguala": 1.6, "Leitimur Selatan": 2.2},
    "KTB": {"Sirimau": 1.3, "Leitimur Selatan": 0.5},
    "BNC": {"Leitimur Selatan": 1.4},
}
NON_CASE_CALLS = (
    # outcome, calls, first day, last day (exclusive), day weight, hour profile
    (CallOutcome.PRANK, 214, 0, 21, lambda d: (1.6, 1.0, 0.7)[d // 7], "evening"),
    (CallOutcome.PRANK, 150, 21, DEMO_DAYS, lambda d: math.exp(-(d - 21) / 35), "evening"),
    (CallOutcome.DROPPED, 130, 0, DEMO_DAYS, lambda d: 1.0, "all"),
    (CallOutcome.GHOST, 90, 0, DEMO_DAYS, lambda d: 1.0, "all"),
    (CallOutcome.MISDIAL, 45, 0, DEMO_DAYS, lambda d: 1.0, "day"),
    (CallOutcome.INFORMATION, 100, 0, DEMO_DAYS, lambda d: 1.0, "day"),
)
CALL_SECONDS = {
    CallOutcome.PRANK: (8, 90),
    CallOutcome.GHOST: (10, 40),
    CallOutcome.DROPPED: (2, 12),
    CallOutcome.MISDIAL: (5, 25),
    CallOutcome.INFORMATION: (45, 240),
}
# Calls per hour of the day (WIT), relative.
HOURS = {
    "night": (8, 7, 5, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 9),
    "day": (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 6, 6, 6, 6, 6, 5, 5, 4, 3, 3, 2, 1),
    "all": (3, 2, 2, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 5, 4, 4),
    "evening": (2, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8, 8, 7, 6, 4, 3),
}
KIND_HOURS = {"KTB": "night", "MED": "all", "BNC": "all", "LAKA": "all"}  # the rest: "day"
CHANNELS = (Channel.PHONE, Channel.WHATSAPP, Channel.SOCIAL, Channel.SMS, Channel.WALK_IN)
CHANNEL_WEIGHTS = (85, 8, 3, 2, 2)
DEFAULT_PRIORITY = {d["code"]: d["default_priority"] for d in DEFAULT_CATEGORIES}

# --- How fast the centre dispatches ------------------------------------------------------------

# The team's median seconds from receiving a report to dispatching it, per priority.
TEAM_DISPATCH_SECONDS = {Priority.P1: 50, Priority.P2: 80, Priority.P3: 150}
# How fast each operator dispatches, against the team's median: what the evaluation measures.
OPERATOR_PACE = {
    "operator1": 0.8,
    "operator2": 1.0,
    "operator3": 1.15,
    "operator4": 1.45,
    "operator5": 0.9,
    "operator6": 1.2,
}

# --- How partners respond ----------------------------------------------------------------------

# (median seconds to acknowledge, median minutes to reach the scene; 0: answers from its desk)
AGENCY_PACE = {
    "polresta": (120, 14),
    "kodim-1504": (200, 25),
    "basarnas": (110, 35),
    "bmkg": (180, 0),
    "pln": (240, 45),
    "bpbd": (150, 30),
    "dinkes": (75, 15),
    "damkar": (60, 12),
    "dinsos": (300, 45),
    "dlh": (300, 50),
    "dishub": (200, 20),
    "dp3md": (360, 60),
    "distan": (300, 50),
}
OFFICE_HOURS = frozenset(
    d["code"] for d in DEFAULT_AGENCIES if d.get("working_hours") == WorkingHours.OFFICE
)
SHORT_NAMES = {d["code"]: d["short_name"] for d in DEFAULT_AGENCIES}
# Who a case goes to when an agency declines it.
FALLBACK = {
    "distan": "damkar",
    "dp3md": "dinsos",
    "dinsos": "dp3md",
    "kodim-1504": "polresta",
    "dlh": "bpbd",
    "dishub": "polresta",
}
DISTANCE = {
    "Sirimau": 1.0,
    "Nusaniwe": 1.15,
    "Teluk Ambon": 1.3,
    "Baguala": 1.35,
    "Leitimur Selatan": 1.7,
}
PRIORITY_PACE = {Priority.P1: 0.8, Priority.P2: 1.0, Priority.P3: 1.35}
# Minutes from reaching the scene to the field report, per kind of case.
WORK_MINUTES = {
    "KTB": (20, 90),
    "MED": (15, 60),
    "AMB": (30, 90),
    "BNC": (60, 360),
    "HWN": (20, 120),
    "LAKA": (30, 90),
    "KBK": (30, 180),
    "SOS": (40, 180),
    "UTL": (45, 300),
    "SAR": (120, 2400),
    "JNZ": (40, 120),
}
CANCELLABLE = frozenset({"KTB", "MED", "KBK", "BNC", "LAKA"})
