"""Who works the demo: one login per person, and which operators and supervisor are on shift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agencies.defaults import CENTRE_CODE, DEFAULT_AGENCIES
from agencies.models import Role
from incidents.demo.period import AMBON_TZ, GO_LIVE
from incidents.demo.texts import FAMILY_NAMES, FIRST_NAMES

DEMO_PASSWORD = "ambon-112-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    agency_code: str
    role: str


# Two operators per shift; the teams rotate through the three shifts week by week.
OPERATOR_TEAMS = (
    ("operator1", "operator2"),
    ("operator3", "operator4"),
    ("operator5", "operator6"),
)
SUPERVISORS = ("supervisor1", "supervisor2")
_CENTRE_STAFF = (
    ("operator1", "Maria", "Latuheru", Role.OPERATOR),
    ("operator2", "Fadli", "Tuasikal", Role.OPERATOR),
    ("operator3", "Yohana", "Pattiasina", Role.OPERATOR),
    ("operator4", "Rizal", "Ohorella", Role.OPERATOR),
    ("operator5", "Stevi", "Lewerissa", Role.OPERATOR),
    ("operator6", "Nurul", "Latuconsina", Role.OPERATOR),
    ("supervisor1", "Johny", "Sahetapy", Role.SUPERVISOR),
    ("supervisor2", "Salma", "Marasabessy", Role.SUPERVISOR),
    ("coordinator", "Frans", "Tuhumury", Role.COORDINATOR),
)
_PARTNER_ROLES = ((Role.STAFF, "staff"), (Role.DUTY_OFFICER, "duty"), (Role.HEAD, "head"))


def demo_logins() -> tuple[DemoLogin, ...]:
    """One login per person: the centre's staff, and a staff member, duty officer and head at
    every partner agency (``<agency code>.<staff|duty|head>``)."""
    logins = [
        DemoLogin(u, first, last, CENTRE_CODE, role) for u, first, last, role in _CENTRE_STAFF
    ]
    partners = [d["code"] for d in DEFAULT_AGENCIES if not d.get("is_centre")]
    for index, (code, (role, suffix)) in enumerate(
        (code, role) for code in partners for role in _PARTNER_ROLES
    ):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = FAMILY_NAMES[(index * 7) % len(FAMILY_NAMES)]
        logins.append(DemoLogin(f"{code}.{suffix}", first, last, code, role))
    return tuple(logins)


def member(agency: str, suffix: str) -> str:
    return f"{agency}.{suffix}"


def _shift(at: datetime) -> tuple[int, int]:
    """(day since the go-live the shift started on, shift: 0 = 07–14, 1 = 14–21, 2 = 21–07 WIT);
    the rota has turned since the go-live, whatever days the demo covers."""
    local = at.astimezone(AMBON_TZ)
    day = (local.date() - GO_LIVE.date()).days
    if 7 <= local.hour < 14:
        return day, 0
    if 14 <= local.hour < 21:
        return day, 1
    return (day if local.hour >= 21 else day - 1), 2


def team_on_duty(at: datetime) -> tuple[str, str]:
    day, shift = _shift(at)
    return OPERATOR_TEAMS[(shift + day // 7) % 3]


def supervisor_on_duty(at: datetime) -> str:
    day, shift = _shift(at)
    return SUPERVISORS[(day + shift) % 2]
