"""Schemathesis against a live server: whatever a partner sends, the API answers as documented.

Issue #5: "a schemathesis run in CI against a live server, as an operator and as an agency key,
finds zero 5xx and zero schema violations". The server is pytest-django's ``live_server``: a
real HTTP server (threads in this process) on the test database, where the seeded cases are
committed. The ``schemathesis run`` CLI runs in a subprocess against it, once with a key of the
112 centre (an operator) and once with a key of the police (agency staff).

Every operation the schema lists at run time is tested, so a new endpoint is covered without
touching this file: all phases (examples, coverage, fuzzing, stateful), valid and invalid input
(mode ``all``), in deterministic mode with a bounded number of examples per operation, so a run
is reproducible and takes well under a minute per key. Most path ids, and half of the codes in
filters and bodies, are drawn from the seeded objects (schemathesis "dictionaries"), so requests
reach real cases and dispatches in every state and not only 404s.

On failure the assertion shows schemathesis' report, with a ``curl`` line per finding.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import schemathesis
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import override_settings

from agencies.models import WebhookEvent
from agencies.services import api_key_create
from agencies.webhooks import webhook_subscribe
from incidents.models import Category
from incidents.services import dispatch_acknowledge, dispatch_resolve, incident_close, note_add
from tests.factories import CategoryFactory, make_dispatched_incident, make_incident

MAX_EXAMPLES = 30
# Each check is one clause of "answers as documented". Not run: positive_data_acceptance (a
# valid body for a case in the wrong state is rightly a 409, for another agency's a 404) and
# object_level_authorization (it needs schemathesis' own login configuration; the privacy
# matrix tests who sees what).
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
]


def _schemathesis() -> str:
    beside_python = Path(sys.executable).with_name("schemathesis")
    found = str(beside_python) if beside_python.exists() else shutil.which("schemathesis")
    if not found:
        pytest.fail("the schemathesis CLI is not installed (requirements-dev.lock has it)")
    return found


def _seed(world) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Cases in every state: some the police work, some only the health office sees."""
    fire = CategoryFactory(code="FIRE")
    crime = CategoryFactory(code="CRIME")
    CategoryFactory(code="OLD", is_active=False)
    shared, shared_dispatches = make_dispatched_incident(
        world.operator,
        [world.police, world.health],
        category=crime,
        caller_name="Ibu Sari",
        latitude="-3.695000",
        longitude="128.181000",
    )
    shared_police = next(d for d in shared_dispatches if d.agency == world.police)
    note_add(incident=shared, author=world.operator, body="Pelapor menunggu di depan pasar")
    note_add(incident=shared, author=world.police_staff, body="Unit dalam perjalanan")
    acknowledged, (police_acknowledged,) = make_dispatched_incident(world.operator, [world.police])
    dispatch_acknowledge(dispatch=police_acknowledged, actor=world.police_staff)
    resolved, (police_resolved,) = make_dispatched_incident(world.operator, [world.police])
    dispatch_acknowledge(dispatch=police_resolved, actor=world.police_staff)
    dispatch_resolve(dispatch=police_resolved, actor=world.police_staff, resolution="Selesai")
    closed, (health_resolved,) = make_dispatched_incident(
        world.operator, [world.health], category=fire
    )
    dispatch_acknowledge(dispatch=health_resolved, actor=world.health_staff)
    dispatch_resolve(dispatch=health_resolved, actor=world.health_staff, resolution="Padam")
    incident_close(incident=closed, actor=world.operator)
    received = make_incident(world.operator, category=fire)
    # The police's system is subscribed, so the changes the run makes write deliveries. The
    # address is refused when they are sent (fast, and nothing leaves this machine).
    with override_settings(CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        subscription, _secret = webhook_subscribe(
            agency=world.police,
            url="http://127.0.0.1:9/cc112",
            events=list(WebhookEvent.values),
            actor=world.police_head,
        )
    dispatch_acknowledge(dispatch=shared_police, actor=world.police_staff)
    incidents = [shared, acknowledged, resolved, closed, received]
    dispatches = [*shared.dispatches.all(), police_acknowledged, police_resolved, health_resolved]
    return {
        # Strings: the path's ``id`` is documented as one.
        "incident_ids": [str(i.pk) for i in incidents],
        "dispatch_ids": [str(d.pk) for d in dispatches],
        "webhook_ids": [str(subscription.pk)],
        "incident_numbers": [i.pk for i in incidents],
        "category_codes": sorted(Category.objects.values_list("code", flat=True)),
        "agency_codes": [world.centre.code, world.police.code, world.health.code],
    }


def _loopback_only(resolve, host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host in ("localhost", "127.0.0.1", "::1"):  # the database, Redis
        return resolve(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _config(seeded: dict[str, list]) -> str:
    """schemathesis.toml: the run's settings, and where to use the seeded values."""

    def value(data: object) -> str:
        return json.dumps(data)  # a JSON string, number or list of them is TOML as well

    def binding(dictionary: str, probability: float) -> str:
        return f'{{ dictionary = "{dictionary}", probability = {probability} }}'

    lines = [
        "seed = 112",
        "workers = 1",
        "request-timeout = 30",
        "",
        "[cache]",  # no crashes replayed from an earlier run: each run is this seed's alone
        "enabled = false",
        "",
        "[generation]",
        'mode = "all"',
        f"max-examples = {MAX_EXAMPLES}",
        "deterministic = true",
        'database = "none"',
        "",
        "[checks]",
        "enabled = false",
        *[f"{name}.enabled = true" for name in CHECKS],
        "",
    ]
    for name, values in seeded.items():
        lines += [f"[dictionaries.{name}]", f"values = {value(values)}", ""]
    lines += [
        "[parameters]",
        f'"path.id" = {binding("incident_ids", 0.8)}',
        f'"query.incident" = {binding("incident_numbers", 0.5)}',
        f'"query.agency" = {binding("agency_codes", 0.5)}',
        f'"body.category" = {binding("category_codes", 0.5)}',
        f'"body.agencies[*]" = {binding("agency_codes", 0.5)}',
        "",
        "[[operations]]",
        'include-path-regex = "^/api/v1/dispatches/"',
        f'parameters = {{ "path.id" = {binding("dispatch_ids", 0.8)} }}',
        "",
        "[[operations]]",
        'include-path-regex = "^/api/v1/webhooks/"',
        f'parameters = {{ "path.id" = {binding("webhook_ids", 0.8)} }}',
        "",
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("persona", ["operator", "police"])
def test_whatever_it_is_sent_the_api_answers_as_documented(  # type: ignore[no-untyped-def]
    persona, world, live_server, tmp_path, monkeypatch
):
    # Django's test server writes the headers and the body of an answer apart: on a kept-alive
    # connection, Nagle's algorithm then waits for the client's delayed ACK, 40 ms a request.
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    seeded = _seed(world)
    agency = world.centre if persona == "operator" else world.police
    _key, secret = api_key_create(
        agency=agency, name=f"Schemathesis {persona}", actor=None, requests_per_minute=100_000
    )
    # Webhook addresses the run makes up are "not found" rather than looked up: the outcome
    # does not depend on the machine's DNS, and no event is ever sent to a real host.
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", functools.partial(_loopback_only, resolve))
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(seeded), encoding="utf-8")

    started = time.monotonic()
    run = subprocess.run(
        [
            _schemathesis(),
            "--config-file",
            str(config),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Api-Key {secret}",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "report"),
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = f"{run.stdout}\n{run.stderr}"
    (tmp_path / "output.txt").write_text(output, encoding="utf-8")
    assert run.returncode == 0, output
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", run.stdout)
    assert selected, output
    assert selected[1] == selected[2] == selected[3], f"not every operation was tested:\n{output}"
    cases = re.search(r"\d+ generated, \d+ passed", run.stdout)
    print(f"schemathesis as the {persona}: {cases and cases[0]}, {elapsed:.0f} s")


def test_over_its_rate_a_key_gets_the_documented_429(world, live_server):  # type: ignore[no-untyped-def]
    """The fuzzing keys have a rate they never reach; this one is over it at once."""
    _key, secret = api_key_create(
        agency=world.police, name="Schemathesis rate", actor=None, requests_per_minute=1
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/")
    case = schema["/api/v1/categories/"]["GET"].Case()
    headers = {"Authorization": f"Api-Key {secret}"}
    # The count is per clock minute: two calls may straddle its end, a third may not.
    answers = [case.call(base_url=live_server.url, headers=headers) for _ in range(3)]
    assert answers[0].status_code == 200
    assert [answer.status_code for answer in answers].count(429) >= 1
    over = next(answer for answer in answers if answer.status_code == 429)
    assert 0 < int(over.headers["retry-after"][0]) <= 60  # schemathesis lower-cases names
    case.validate_response(over, headers=headers)
