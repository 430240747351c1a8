"""Three months of Kota Ambon's 112 centre as demo data (``manage.py seed_demo``).

:func:`plan_activity` is pure: from a seed it plans every call and case as plain data, the same
plan for the same seed. :func:`seed_demo` installs the network, the logins and the categories
where missing, then records the plan through the services, dated after the fact, exactly as the
operators and agencies would have. Every demo login's password is :data:`DEMO_PASSWORD`.

The volumes follow the city's published figures (DOMAIN.md): 381 cases from the go-live on
8 September 2025, kamtibmas first, then health, disasters, wild animals and ambulance requests;
the 8 September–31 October share reproduces the Sept–Oct count of 206 cases (medical 73,
kamtibmas 48, disaster 25; Sirimau 104, Nusaniwe 43, Teluk Ambon 33); more than 200 prank
calls in the first three weeks.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from faker import Faker

from agencies.defaults import CENTRE_CODE, DEFAULT_AGENCIES, agencies_install_defaults
from agencies.models import Agency, Membership, Role, WorkingHours
from agencies.services import membership_create
from cc112.history import system_user
from incidents.defaults import DEFAULT_CATEGORIES, categories_install_defaults
from incidents.models import (
    Call,
    CallOutcome,
    Category,
    Channel,
    Dispatch,
    Incident,
    IncidentStatus,
    Priority,
)
from incidents.services import (
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

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from incidents.querysets import CallQuerySet

    Users = dict[str, AbstractBaseUser]

AMBON_TZ = ZoneInfo("Asia/Jayapura")
DEMO_START = datetime(2025, 9, 8, tzinfo=AMBON_TZ)  # the go-live
DEMO_DAYS = 91
DEMO_END = DEMO_START + timedelta(days=DEMO_DAYS)  # the demo's "now"
DEFAULT_SEED = 112
DEMO_PASSWORD = "ambon-112-demo"
AMBULANCE_REQUEST_PREFIX = "Permintaan ambulans"
# Cases this close to the demo's end are left open in whatever state they had reached.
LIVE_WINDOW = timedelta(days=3)

# --- Logins ------------------------------------------------------------------------------------


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
# How fast each operator dispatches, against the team's median: what the evaluation measures.
_OPERATOR_PACE = {
    "operator1": 0.8,
    "operator2": 1.0,
    "operator3": 1.15,
    "operator4": 1.45,
    "operator5": 0.9,
    "operator6": 1.2,
}

_FIRST_NAMES = (
    "Yohanis", "Marthen", "Novita", "Welhelmina", "Abdul", "Ikhsan", "Melky", "Agustina",
    "Rahmat", "Halima", "Oktovianus", "Feby", "Ismail", "Yuliana", "Jacky", "Siti", "Chelsea",
    "Hamid", "Dominggus", "Fatma", "Semuel", "Nurhayati", "Roy", "Elsye",
)  # fmt: skip
_FAMILY_NAMES = (
    "Latuconsina", "Tuhumury", "Sahetapy", "Pattiasina", "Lewerissa", "Matulessy", "Latuheru",
    "Tuasikal", "Ohorella", "Marasabessy", "Tahapary", "Manuputty", "Leiwakabessy", "Sopacua",
    "Huwae", "Wattimena", "Tuanakotta", "Hehanussa", "Rehatta", "Loupatty", "Pelupessy",
    "Siwalette", "Tanasale", "Ririmasse", "Lestaluhu", "Tualeka", "Kaplale", "Wakano",
    "Matakupan", "Waliulu", "Tutuarima", "Salampessy", "Angkotasan", "Lessy", "Taihuttu",
    "Nikijuluw", "Pattipeilohy", "Syaranamual",
)  # fmt: skip


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
        first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
        last = _FAMILY_NAMES[(index * 7) % len(_FAMILY_NAMES)]
        logins.append(DemoLogin(f"{code}.{suffix}", first, last, code, role))
    return tuple(logins)


def _member(agency: str, suffix: str) -> str:
    return f"{agency}.{suffix}"


# --- The plan, as plain data -------------------------------------------------------------------


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
    cases: tuple[PlannedCase, ...]
    calls: tuple[PlannedCall, ...]


# --- Volumes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime
    kinds: dict[str, int]  # case kind (a category code, or AMB: an ambulance request) -> cases
    kecamatan: dict[str, int]


_NOVEMBER = datetime(2025, 11, 1, tzinfo=AMBON_TZ)
_PERIODS = (
    _Period(
        DEMO_START,
        _NOVEMBER,
        {"KTB": 48, "MED": 55, "AMB": 18, "BNC": 25, "HWN": 14, "LAKA": 10, "KBK": 9, "SOS": 9,
         "UTL": 7, "SAR": 6, "JNZ": 4, "INF": 1},
        {"Sirimau": 104, "Nusaniwe": 43, "Teluk Ambon": 33, "Teluk Ambon Baguala": 18,
         "Leitimur Selatan": 8},
    ),
    _Period(
        _NOVEMBER,
        DEMO_END,
        {"KTB": 60, "MED": 19, "AMB": 8, "BNC": 27, "HWN": 20, "LAKA": 9, "KBK": 8, "SOS": 7,
         "UTL": 6, "SAR": 5, "JNZ": 3, "INF": 3},
        {"Sirimau": 86, "Nusaniwe": 37, "Teluk Ambon": 27, "Teluk Ambon Baguala": 17,
         "Leitimur Selatan": 8},
    ),
)  # fmt: skip
# Where a kind of case is likelier than the kecamatan's share alone says.
_AFFINITY: dict[str, dict[str, float]] = {
    "SAR": {"Sirimau": 0.5, "Nusaniwe": 1.6, "Leitimur Selatan": 2.0, "Teluk Ambon": 1.4},
    "HWN": {"Sirimau": 0.6, "Teluk Ambon Baguala": 1.6, "Leitimur Selatan": 2.2},
    "KTB": {"Sirimau": 1.3, "Leitimur Selatan": 0.5},
    "BNC": {"Leitimur Selatan": 1.4},
}
_NON_CASE_CALLS = (
    # outcome, calls, first day, last day (exclusive), day weight, hour profile
    (CallOutcome.PRANK, 214, 0, 21, lambda d: (1.6, 1.0, 0.7)[d // 7], "evening"),
    (CallOutcome.PRANK, 150, 21, DEMO_DAYS, lambda d: math.exp(-(d - 21) / 35), "evening"),
    (CallOutcome.DROPPED, 130, 0, DEMO_DAYS, lambda d: 1.0, "all"),
    (CallOutcome.GHOST, 90, 0, DEMO_DAYS, lambda d: 1.0, "all"),
    (CallOutcome.MISDIAL, 45, 0, DEMO_DAYS, lambda d: 1.0, "day"),
    (CallOutcome.INFORMATION, 100, 0, DEMO_DAYS, lambda d: 1.0, "day"),
)
# Calls per hour of the day (WIT), relative.
_HOURS = {
    "night": (8, 7, 5, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 9),
    "day": (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 6, 6, 6, 6, 6, 5, 5, 4, 3, 3, 2, 1),
    "all": (3, 2, 2, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5, 5, 4, 4),
    "evening": (2, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8, 8, 7, 6, 4, 3),
}
_KIND_HOURS = {"KTB": "night", "MED": "all", "BNC": "all", "LAKA": "all"}  # the rest: "day"

# --- How partners respond ----------------------------------------------------------------------

# (median seconds to acknowledge, median minutes to reach the scene; 0: answers from its desk)
_AGENCY_PACE = {
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
_OFFICE_HOURS = frozenset(
    d["code"] for d in DEFAULT_AGENCIES if d.get("working_hours") == WorkingHours.OFFICE
)
_SHORT_NAMES = {d["code"]: d["short_name"] for d in DEFAULT_AGENCIES}
# Who a case goes to when an agency declines it.
_FALLBACK = {
    "distan": "damkar",
    "dp3md": "dinsos",
    "dinsos": "dp3md",
    "kodim-1504": "polresta",
    "dlh": "bpbd",
    "dishub": "polresta",
}
_DISTANCE = {
    "Sirimau": 1.0,
    "Nusaniwe": 1.15,
    "Teluk Ambon": 1.3,
    "Teluk Ambon Baguala": 1.35,
    "Leitimur Selatan": 1.7,
}
_PRIORITY_PACE = {Priority.P1: 0.8, Priority.P2: 1.0, Priority.P3: 1.35}
# Minutes from reaching the scene to the field report, per kind of case.
_WORK_MINUTES = {
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
_CANCELLABLE = frozenset({"KTB", "MED", "KBK", "BNC", "LAKA"})

# --- What the people on shift write ------------------------------------------------------------


@dataclass(frozen=True)
class _Scenario:
    text: str
    agencies: tuple[str, ...]  # sent at once; the last may instead be called in from the scene
    priority: int | None = None  # None: the category's default
    at_sea: bool = False


P1, P2, P3 = Priority.P1, Priority.P2, Priority.P3
_S = _Scenario
_SCENARIOS: dict[str, tuple[_Scenario, ...]] = {
    "KTB": (
        _S("Perkelahian antarkelompok pemuda di {kel}, sebagian membawa senjata tajam. Warga "
           "minta aparat segera datang.", ("polresta", "kodim-1504"), P1),
        _S("Dua orang mabuk sopi membuat keributan dan melempari rumah warga dengan batu.",
           ("polresta",)),
        _S("Pencurian sepeda motor di depan rumah, {n} pelaku kabur ke arah jalan raya.",
           ("polresta",)),
        _S("Pengemudi ojek dianiaya orang tidak dikenal, korban luka di kepala.",
           ("polresta",), P1),
        _S("Keributan di tempat hiburan malam, pengunjung saling pukul.", ("polresta",)),
        _S("Bentrok warga antarkampung, lemparan batu, beberapa rumah rusak. Warga resah.",
           ("polresta", "kodim-1504"), P1),
        _S("Balap liar di jalan raya sejak tengah malam, membahayakan pengguna jalan.",
           ("polresta",), P3),
        _S("Orang tidak dikenal mencoba membuka pintu rumah warga, pelapor ketakutan.",
           ("polresta",)),
        _S("Sekelompok pemuda memalak sopir angkot.", ("polresta",)),
        _S("Kios dibobol, gembok dirusak, pelaku diduga masih di sekitar lokasi.",
           ("polresta",)),
        _S("Cekcok antarwarga soal batas tanah, hampir terjadi perkelahian.",
           ("polresta", "kodim-1504")),
    ),
    "MED": (
        _S("Laki-laki ±{age} tahun pingsan di pinggir jalan, tidak sadarkan diri, masih "
           "bernapas.", ("dinkes",)),
        _S("Warga nyeri dada hebat dan keringat dingin, keluarga menduga serangan jantung.",
           ("dinkes",)),
        _S("Anak usia {child} tahun demam tinggi disertai kejang.", ("dinkes",)),
        _S("Ibu hamil {n} bulan mengalami pendarahan, butuh pertolongan segera.", ("dinkes",)),
        _S("Lansia ±{elder} tahun jatuh di kamar mandi, kepala terbentur, sadar tapi lemas.",
           ("dinkes",), P2),
        _S("Pasien sesak napas berat, riwayat asma, obat di rumah habis.", ("dinkes",)),
        _S("Warga terluka parah setelah jatuh dari pohon kelapa.", ("dinkes",)),
        _S("Korban luka sabetan parang di lengan setelah perkelahian, pendarahan banyak.",
           ("dinkes", "polresta")),
        _S("Keracunan makanan setelah acara syukuran, {n} orang muntah-muntah.", ("dinkes",),
           P2),
        _S("Penderita diabetes tidak sadarkan diri, keluarga panik.", ("dinkes",)),
    ),
    "AMB": (
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien stroke perlu dibawa ke RSUD dr. M. Haulussy.",
           ("dinkes",), P2),
        _S(AMBULANCE_REQUEST_PREFIX + " untuk rujukan pasien dari Puskesmas {pkm} ke rumah "
           "sakit.", ("dinkes",), P2),
        _S(AMBULANCE_REQUEST_PREFIX + ": lansia ±{elder} tahun lumpuh, jadwal kontrol ke rumah "
           "sakit.", ("dinkes",), P3),
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien cuci darah terjadwal, keluarga tidak punya "
           "kendaraan.", ("dinkes",), P3),
        _S(AMBULANCE_REQUEST_PREFIX + ": ibu hendak melahirkan, ketuban sudah pecah.",
           ("dinkes",), P1),
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien patah kaki setelah jatuh dari motor, sudah "
           "dibidai warga.", ("dinkes",), P2),
    ),
    "BNC": (
        _S("Banjir ±{cm} cm merendam rumah warga setelah hujan deras, drainase tersumbat "
           "sampah.", ("bpbd", "dlh")),
        _S("Tanah longsor menutup sebagian badan jalan dan mengancam {n} rumah di lereng.",
           ("bpbd",), P1),
        _S("Pohon besar tumbang menutup jalan dan menimpa kabel listrik.",
           ("bpbd", "dlh", "pln")),
        _S("Angin kencang merusak atap {n} rumah warga.", ("bpbd",)),
        _S("Talud kali jebol, air masuk ke permukiman warga.", ("bpbd",)),
        _S("Gempa terasa cukup kuat, warga panik keluar rumah, dinding rumah retak.",
           ("bpbd", "bmkg")),
        _S("Rumah tertimpa material longsor setelah hujan semalaman, penghuni sempat keluar.",
           ("bpbd",), P1),
        _S("Pohon tumbang menimpa rumah warga, tidak ada korban jiwa.", ("bpbd", "dlh")),
        _S("Air kali meluap, jalan tergenang dan kendaraan tidak bisa lewat.",
           ("bpbd", "dishub")),
    ),
    "HWN": (
        _S("Ular piton sepanjang ±{m} meter masuk ke rumah warga.", ("damkar", "distan")),
        _S("Anjing liar menggigit {n} warga, diduga rabies.", ("distan", "dinkes")),
        _S("Sarang tawon besar di plafon rumah, anak-anak pernah disengat.", ("damkar",)),
        _S("Ular berbisa masuk ke ruang kelas SD, murid dievakuasi guru.",
           ("damkar", "distan")),
        _S("Anjing diduga rabies berkeliaran dan menyerang ternak warga.", ("distan",)),
        _S("Monyet liar masuk ke permukiman dan merusak rumah warga.", ("distan",), P3),
        _S("Biawak besar masuk ke kandang ayam warga.", ("damkar",), P3),
        _S("Kawanan anjing liar mengejar anak-anak pulang sekolah.", ("distan",)),
    ),
    "LAKA": (
        _S("Tabrakan sepeda motor dengan angkot, satu korban luka di kepala.",
           ("polresta", "dinkes", "dishub")),
        _S("Kecelakaan tunggal sepeda motor, pengendara tidak sadarkan diri.",
           ("polresta", "dinkes")),
        _S("Truk rem blong di turunan menabrak pagar rumah, sopir terjepit.",
           ("polresta", "dinkes", "damkar")),
        _S("Mobil terperosok ke selokan, tidak ada korban, kendaraan menutup jalan.",
           ("dishub", "polresta"), P2),
        _S("Pejalan kaki ditabrak sepeda motor, pengendara kabur.", ("polresta", "dinkes")),
        _S("Tabrakan beruntun tiga kendaraan, lalu lintas macet total.",
           ("polresta", "dinkes", "dishub")),
    ),
    "KBK": (
        _S("Kebakaran rumah warga, api membesar dan merambat ke rumah sebelah.",
           ("damkar", "pln")),
        _S("Kebakaran alang-alang di lereng bukit dekat permukiman.", ("damkar",), P2),
        _S("Api dari pembakaran sampah merambat ke pagar dan pohon.", ("damkar",), P2),
        _S("Korsleting listrik di kios pasar, asap tebal keluar dari atap.", ("damkar", "pln")),
        _S("Tabung gas bocor dan terbakar di rumah makan, pengunjung dievakuasi.", ("damkar",)),
        _S("Kebakaran rumah, penghuni lansia terjebak di dalam.", ("damkar", "dinkes", "pln")),
    ),
    "SOS": (
        _S("ODGJ mengamuk dan merusak barang di rumah keluarga, keluarga kewalahan.",
           ("dinsos", "polresta")),
        _S("Orang dengan gangguan jiwa berkeliaran di jalan raya tanpa pakaian.", ("dinsos",)),
        _S("Istri dianiaya suami, anak-anak ketakutan. Pelapor tetangga korban.",
           ("dp3md", "polresta")),
        _S("Anak usia {child} tahun ditemukan sendirian di terminal, tidak tahu alamat rumah.",
           ("dinsos", "dp3md")),
        _S("Lansia sebatang kara sakit di rumah, tidak ada yang merawat.", ("dinsos",), P3),
        _S("Gelandangan tidur di emperan toko, kondisi lemah dan belum makan.", ("dinsos",), P3),
    ),
    "UTL": (
        _S("Kabel listrik putus menjuntai ke jalan, berbahaya bagi pengguna jalan.", ("pln",),
           P1),
        _S("Tiang listrik miring hampir roboh setelah ditabrak mobil.", ("pln", "dishub")),
        _S("Gardu listrik meledak dan memercikkan api, listrik padam satu kampung.",
           ("pln", "damkar"), P1),
        _S("Listrik padam sejak {hours} jam lalu di {kel}, belum ada informasi dari PLN.",
           ("pln",), P3),
        _S("Kabel listrik bersentuhan dengan dahan pohon, keluar percikan api saat hujan.",
           ("pln", "dlh")),
    ),
    "SAR": (
        _S("Perahu ketinting nelayan belum kembali sejak kemarin sore, {n} orang di atas "
           "perahu.", ("basarnas", "polresta"), at_sea=True),
        _S("Warga tenggelam saat berenang di pantai, belum ditemukan.", ("basarnas",),
           at_sea=True),
        _S("Speedboat mati mesin di Teluk Ambon, penumpang minta pertolongan.", ("basarnas",),
           at_sea=True),
        _S("Lansia dengan demensia hilang sejak pagi, keluarga sudah mencari di sekitar "
           "kampung.", ("basarnas", "polresta"), P2),
        _S("Anak terseret arus kali saat hujan deras.", ("basarnas", "bpbd")),
    ),
    "JNZ": (
        _S("Permintaan mobil jenazah dari RSUD dr. M. Haulussy ke rumah duka di {kel}.",
           ("dinkes",)),
        _S("Warga meninggal dunia di rumah, keluarga meminta mobil jenazah.", ("dinkes",)),
        _S("Permintaan mobil jenazah ke Pelabuhan Yos Sudarso, jenazah dibawa ke kampung "
           "halaman.", ("dinkes",)),
    ),
    "INF": (
        _S("Pengaduan lampu jalan mati di sepanjang jalan, warga minta diteruskan ke dinas "
           "terkait.", ()),
        _S("Pengaduan jalan berlubang yang sering membuat pengendara jatuh.", ()),
        _S("Air PDAM tidak mengalir selama {n} hari, warga minta informasi.", ()),
    ),
}  # fmt: skip

# (kelurahan, place) per kecamatan: where reports come from.
_PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "Sirimau": (
        ("Honipopu", "Jl. Sultan Babullah, dekat Masjid Raya Al-Fatah"),
        ("Honipopu", "Kawasan Pelabuhan Yos Sudarso"),
        ("Rijali", "Pasar Mardika, Jl. Pantai Mardika"),
        ("Rijali", "Terminal Mardika"),
        ("Uritetu", "Jl. Pattimura, dekat Lapangan Merdeka"),
        ("Amantelu", "Jl. Amantelu"),
        ("Karang Panjang", "Kawasan Patung Martha Christina Tiahahu, Karang Panjang"),
        ("Batu Meja", "Jl. Batu Meja"),
        ("Batu Gajah", "Kawasan Kali Batu Gajah"),
        ("Ahusen", "Jl. Ahusen"),
        ("Waihoka", "Jl. Waihoka"),
        ("Batu Merah", "Jl. Jenderal Sudirman, Batu Merah"),
        ("Batu Merah", "Kawasan Kali Batu Merah"),
        ("Galala", "Ujung Jembatan Merah Putih, Galala"),
        ("Hative Kecil", "Jl. Jenderal Sudirman, Hative Kecil"),
        ("Soya", "Negeri Soya, jalan ke Gunung Sirimau"),
    ),
    "Nusaniwe": (
        ("Benteng", "Jl. Raya Benteng"),
        ("Kudamati", "Jl. Dr. Kayadoe, Kudamati"),
        ("Kudamati", "Depan RSUD dr. M. Haulussy, Kudamati"),
        ("Waihaong", "Jl. Waihaong"),
        ("Mangga Dua", "Jl. Mangga Dua"),
        ("Wainitu", "Jl. Wainitu"),
        ("Silale", "Kawasan Pantai Silale"),
        ("Amahusu", "Jl. Raya Amahusu, dekat Pantai Amahusu"),
        ("Latuhalat", "Pantai Namalatu, Latuhalat"),
        ("Latuhalat", "Jl. Raya Latuhalat"),
        ("Seilale", "Jl. Raya Seilale"),
        ("Urimessing", "Kawasan perbukitan Urimessing"),
        ("Airlouw", "Negeri Airlouw"),
        ("Nusaniwe", "Jl. Nusaniwe"),
    ),
    "Teluk Ambon": (
        ("Poka", "Kampus Universitas Pattimura, Jl. Ir. M. Putuhena"),
        ("Poka", "Ujung Jembatan Merah Putih, Poka"),
        ("Rumah Tiga", "Jl. Ir. M. Putuhena, Rumah Tiga"),
        ("Wayame", "Jl. Ir. M. Putuhena, Wayame, dekat depot Pertamina"),
        ("Tihu", "Kawasan Tihu"),
        ("Hative Besar", "Jl. Ir. M. Putuhena, Hative Besar"),
        ("Tawiri", "Negeri Tawiri, dekat Bandara Pattimura"),
        ("Laha", "Bandara Internasional Pattimura, Laha"),
    ),
    "Teluk Ambon Baguala": (
        ("Passo", "Pasar Passo"),
        ("Passo", "Jl. Laksdya Leo Wattimena, Passo"),
        ("Halong", "Jl. Laksdya Leo Wattimena, Halong"),
        ("Lateri", "Jl. Laksdya Leo Wattimena, Lateri"),
        ("Nania", "Kawasan pantai Nania"),
        ("Waiheru", "Jalan lintas Passo–Poka, Waiheru"),
        ("Negeri Lama", "Negeri Lama"),
        ("Hunuth", "Hunuth, Durian Patah"),
        ("Latta", "Latta"),
    ),
    "Leitimur Selatan": (
        ("Hutumuri", "Negeri Hutumuri, jalan pesisir"),
        ("Rutong", "Pantai Rutong"),
        ("Leahari", "Negeri Leahari"),
        ("Hukurila", "Negeri Hukurila"),
        ("Ema", "Negeri Ema"),
        ("Kilang", "Negeri Kilang, jalan pegunungan"),
        ("Naku", "Negeri Naku"),
        ("Hatalai", "Negeri Hatalai"),
    ),
}
# Rough centre of each kecamatan's built-up area; demo points scatter around it.
_CENTRES = {
    "Sirimau": (-3.6950, 128.1830),
    "Nusaniwe": (-3.7170, 128.1600),
    "Teluk Ambon": (-3.6450, 128.1750),
    "Teluk Ambon Baguala": (-3.6370, 128.2500),
    "Leitimur Selatan": (-3.7480, 128.2420),
}
_PLACE_DETAILS = (
    "RT 00{rt}/RW 0{rw}", "lorong samping gereja", "dekat masjid", "depan kios",
    "dekat pangkalan ojek", "jalan setapak naik ke atas", "depan sekolah", "",
)  # fmt: skip
_PUSKESMAS = ("Rijali", "Waihaong", "Benteng", "Passo", "Poka", "Hutumuri", "Latuhalat", "Lateri")
_MOBILE_PREFIXES = (
    "0811", "0812", "0813", "0821", "0822", "0823", "0852", "0853", "0857", "0878", "0896",
)  # fmt: skip
_INSTRUCTIONS = (
    "", "", "", "Pelapor menunggu di lokasi.", "Mohon segera, korban belum tertangani.",
    "Pelapor dapat dihubungi di nomor yang tercatat.",
    "Akses jalan sempit, gunakan kendaraan kecil.",
)  # fmt: skip
_CALLED_IN = ("Permintaan dari petugas di lokasi.", "Tim di lokasi meminta bantuan tambahan.")
_RESOLUTIONS: dict[str, tuple[str, ...]] = {
    "polresta": (
        "Personel tiba di lokasi, situasi kembali kondusif.",
        "Pelaku diamankan dan dibawa ke Polresta untuk pemeriksaan.",
        "Massa dibubarkan, patroli dilanjutkan di sekitar lokasi.",
        "Mediasi oleh Bhabinkamtibmas, kedua pihak sepakat berdamai.",
        "Olah TKP selesai, kasus ditindaklanjuti Satreskrim.",
    ),
    "polresta:LAKA": ("Olah TKP selesai, kasus ditangani Satlantas.",),
    "kodim-1504": (
        "Babinsa bersama Polri mengamankan lokasi, situasi kondusif.",
        "Personel Kodim membantu pengamanan hingga situasi aman.",
    ),
    "dinkes": (
        "Tim PSC 119 menangani pasien di tempat, kondisi stabil.",
        "Pasien distabilkan dan dirujuk ke RSUD dr. M. Haulussy.",
        "Pasien dibawa ke RS Bhayangkara dan diterima IGD.",
        "Korban dievakuasi ke Puskesmas terdekat.",
    ),
    "dinkes:AMB": (
        "Pasien dijemput dan diserahterimakan ke IGD rumah sakit tujuan.",
        "Pasien diantar ke RSUD dr. M. Haulussy.",
    ),
    "dinkes:JNZ": ("Jenazah diantar ke rumah duka.", "Jenazah diantar ke pelabuhan."),
    "damkar": (
        "Api berhasil dipadamkan, tidak ada korban jiwa.",
        "Api dipadamkan dan pendinginan selesai; kerugian materiil.",
    ),
    "damkar:HWN": ("Hewan berhasil dievakuasi dan diserahkan ke Dinas Pertanian.",),
    "damkar:LAKA": ("Korban dikeluarkan dari kendaraan dan diserahkan ke tim medis.",),
    "damkar:UTL": ("Area diamankan sampai petugas PLN memutus aliran.",),
    "bpbd": (
        "Tim TRC BPBD melakukan asesmen dan membersihkan material.",
        "Warga terdampak dievakuasi, bantuan logistik disalurkan.",
        "Pohon dipotong, jalan kembali bisa dilalui.",
        "Asesmen kerusakan selesai, data diteruskan untuk bantuan.",
    ),
    "bpbd:SAR": ("Tim BPBD membantu penyisiran di sepanjang kali.",),
    "dlh": (
        "Sampah penyumbat drainase diangkut, air mulai surut.",
        "Batang pohon dipotong dan diangkut armada DLH.",
    ),
    "bmkg": (
        "Gempa M{mag} berpusat di laut, tidak berpotensi tsunami.",
        "Data gempa dikonfirmasi, tidak ada peringatan dini tsunami.",
    ),
    "pln": (
        "Jaringan diamankan, kabel diperbaiki dan listrik kembali menyala.",
        "Aliran dipadamkan sementara, kabel diganti petugas yantek.",
        "Tiang ditegakkan kembali, jaringan normal.",
    ),
    "dishub": (
        "Arus lalu lintas diatur, kendaraan dievakuasi dari badan jalan.",
        "Petugas mengatur lalu lintas hingga jalan kembali lancar.",
    ),
    "basarnas": (
        "Korban ditemukan selamat dan dievakuasi ke darat.",
        "Korban ditemukan meninggal dunia dan diserahkan kepada keluarga.",
        "Perahu ditemukan dan ditarik ke pantai, semua penumpang selamat.",
    ),
    "dinsos": (
        "Yang bersangkutan dirujuk ke RS Khusus Daerah Provinsi Maluku.",
        "Yang bersangkutan dibawa ke panti sosial untuk penanganan lanjut.",
        "Anak diserahkan kepada keluarga setelah pendataan.",
    ),
    "dp3md": (
        "Korban didampingi petugas UPTD PPA dan dibawa ke rumah aman.",
        "Anak didampingi dan diserahkan kepada keluarga.",
    ),
    "distan": (
        "Hewan diamankan dan diobservasi petugas kesehatan hewan.",
        "Anjing diduga rabies dieliminasi, sampel dikirim untuk pemeriksaan.",
        "Vaksinasi rabies dilakukan pada anjing di sekitar lokasi.",
    ),
}
_DECLINE_REASONS = (
    "Bukan kewenangan kami; lebih tepat ditangani {other}.",
    "Tim kami sedang menangani kejadian lain, mohon dialihkan ke {other}.",
)
_DECLINE_AFTER_HOURS = (
    "Di luar jam kerja tidak ada tim yang bisa turun; mohon dialihkan ke {other}."
)
_CANCEL_DUPLICATE = "Laporan ganda: kejadian yang sama sudah dilaporkan dan sedang ditangani."
_CANCEL_REASONS = (
    "Pelapor membatalkan, masalah sudah diselesaikan warga.",
    "Laporan tidak benar: setelah dikonfirmasi, tidak ada kejadian di lokasi.",
)
_INFO_NOTES = (
    "Informasi sudah disampaikan kepada pelapor.",
    "Diteruskan ke OPD terkait di luar jejaring 112.",
)
_CALL_NOTES = {
    CallOutcome.PRANK: (
        "Anak-anak iseng, tertawa lalu menutup telepon.",
        "Mengaku ada kebakaran; setelah dikonfirmasi tidak ada kejadian.",
        "Penelepon berkata kasar kepada operator.",
        "Hanya ingin mencoba nomor 112.",
    ),
    CallOutcome.GHOST: ("Tidak ada suara, ditutup setelah tiga kali sapaan.",),
    CallOutcome.DROPPED: (
        "Terputus sebelum pelapor bicara; dihubungi balik tidak aktif.",
        "Terputus; dihubungi balik tidak diangkat.",
    ),
    CallOutcome.MISDIAL: ("Salah sambung.", "Telepon tertekan di saku."),
    CallOutcome.INFORMATION: (
        "Menanyakan nomor ambulans PSC 119.",
        "Menanyakan layanan apa saja yang dilayani 112.",
        "Menanyakan informasi gempa yang baru terasa.",
        "Menanyakan jadwal pemadaman listrik.",
    ),
}
_CALL_SECONDS = {
    CallOutcome.PRANK: (8, 90),
    CallOutcome.GHOST: (10, 40),
    CallOutcome.DROPPED: (2, 12),
    CallOutcome.MISDIAL: (5, 25),
    CallOutcome.INFORMATION: (45, 240),
}
_CHANNELS = (Channel.PHONE, Channel.WHATSAPP, Channel.SOCIAL, Channel.SMS, Channel.WALK_IN)
_CHANNEL_WEIGHTS = (85, 8, 3, 2, 2)
_DEFAULT_PRIORITY = {d["code"]: d["default_priority"] for d in DEFAULT_CATEGORIES}

# --- Planning ----------------------------------------------------------------------------------


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=round(value))


def _shift(at: datetime) -> tuple[int, int]:
    """(day of the demo the shift started on, shift: 0 = 07–14, 1 = 14–21, 2 = 21–07 WIT)."""
    local = at.astimezone(AMBON_TZ)
    day = (local.date() - DEMO_START.date()).days
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
        return f"{first or self.rng.choice(_FIRST_NAMES)} {self.rng.choice(_FAMILY_NAMES)}"

    def phone(self) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _digit in range(self.rng.choice((7, 8))))
        return self.rng.choice(_MOBILE_PREFIXES) + digits

    def prank_phone(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choices(self.prankers, [1 / (i + 1) for i in range(25)])[0]
        return self.phone()


def _moment(
    rng: random.Random,
    first_day: int,
    last_day: int,
    day_weight: Callable[[int], float],
    hours: str,
) -> datetime:
    days = range(first_day, last_day)
    day = rng.choices(days, [day_weight(d) for d in days])[0]
    hour = rng.choices(range(24), _HOURS[hours])[0]
    local = DEMO_START + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
    return local.astimezone(UTC)


def _case_slots(rng: random.Random) -> list[tuple[datetime, str, str]]:
    """(T0, kind, kecamatan) of every case, meeting each period's counts exactly."""
    slots = []
    for period in _PERIODS:
        kinds = [kind for kind, count in period.kinds.items() for _case in range(count)]
        rng.shuffle(kinds)
        remaining = dict(period.kecamatan)
        first_day = (period.start - DEMO_START).days
        last_day = (period.end - DEMO_START).days
        for kind in kinds:
            names = [name for name, left in remaining.items() if left]
            weights = [remaining[n] * _AFFINITY.get(kind, {}).get(n, 1.0) for n in names]
            kecamatan = rng.choices(names, weights)[0]
            remaining[kecamatan] -= 1
            hours = _KIND_HOURS.get(kind, "day")
            slots.append((_moment(rng, first_day, last_day, lambda d: 1.0, hours), kind, kecamatan))
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


