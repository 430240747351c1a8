"""Hostile input answers 4xx, never 500: a NUL byte, a huge number, a negative one or a date at
the ends of the calendar, in every admin list filter, every report parameter and the API's
fields, as every kind of user. Validation stops it before the database sees it."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.api.conftest import issue_key
from tests.factories import make_dispatched_incident

pytestmark = pytest.mark.django_db

HOSTILE = ["a\x00b", "9" * 30, "-99999999999999999999", "9999-12-31 23:59:59", "0001-01-01"]
# Each kind of user: the centre's operator and supervisor, an agency's staff and its head.
PERSONAS = ["operator", "supervisor", "police_staff", "police_head"]


def _superuser():  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_superuser("root", "root@example.org", "x" * 16)


def _filter_parameters(user) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(changelist URL, parameter) for every list filter of every registered ModelAdmin, as
    the admin itself builds them (``expected_parameters``), plus the search box."""
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        for spec in changelist.filter_specs:
            for parameter in spec.expected_parameters():
                yield url, parameter
        yield url, "q"


def _statuses(client: Client, url: str, parameter: str) -> Iterator[tuple[str, int]]:
    for value in HOSTILE:
        query = urlencode({parameter: value})
        yield value, client.get(f"{url}?{query}").status_code


def test_every_admin_list_filter_refuses_hostile_values_as_every_persona(world):
    make_dispatched_incident(world.operator, [world.police])
    parameters = sorted(set(_filter_parameters(_superuser())))
    assert len(parameters) > 20  # the sweep really walks the filters
    failures = []
    for persona in PERSONAS:
        client = Client(raise_request_exception=False)
        client.force_login(getattr(world, persona))
        for url, parameter in parameters:
            for value, status in _statuses(client, url, parameter):
                if status >= 500:
                    failures.append(f"{persona} {url}?{parameter}={value!r}: {status}")
                if "\x00" in value and status != 400:
                    failures.append(f"{persona} {url}?{parameter}=NUL: {status}, not 400")
    assert not failures, "\n".join(failures[:40])


REPORTS = [
    ("admin:sla_period_report", ["start", "end", "shift", "format"]),
    ("admin:sla_scorecard", ["start", "end", "shift", "operator"]),
    ("admin:sla_agency_report", ["start", "end", "shift", "agency"]),
    ("admin:sla_breaches", ["page"]),
]
DATES = [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("0001-01-01", "2026-01-01")]
DATES += [("1900-01-01", "1900-02-01"), ("2026-01-01", "9999-12-31"), ("-1", "2026-01-01")]


def test_every_report_parameter_refuses_hostile_values_as_every_persona(world):
    make_dispatched_incident(world.operator, [world.police])
    failures = []
    for persona in [*PERSONAS, "superuser"]:
        client = Client(raise_request_exception=False)
        client.force_login(_superuser() if persona == "superuser" else getattr(world, persona))
        for name, parameters in REPORTS:
            url = reverse(name)
            for parameter in parameters:
                for value in HOSTILE:
                    for export in ("", "xlsx"):
                        query = {"start": "2026-01-01", "end": "2026-01-31", parameter: value}
                        if export:
                            query.setdefault("format", export)
                        status = client.get(f"{url}?{urlencode(query)}").status_code
                        if status >= 500:
                            failures.append(f"{persona} {url}?{urlencode(query)}: {status}")
            for (start, end), export in product(DATES, ("", "xlsx")):
                query = urlencode({"start": start, "end": end, "format": export})
                status = client.get(f"{url}?{query}").status_code
                if status >= 500:
                    failures.append(f"{persona} {url}?{query}: {status}")
    assert not failures, "\n".join(failures[:40])


def test_a_far_date_on_a_report_is_a_form_error_not_a_500(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.supervisor)
    url = reverse("admin:sla_period_report")
    for query in (
        "start=9999-12-01&end=9999-12-31",
        "start=0001-01-01&end=0001-01-05",
        "start=9999-12-01&end=9999-12-31&format=xlsx",
        "start=0001-01-01&end=0001-01-05&format=csv",
    ):
        answer = client.get(f"{url}?{query}")
        assert answer.status_code == 200, query
        assert answer["Content-Type"].startswith("text/html"), query  # the form, no export
        assert answer.context["form"].errors, query


