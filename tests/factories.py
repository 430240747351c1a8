"""factory_boy factories. Writes that have a service go through it, as in production."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from agencies.models import AgencyKind, Role
from agencies.services import agency_create, membership_create
from incidents.models import Category, Priority
from incidents.services import incident_create, incident_dispatch

# Every factory-made user's password (the browser tests type it into the login form).
PASSWORD = "rahasia-112"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    last_name = factory.Faker("last_name", locale="id_ID")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class AgencyFactory(factory.Factory):
    """Builds agencies through ``agency_create`` so each gets its auth group."""

    class Meta:
        model = dict

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.LazyAttribute(lambda a: f"Instansi {a.code}")
    short_name = factory.LazyAttribute(lambda a: a.code.upper())
    kind = AgencyKind.CITY_OFFICE
    is_centre = False

    @classmethod
    def _create(cls, model_class, **kwargs):  # type: ignore[no-untyped-def]
        return agency_create(actor=None, **kwargs)

    _build = _create


def make_member(agency, role: Role, username: str | None = None, **user_fields):  # type: ignore[no-untyped-def]
    user = UserFactory(**({"username": username} if username else {}), **user_fields)
    membership_create(user=user, agency=agency, role=role, actor=None)
    return user


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n}")
    name_id = factory.LazyAttribute(lambda c: f"Kategori {c.code}")
    name_en = factory.LazyAttribute(lambda c: f"Category {c.code}")
    default_priority = Priority.P2


def make_incident(operator, *, category=None, **fields):  # type: ignore[no-untyped-def]
    """A case created by ``operator`` through ``incident_create``."""
    fields.setdefault("location_text", "Jl. A.Y. Patty, depan Pasar Mardika")
    fields.setdefault("kecamatan", "Sirimau")
    fields.setdefault("description", "Laporan warga")
    fields.setdefault("caller_phone", "081234567890")
    return incident_create(actor=operator, category=category or CategoryFactory(), **fields)


def make_dispatched_incident(operator, agencies, **fields):  # type: ignore[no-untyped-def]
    incident = make_incident(operator, **fields)
    dispatches = incident_dispatch(incident=incident, agencies=agencies, actor=operator)
    incident.refresh_from_db()
    return incident, dispatches