def _resolution(rng: random.Random, life: _CaseLife, agency: str) -> str:
    texts = _RESOLUTIONS.get(f"{agency}:{life.kind}") or _RESOLUTIONS[agency]
    return rng.choice(texts).format(**life.slots)


def _plan_dispatch(
    rng: random.Random, life: _CaseLife, agency: str, sent_at: datetime, *, may_decline: bool = True
) -> tuple[datetime | None, datetime]:
    """Plan one agency's work on a dispatch; (on scene at, resolved at) of whoever handled it.

    1. The agency acknowledges (T2), slower at night and much slower after office hours.
    2. Or it declines, and the shift supervisor sends the case to the fallback agency.
    3. Its team goes (sometimes reporting en route), reaches the scene (T3) and reports (T4).
    """
    ack_median, scene_minutes = _AGENCY_PACE[agency]
    after_hours = agency in _OFFICE_HOURS and not _office_open(sent_at)
    ack = rng.lognormvariate(math.log(ack_median * _PRIORITY_PACE[life.priority]), 0.55)
    if after_hours:
        ack += rng.uniform(600, 2700)
    acked_at = sent_at + _seconds(max(ack, 15))
    on_duty = after_hours or (_is_night(acked_at) and rng.random() < 0.5)

    fallback = _FALLBACK.get(agency)
    if (
        may_decline
        and fallback
        and fallback not in life.agencies
        and rng.random() < (0.3 if after_hours else 0.05)
    ):
        reason = _DECLINE_AFTER_HOURS if after_hours else rng.choice(_DECLINE_REASONS)
        reason = reason.format(other=_SHORT_NAMES[fallback])
        life.steps.append(
            PlannedStep(acked_at, Step.DECLINE, _member(agency, "duty"), (agency,), reason)
        )
        again_at = acked_at + _seconds(rng.uniform(90, 480))
        life.agencies.append(fallback)
        life.steps.append(
            PlannedStep(
                again_at,
                Step.DISPATCH,
                supervisor_on_duty(again_at),
                (fallback,),
                f"Dialihkan: ditolak {_SHORT_NAMES[agency]}.",
            )
        )
        return _plan_dispatch(rng, life, fallback, again_at, may_decline=False)

    taker = _member(agency, "duty" if on_duty else "staff")
    staff = _member(agency, "staff")
    life.steps.append(PlannedStep(acked_at, Step.ACKNOWLEDGE, taker, (agency,)))
    if not scene_minutes:
        resolved_at = acked_at + _seconds(rng.uniform(600, 2400))
        text = _resolution(rng, life, agency)
        life.steps.append(PlannedStep(resolved_at, Step.RESOLVE, staff, (agency,), text))
        return None, resolved_at

    travel = scene_minutes * 60 * _DISTANCE[life.kecamatan] * _PRIORITY_PACE[life.priority]
    on_scene_at = max(
        sent_at + _seconds(rng.lognormvariate(math.log(travel), 0.4)),
        acked_at + _seconds(rng.uniform(240, 600)),
    )
    if rng.random() < 0.85:
        gap = (on_scene_at - acked_at).total_seconds()
        en_route_at = acked_at + _seconds(rng.uniform(20, min(300, gap / 2)))
        life.steps.append(PlannedStep(en_route_at, Step.EN_ROUTE, staff, (agency,)))
    life.steps.append(PlannedStep(on_scene_at, Step.ON_SCENE, staff, (agency,)))
    low, high = _WORK_MINUTES[life.kind]
    resolved_at = on_scene_at + _seconds(60 * rng.uniform(low, high))
    text = _resolution(rng, life, agency)
    life.steps.append(PlannedStep(resolved_at, Step.RESOLVE, staff, (agency,), text))
    return on_scene_at, resolved_at