def test_a_nul_in_a_list_filter_is_400(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.police_staff)
    assert client.get("/admin/incidents/incident/?status__exact=%00").status_code == 400
    assert client.get("/admin/incidents/incident/?q=ab%00cd").status_code == 400


def test_the_call_autocomplete_for_a_case_answers_4xx_to_an_agency(world):
    for persona in PERSONAS:
        client = Client(raise_request_exception=False)
        client.force_login(getattr(world, persona))
        answer = client.get(
            "/admin/autocomplete/?app_label=incidents&model_name=call&field_name=incident"
        )
        assert answer.status_code in (200, 403, 404), persona


def test_a_nul_in_a_dispatchs_agency_code_through_the_api_is_a_field_error(world):
    incident, _dispatches = make_dispatched_incident(world.operator, [world.police])
    _key, centre = issue_key(world.centre)
    answer = centre.post(
        f"/api/v1/incidents/{incident.pk}/dispatches/",
        {"agencies": ["dinkes\x00"]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"agencies": ["Karakter null tidak diizinkan."]}


def test_every_writable_related_field_of_the_api_checks_its_text_first():
    """A plain ``SlugRelatedField`` sends a raw value to the database (see ``CodeField``)."""
    from rest_framework.relations import ManyRelatedField, RelatedField

    from incidents.api.serializers import CodeField, StrictInput

    def subclasses(cls):  # type: ignore[no-untyped-def]
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    checked = 0
    for serializer in subclasses(StrictInput):
        for name, field in serializer().fields.items():
            if field.read_only:
                continue
            if isinstance(field, ManyRelatedField):
                field = field.child_relation
            if isinstance(field, RelatedField):
                assert isinstance(field, CodeField), f"{serializer.__name__}.{name}"
                checked += 1
    assert checked >= 3


def test_a_webhooks_signing_secret_is_encrypted_at_rest(world, settings):
    from importlib import import_module

    from django.db import connection

    from agencies.models import WebhookEvent, WebhookSubscription
    from agencies.webhooks import webhook_subscribe
    from cc112.field_crypto import TOKEN_PREFIX

    settings.CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the address is never called here
    subscription, secret = webhook_subscribe(
        agency=world.police,
        url="http://127.0.0.1:9/112",
        events=[WebhookEvent.DISPATCH_CREATED],
        actor=world.coordinator,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM agencies_webhooksubscription WHERE id = %s", [subscription.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored.startswith(TOKEN_PREFIX) and secret not in stored
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == secret

    # A secret stored in clear before the migration is encrypted by it.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agencies_webhooksubscription SET secret = %s WHERE id = %s",
            ["whsec_plain", subscription.pk],
        )
    migration = import_module("agencies.migrations.0005_webhook_secret_encrypted")
    migration.encrypt_stored_secrets(None, type("Editor", (), {"connection": connection})())
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == "whsec_plain"


@pytest.mark.parametrize(
    "pattern",
    [
        "/api/v1/incidents/{case}/",
        "/api/v1/incidents/{case}/notes/",
        "/api/v1/dispatches/{dispatch}/",
        "/admin/incidents/incident/{case}/change/",
    ],
)
def test_a_foreign_id_and_a_missing_one_cost_the_same_queries(world, pattern):
    """One scoped query answers both (no "does it exist?" before "is it yours?"), so their
    timing cannot tell them apart (bench/scoped_misses.py times it: within 2 ms)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # ids past 1: a 1 in the SQL is a LIMIT or an EXISTS, not an id
        make_dispatched_incident(world.operator, [world.health])
    _incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    foreign = {"case": dispatch.incident_id, "dispatch": dispatch.pk}
    missing = {"case": dispatch.incident_id + 1000, "dispatch": dispatch.pk + 1000}
    client = Client()
    client.force_login(world.health_staff)
    client.get(pattern.format(**missing))  # sessions and caches warmed alike
    shapes = {}
    for kind, ids in (("foreign", foreign), ("missing", missing)):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(pattern.format(**ids))
        assert answer.status_code == 404, kind
        ids_in_sql = re.compile(r"\b(" + "|".join(str(value) for value in ids.values()) + r")\b")
        moments = re.compile(r"'\d{4}-\d\d-\d\d[ T][\d:.+]+'")  # "now" in the session lookup
        shapes[kind] = [
            moments.sub("NOW", ids_in_sql.sub("ID", q["sql"])) for q in queries.captured_queries
        ]
    assert shapes["foreign"] == shapes["missing"]
