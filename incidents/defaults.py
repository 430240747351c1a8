"""The default category set (DOMAIN.md) and Kota Ambon's kecamatan, as data a city edits.

:func:`categories_install_defaults` installs the categories whose code is missing and links each
to the agencies it is usually routed to, when those agencies exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db import transaction

from agencies.models import Agency
from cc112.history import attribute
from incidents.models import Category, Priority

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class CategoryDefault(TypedDict):
    code: str
    name_id: str
    name_en: str
    examples: str
    default_priority: int
    sort_order: int
    agencies: tuple[str, ...]  # agency codes, see agencies.defaults


DEFAULT_CATEGORIES: tuple[CategoryDefault, ...] = (
    {
        "code": "MED",
        "name_id": "Kesehatan / gawat darurat medis",
        "name_en": "Medical emergency",
        "examples": "Sakit, cedera, pingsan, permintaan ambulans",
        "default_priority": Priority.P1,
        "sort_order": 10,
        "agencies": ("dinkes",),
    },
    {
        "code": "LAKA",
        "name_id": "Kecelakaan lalu lintas",
        "name_en": "Traffic accident",
        "examples": "Tabrakan, kecelakaan tunggal, kendaraan terperosok",
        "default_priority": Priority.P1,
        "sort_order": 20,
        "agencies": ("dishub", "polresta", "dinkes"),
    },
    {
        "code": "KBK",
        "name_id": "Kebakaran",
        "name_en": "Fire",
        "examples": "Kebakaran rumah, lahan, alang-alang, sampah",
        "default_priority": Priority.P1,
        "sort_order": 30,
        "agencies": ("damkar",),
    },
    {
        "code": "BNC",
        "name_id": "Bencana",
        "name_en": "Disaster",
        "examples": "Banjir, tanah longsor, pohon tumbang, angin kencang, gempa bumi",
        "default_priority": Priority.P2,
        "sort_order": 40,
        "agencies": ("bpbd", "dlh"),
    },
    {
        "code": "SAR",
        "name_id": "Pencarian dan pertolongan",
        "name_en": "Search and rescue",
        "examples": "Kecelakaan di laut, orang tenggelam, orang hilang",
        "default_priority": Priority.P1,
        "sort_order": 50,
        "agencies": ("basarnas",),
    },
    {
        "code": "KTB",
        "name_id": "Kamtibmas",
        "name_en": "Public order and security",
        "examples": "Perkelahian, kejahatan, konflik sosial, miras",
        "default_priority": Priority.P2,
        "sort_order": 60,
        "agencies": ("polresta", "kodim-1504"),
    },
    {
        "code": "HWN",
        "name_id": "Hewan liar / buas",
        "name_en": "Wild or dangerous animal",
        "examples": "Ular, anjing diduga rabies, sarang tawon",
        "default_priority": Priority.P2,
        "sort_order": 70,
        "agencies": ("distan", "damkar"),
    },
    {
        "code": "SOS",
        "name_id": "Sosial",
        "name_en": "Social",
        "examples": "ODGJ, kekerasan dalam rumah tangga, anak terlantar",
        "default_priority": Priority.P2,
        "sort_order": 80,
        "agencies": ("dinsos", "dp3md"),
    },
    {
        "code": "UTL",
        "name_id": "Utilitas",
        "name_en": "Utilities",
        "examples": "Kabel listrik putus, gardu meledak, pemadaman, PDAM",
        "default_priority": Priority.P2,
        "sort_order": 90,
        "agencies": ("pln",),
    },
    {
        "code": "JNZ",
        "name_id": "Mobil jenazah",
        "name_en": "Hearse",
        "examples": "Permintaan mobil jenazah",
        "default_priority": Priority.P3,
        "sort_order": 100,
        "agencies": ("dinkes",),
    },
    {
        "code": "INF",
        "name_id": "Informasi / non-darurat",
        "name_en": "Information / non-emergency",
        "examples": "Pertanyaan, pengaduan",
        "default_priority": Priority.P3,
        "sort_order": 110,
        "agencies": (),
    },
)


@transaction.atomic
def categories_install_defaults(*, actor: AbstractBaseUser | None) -> dict[str, Category]:
    """Create the default categories whose code is missing; return every default one by code.

    A category that already exists is left as the city has edited it.
    """
    existing = Category.objects.in_bulk([d["code"] for d in DEFAULT_CATEGORIES], field_name="code")
    agencies = Agency.objects.in_bulk(
        {code for d in DEFAULT_CATEGORIES for code in d["agencies"]}, field_name="code"
    )
    for default in DEFAULT_CATEGORIES:
        if default["code"] in existing:
            continue
        category = Category(
            code=default["code"],
            name_id=default["name_id"],
            name_en=default["name_en"],
            examples=default["examples"],
            default_priority=default["default_priority"],
            sort_order=default["sort_order"],
        )
        category.full_clean()
        attribute(category, actor=actor, reason="default category installed")
        category.save()
        category.suggested_agencies.set(
            [agencies[code] for code in default["agencies"] if code in agencies]
        )
        existing[category.code] = category
    return {d["code"]: existing[d["code"]] for d in DEFAULT_CATEGORIES}