def _plan_steps(
    rng: random.Random, life: _CaseLife, scenario: _Scenario, received_at: datetime, operator: str
) -> tuple[PlannedStep, ...]:
    """Plan a case from its dispatch (T1) to closing, then cut it where the demo ends.

    1. Information cases are answered and closed by the operator, without a dispatch.
    2. The operator dispatches; one agency may be called in later from the scene.
    3. A few cases are cancelled (duplicates, false reports); the rest are closed.
    4. Cases of the last days stop at a random step, so the live view has open work.
    """
    if not scenario.agencies:
        closed_at = received_at + _seconds(rng.uniform(180, 900))
        life.steps.append(PlannedStep(closed_at, Step.CLOSE, operator, (), rng.choice(_INFO_NOTES)))
    else:
        median = {P1: 50, P2: 80, P3: 150}[life.priority] * _OPERATOR_PACE[operator]
        delay = rng.lognormvariate(math.log(median), 0.45)
        if rng.random() < 0.07:
            delay += rng.uniform(180, 720)  # location unclear, or a second line ringing
        sent_at = received_at + _seconds(max(delay, 20))
        first = list(scenario.agencies)
        later = first.pop() if len(first) > 1 and rng.random() < 0.3 else None
        life.steps.append(
            PlannedStep(sent_at, Step.DISPATCH, operator, tuple(first), rng.choice(_INSTRUCTIONS))
        )
        outcomes = [_plan_dispatch(rng, life, agency, sent_at) for agency in first]
        if later:
            scenes = [scene for scene, _resolved in outcomes if scene]
            later_at = min(scenes, default=sent_at + timedelta(minutes=10))
            later_at += _seconds(rng.uniform(120, 600))
            later_by = rng.choice(team_on_duty(later_at))
            life.steps.append(
                PlannedStep(later_at, Step.DISPATCH, later_by, (later,), rng.choice(_CALLED_IN))
            )
            outcomes.append(_plan_dispatch(rng, life, later, later_at))
        first_resolved = min(resolved for _scene, resolved in outcomes)
        last_resolved = max(resolved for _scene, resolved in outcomes)

        if life.kind in _CANCELLABLE and rng.random() < 0.025:
            duplicate = rng.random() < 0.4
            if duplicate:
                cancel_at = received_at + _seconds(rng.uniform(60, 200))
            else:
                cancel_at = sent_at + _seconds(rng.uniform(120, 900))
            # A case whose agencies have all reported can be closed, no longer cancelled.
            cancel_at = min(cancel_at, first_resolved - timedelta(minutes=1))
            reason = _CANCEL_DUPLICATE if duplicate else rng.choice(_CANCEL_REASONS)
            life.steps = [s for s in life.steps if s.at < cancel_at]
            canceller = supervisor_on_duty(cancel_at)
            life.steps.append(PlannedStep(cancel_at, Step.CANCEL, canceller, (), reason))
        else:
            closed_at = last_resolved + _seconds(rng.uniform(300, 5400))
            closer = rng.choice(team_on_duty(closed_at))
            life.steps.append(PlannedStep(closed_at, Step.CLOSE, closer))

    steps = sorted(life.steps, key=lambda s: s.at)
    age = DEMO_END - received_at
    if age < LIVE_WINDOW and rng.random() < 0.8:
        steps = steps[: rng.randrange(0 if age < timedelta(hours=6) else 1, len(steps))]
    return tuple(s for s in steps if s.at < DEMO_END)


