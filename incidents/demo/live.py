"""The cases open right now: a handful of calls of the last half hour at varied stages, so the
board, the inboxes and the alerts show work as ``seed_demo`` finishes.

Recorded through the services like everything else, relative to the moment of recording: one
just sent whose acknowledge clock is about to breach, one breached and escalated (the sweep
fires its due rung, ``sla.services``), one acknowledged and on the way, one on scene, one
waiting at Polresta and Kodim, one not yet dispatched. A later run adds none while the last set
is fresh (:data:`FRESH_FOR`); a run on another day adds a new set, as a new shift would see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from agencies.defaults import CENTRE_CODE
from agencies.models import Agency
from incidents.demo.roster import demo_logins, member, team_on_duty
from incidents.models import Area, Category, Channel, Incident, Priority
from incidents.services import (
    dispatch_acknowledge,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    incident_create,
    incident_dispatch,
)
from sla.services import escalations_fire_due

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# The now-cases span the last half hour; the planned months stop where they begin.
NOW_SPAN = timedelta(minutes=30)
# A run finding a demo case received this recently leaves the now-cases it sees alone.
FRESH_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class LiveCase:
    """A case of right now; each moment is minutes before the recording."""

    stage: str  # what the case shows (for the tests and the command's report)
    category: str
    priority: int
    kecamatan: str
    kelurahan: str
    location_text: str
    description: str
    caller_name: str
    caller_phone: str
    received: float  # T0, minutes ago
    agencies: tuple[str, ...] = ()
    dispatched: float | None = None  # T1, minutes ago
    acknowledged: float | None = None
    en_route: float | None = None
    on_scene: float | None = None
    latitude: str | None = None
    longitude: str | None = None


# Targets (sla/targets.py): acknowledge P2 5 min; P3 15 min. The ladder fires at 100/150/200 %.
LIVE_CASES = (
    LiveCase(
        stage="received",
        category="MED",
        priority=Priority.P2,
        kecamatan="Nusaniwe",
        kelurahan="Kudamati",
        location_text="Jl. Dr. Kayadoe, Kudamati, lorong samping gereja",
        description="Ibu 67 tahun jatuh di kamar mandi, tidak bisa berdiri, sadar tetapi "
        "mengeluh nyeri pinggul. Keluarga minta ambulans.",
        caller_name="Yohana Latuheru",
        caller_phone="081343110271",
        received=0.7,
        latitude="-3.712480",
        longitude="128.166930",
    ),
    LiveCase(
        stage="about_to_breach",  # acknowledge due in about 90 s
        category="MED",
        priority=Priority.P2,
        kecamatan="Sirimau",
        kelurahan="Batu Meja",
        location_text="Jl. Batu Meja, depan kios",
        description="Laki-laki sekitar 50 tahun pingsan di pinggir jalan, napas ada. Warga "
        "sudah memindahkannya ke teras kios.",
        caller_name="Rudy Tanasale",
        caller_phone="082199204417",
        received=4.6,
        agencies=("dinkes",),
        dispatched=3.5,
        latitude="-3.701950",
        longitude="128.187410",
    ),
    LiveCase(
        stage="escalated",  # acknowledge breached at 5 min; the 150 % rung comes at 7.5 min
        category="BNC",
        priority=Priority.P2,
        kecamatan="Sirimau",
        kelurahan="Batu Gajah",
        location_text="Kawasan Kali Batu Gajah, RT 003/RW 02",
        description="Tanah longsor menimpa dapur dua rumah setelah hujan deras semalam. Tidak "
        "ada korban, warga khawatir longsor susulan.",
        caller_name="Marthen Pattiasina",
        caller_phone="081247733085",
        received=7.0,
        agencies=("bpbd",),
        dispatched=6.2,
    ),
    LiveCase(
        stage="waiting_at_two",  # Polresta and Kodim, acknowledge due in about 4 min
        category="KTB",
        priority=Priority.P2,
        kecamatan="Sirimau",
        kelurahan="Rijali",
        location_text="Pasar Mardika, Jl. Pantai Mardika",
        description="Keributan antarpedagang di Pasar Mardika, beberapa lapak dirusak. Pelapor "
        "takut bentrokan meluas.",
        caller_name="Abdul Latuconsina",
        caller_phone="085243318862",
        received=2.0,
        agencies=("polresta", "kodim-1504"),
        dispatched=1.2,
        latitude="-3.690420",
        longitude="128.180260",
    ),
    LiveCase(
        stage="en_route",
        category="LAKA",
        priority=Priority.P2,
        kecamatan="Teluk Ambon",
        kelurahan="Poka",
        location_text="Ujung Jembatan Merah Putih, Poka",
        description="Sepeda motor menabrak pembatas jalan, pengendara luka di kaki dan kepala, "
        "masih sadar.",
        caller_name="Nona Sahetapy",
        caller_phone="081311470920",
        received=10.0,
        agencies=("dinkes",),
        dispatched=9.0,
        acknowledged=7.8,
        en_route=6.5,
        latitude="-3.650840",
        longitude="128.188720",
    ),
    LiveCase(
        stage="on_scene",
        category="HWN",
        priority=Priority.P3,
        kecamatan="Baguala",
        kelurahan="Passo",
        location_text="Jl. Laksdya Leo Wattimena, Passo, dekat masjid",
        description="Ular piton sekitar tiga meter masuk ke kandang ayam warga. Anak-anak "
        "sudah dijauhkan.",
        caller_name="Frans Lewerissa",
        caller_phone="085354021136",
        received=28.0,
        agencies=("damkar",),
        dispatched=26.5,
        acknowledged=25.6,
        en_route=24.9,
        on_scene=12.0,
        latitude="-3.634210",
        longitude="128.247650",
    ),
)


def live_cases_due(now: datetime) -> bool:
    """Whether a run now should record the now-cases: no demo case is this fresh yet."""
    operators = [login.username for login in demo_logins() if login.agency_code == CENTRE_CODE]
    return not Incident.objects.filter(
        operator__username__in=operators, received_at__gte=now - FRESH_FOR
    ).exists()


def record_live_cases(
    *,
    now: datetime,
    users: dict[str, AbstractBaseUser],
    agencies: dict[str, Agency],
    categories: dict[str, Category],
    places: dict[tuple[str, str], Area],
) -> dict[str, Incident]:
    """Record :data:`LIVE_CASES` as of ``now``, then let the sweep fire the rungs due (the
    ladder's real escalations and notifications); the cases by stage."""

    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    recorded: dict[str, Incident] = {}
    # In the order the calls came in, so the references are numbered in that order.
    for case in sorted(LIVE_CASES, key=lambda c: -c.received):
        received_at = ago(case.received)
        operator = users[team_on_duty(received_at)[0]]
        incident = incident_create(
            actor=operator,
            category=categories[case.category],
            location_text=case.location_text,
            description=case.description,
            priority=case.priority,
            channel=Channel.PHONE,
            caller_name=case.caller_name,
            caller_phone=case.caller_phone,
            kecamatan=case.kecamatan,
            kelurahan=case.kelurahan,
            area=places.get((case.kecamatan, case.kelurahan)),
            latitude=Decimal(case.latitude) if case.latitude else None,
            longitude=Decimal(case.longitude) if case.longitude else None,
            received_at=received_at,
            call_ended_at=received_at + timedelta(seconds=50),
        )
        if case.dispatched is not None:
            dispatches = incident_dispatch(
                incident=incident,
                agencies=[agencies[code] for code in case.agencies],
                actor=operator,
                instructions="Mohon segera ditindaklanjuti dan laporkan ke 112.",
                at=ago(case.dispatched),
            )
            first = dispatches[0]
            staff = users[member(first.agency.code, "staff")]
            if case.acknowledged is not None:
                dispatch_acknowledge(dispatch=first, actor=staff, at=ago(case.acknowledged))
            if case.en_route is not None:
                dispatch_mark_en_route(dispatch=first, actor=staff, at=ago(case.en_route))
            if case.on_scene is not None:
                dispatch_mark_on_scene(dispatch=first, actor=staff, at=ago(case.on_scene))
        recorded[case.stage] = incident
    # The sweep beat runs every few seconds would do this at its next tick; doing it here
    # means the escalation is there when the portal opens. It fires every rung due, the
    # history's owed ones too.
    escalations_fire_due(now=now)
    return recorded
