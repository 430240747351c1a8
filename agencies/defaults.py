"""Kota Ambon's 112 network as data: the centre and the partners named in the city's evaluation.

Other cities copy this list and edit it; :func:`agencies_install_defaults` installs whatever is
missing and leaves agencies that already exist as the city has since edited them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

from django.db import transaction

from agencies.models import Agency, AgencyKind, WorkingHours
from agencies.services import agency_create

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class AgencyDefault(TypedDict):
    code: str
    name: str
    short_name: str
    kind: str
    is_centre: NotRequired[bool]
    working_hours: NotRequired[str]
    phone: NotRequired[str]


CENTRE_CODE = "c112-ambon"

DEFAULT_AGENCIES: tuple[AgencyDefault, ...] = (
    {
        "code": CENTRE_CODE,
        "name": "Call Center 112 Kota Ambon (Diskominfo Sandi)",
        "short_name": "112 Ambon",
        "kind": AgencyKind.CENTRE,
        "is_centre": True,
        "phone": "112",
    },
    {
        "code": "polresta",
        "name": "Polresta Pulau Ambon dan Pulau-Pulau Lease",
        "short_name": "Polresta",
        "kind": AgencyKind.POLICE,
    },
    {
        "code": "kodim-1504",
        "name": "Kodim 1504 Ambon",
        "short_name": "Kodim 1504",
        "kind": AgencyKind.MILITARY,
    },
    {
        "code": "basarnas",
        "name": "Basarnas / Kantor SAR Ambon",
        "short_name": "Basarnas",
        "kind": AgencyKind.SAR,
    },
    {
        "code": "bmkg",
        "name": "BMKG Stasiun Geofisika Ambon",
        "short_name": "BMKG",
        "kind": AgencyKind.METEOROLOGY,
    },
    {
        "code": "pln",
        "name": "PLN UP3 Ambon",
        "short_name": "PLN",
        "kind": AgencyKind.UTILITY,
    },
    {
        "code": "bpbd",
        "name": "Badan Penanggulangan Bencana Daerah Kota Ambon",
        "short_name": "BPBD",
        "kind": AgencyKind.CITY_OFFICE,
    },
    {
        "code": "dinkes",
        "name": "Dinas Kesehatan Kota Ambon (PSC 119)",
        "short_name": "Dinkes / PSC 119",
        "kind": AgencyKind.CITY_OFFICE,
    },
    {
        "code": "damkar",
        "name": "Dinas Pemadam Kebakaran Kota Ambon",
        "short_name": "Damkar",
        "kind": AgencyKind.CITY_OFFICE,
    },
    {
        "code": "dinsos",
        "name": "Dinas Sosial Kota Ambon",
        "short_name": "Dinsos",
        "kind": AgencyKind.CITY_OFFICE,
        "working_hours": WorkingHours.OFFICE,
    },
    {
        "code": "dlh",
        "name": "Dinas Lingkungan Hidup Kota Ambon",
        "short_name": "DLH",
        "kind": AgencyKind.CITY_OFFICE,
    },
    {
        "code": "dishub",
        "name": "Dinas Perhubungan Kota Ambon",
        "short_name": "Dishub",
        "kind": AgencyKind.CITY_OFFICE,
    },
    {
        "code": "dp3md",
        "name": (
            "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pemberdayaan Masyarakat dan Desa "
            "Kota Ambon"
        ),
        "short_name": "DP3MD",
        "kind": AgencyKind.CITY_OFFICE,
        "working_hours": WorkingHours.OFFICE,
    },
    {
        "code": "distan",
        "name": "Dinas Pertanian Kota Ambon",
        "short_name": "Distan",
        "kind": AgencyKind.CITY_OFFICE,
        "working_hours": WorkingHours.OFFICE,
    },
)


@transaction.atomic
def agencies_install_defaults(*, actor: AbstractBaseUser | None) -> dict[str, Agency]:
    """Create the default agencies whose code is missing; return every default one by code."""
    existing = Agency.objects.in_bulk([d["code"] for d in DEFAULT_AGENCIES], field_name="code")
    for default in DEFAULT_AGENCIES:
        if default["code"] not in existing:
            existing[default["code"]] = agency_create(actor=actor, **default)
    return {d["code"]: existing[d["code"]] for d in DEFAULT_AGENCIES}