def _plan_case(
    rng: random.Random, people: _People, received_at: datetime, kind: str, kecamatan: str
) -> PlannedCase:
    category = "MED" if kind == "AMB" else kind
    scenario = rng.choice(_SCENARIOS[kind])
    kelurahan, place = rng.choice(_PLACES[kecamatan])
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
        "pkm": rng.choice(_PUSKESMAS),
    }
    latitude = longitude = None
    if scenario.at_sea:
        location = f"Perairan {kelurahan}, ±{rng.randint(1, 4)} mil laut dari pantai"
    else:
        detail = rng.choice(_PLACE_DETAILS).format(rt=rng.randint(1, 9), rw=rng.randint(1, 6))
        location = f"{place}, {detail}" if detail else place
        if rng.random() < 0.75:
            lat, lon = _CENTRES[kecamatan]
            latitude = Decimal(f"{lat + rng.uniform(-0.007, 0.007):.6f}")
            longitude = Decimal(f"{lon + rng.uniform(-0.007, 0.007):.6f}")
    channel = rng.choices(_CHANNELS, _CHANNEL_WEIGHTS)[0]
    operator = rng.choices(team_on_duty(received_at), (55, 45))[0]
    priority = scenario.priority or (P2 if kind == "AMB" else _DEFAULT_PRIORITY[category])
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
        steps=_plan_steps(rng, life, scenario, received_at, operator),
    )


def _plan_calls(rng: random.Random, people: _People) -> list[PlannedCall]:
    calls = []
    for outcome, count, first_day, last_day, day_weight, hours in _NON_CASE_CALLS:
        for _call in range(count):
            answered_at = _moment(rng, first_day, last_day, day_weight, hours)
            low, high = _CALL_SECONDS[outcome]
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
                    notes=rng.choice(_CALL_NOTES[outcome]),
                )
            )
    return sorted(calls, key=lambda c: c.answered_at)


def plan_activity(seed: int = DEFAULT_SEED) -> ActivityPlan:
    """Plan three months of calls and cases; the same seed always gives the same plan."""
    rng = random.Random(seed)
    people = _People(rng, seed)
    cases = tuple(
        _plan_case(rng, people, at, kind, kecamatan) for at, kind, kecamatan in _case_slots(rng)
    )
    return ActivityPlan(seed=seed, cases=cases, calls=tuple(_plan_calls(rng, people)))


# --- Recording the plan through the services ---------------------------------------------------


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


def _centre_usernames() -> list[str]:
    return [login.username for login in demo_logins() if login.agency_code == CENTRE_CODE]


def _demo_calls() -> CallQuerySet:
    return Call.objects.filter(
        operator__username__in=_centre_usernames(),
        answered_at__gte=DEMO_START,
        answered_at__lt=DEMO_END,
    )


def demo_activity_exists() -> bool:
    return _demo_calls().exists()


def _record_case(
    case: PlannedCase,
    *,
    users: Users,
    agencies: dict[str, Agency],
    categories: dict[str, Category],
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
        incident = _record_case(item, users=users, agencies=agencies, categories=categories)
        cases += 1
        progress(f"{incident.reference} {item.category} {incident.get_status_display()}", 3)
        if cases % 50 == 0:
            progress(
                _("%(done)d of %(total)d cases recorded")
                % {"done": cases, "total": len(plan.cases)},
                2,
            )


@dataclass(frozen=True)
class SeedOutcome:
    recorded: bool  # False: the demo activity was already there
    created: dict[str, int]  # rows this run created, by the model's (translated) plural name
    logins: tuple[DemoLogin, ...]


def seed_demo(
    *, seed: int = DEFAULT_SEED, progress: Callable[[str, int], None] | None = None
) -> SeedOutcome:
    """Install the demo: safe to run again, it creates only what is missing.

    1. Agencies, logins and categories are created where missing.
    2. The three months of activity are recorded unless they are already there.
    All in one transaction, so a failure leaves nothing half-written.
    """
    report = progress or (lambda _message, _level: None)
    models = (Agency, Membership, Category, Call, Incident, Dispatch)
    before = [model.objects.count() for model in models]
    with transaction.atomic():
        actor = system_user()
        agencies = agencies_install_defaults(actor=actor)
        users = install_logins(agencies=agencies, actor=actor)
        categories = categories_install_defaults(actor=actor)
        report(_("Agencies, logins and categories are in place."), 2)
        recorded = not demo_activity_exists()
        if recorded:
            plan = plan_activity(seed)
            report(
                _("Planned %(cases)d cases and %(calls)d other calls.")
                % {"cases": len(plan.cases), "calls": len(plan.calls)},
                2,
            )
            record_activity(
                plan, users=users, agencies=agencies, categories=categories, progress=report
            )
    created = {
        str(model._meta.verbose_name_plural): model.objects.count() - count
        for model, count in zip(models, before, strict=True)
    }
    return SeedOutcome(recorded=recorded, created=created, logins=demo_logins())


@dataclass(frozen=True)
class DemoSummary:
    cases: int
    ambulance_requests: int
    by_category: list[tuple[str, int]]
    by_kecamatan: list[tuple[str, int]]
    open_by_status: list[tuple[str, int]]
    other_calls: list[tuple[str, int]]
    pranks_first_three_weeks: int


def demo_summary() -> DemoSummary:
    """What the demo holds, counted from the database (most frequent first)."""
    calls = _demo_calls()
    cases = Incident.objects.filter(
        operator__username__in=_centre_usernames(),
        received_at__gte=DEMO_START,
        received_at__lt=DEMO_END,
    )
    rows = list(cases.values_list("category__code", "kecamatan", "status", "description"))
    other = calls.exclude(outcome=CallOutcome.INCIDENT)
    three_weeks = DEMO_START + timedelta(weeks=3)
    open_statuses = Counter(
        status
        for _c, _k, status, _d in rows
        if status not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)
    )
    return DemoSummary(
        cases=len(rows),
        ambulance_requests=sum(d.startswith(AMBULANCE_REQUEST_PREFIX) for *_rest, d in rows),
        by_category=Counter(code for code, *_rest in rows).most_common(),
        by_kecamatan=Counter(kecamatan for _c, kecamatan, *_rest in rows).most_common(),
        open_by_status=open_statuses.most_common(),
        other_calls=Counter(other.values_list("outcome", flat=True)).most_common(),
        pranks_first_three_weeks=other.filter(
            outcome=CallOutcome.PRANK, answered_at__lt=three_weeks
        ).count(),
    )
