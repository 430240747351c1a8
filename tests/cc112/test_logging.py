"""An on-call engineer follows one request through the logs: JSON lines (production), each
carrying the request's id, also in the Celery tasks the request caused; no caller's name or
number in any line."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.db import connection

from cc112 import logs
from tests.api.conftest import issue_key
from tests.factories import CategoryFactory
from tests.servers import require_postgres, require_redis_server
from tests.sla.processes import CELERY, Drill, Process, wait_for

pytestmark = pytest.mark.django_db

CALLER = {"caller_name": "Budi Santoso", "caller_phone": "0812-3456-7890"}


@pytest.fixture
def log_lines():  # type: ignore[no-untyped-def]
    """What the production handler writes (its formatter and filters), as JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    handler.addFilter(logs.RequestIdFilter())
    handler.addFilter(logs.RedactingFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_request_answers_the_balancers_id_or_one_of_its_own(client) -> None:  # type: ignore[no-untyped-def]
    given = client.get("/health/live", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert given["X-Request-ID"] == "lb-7f3a.42"
    made = client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
    # A header that could forge log lines is not taken.
    forged = client.get("/health/live", HTTP_X_REQUEST_ID='x" "level": "CRITICAL')
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_every_line_of_a_request_and_of_the_tasks_it_causes_carries_its_id(
    world, client, log_lines
) -> None:  # type: ignore[no-untyped-def]
    """An agency's refused look at the centre's calls is logged by the access audit; a task
    the request runs (eager in tests, a worker in production: see the last test) logs under
    the request's id."""
    from sla.tasks import deliver_notifications

    client.force_login(world.police_staff)
    refused = client.get("/admin/incidents/call/", HTTP_X_REQUEST_ID="req-1")
    assert refused.status_code == 403
    token = logs.request_id_var.set("req-2")
    try:
        deliver_notifications.delay([])
        logging.getLogger("cc112.test").info("after the task")
    finally:
        logs.request_id_var.reset(token)
    lines = log_lines()
    assert {line["request_id"] for line in lines if line["logger"] == "cc112.access"} == {"req-1"}
    task_lines = [line for line in lines if "notification emails" in line["message"]]
    assert task_lines and all(line["request_id"] == "req-2" for line in task_lines)
    # The request's own id is back once the task ends.
    assert [line["request_id"] for line in lines if line["message"] == "after the task"] == [
        "req-2"
    ]
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])


def test_no_callers_name_or_number_reaches_the_log(world, log_lines) -> None:  # type: ignore[no-untyped-def]
    CategoryFactory(code="KTB")
    _, centre = issue_key(world.centre)
    report = {"category": "KTB", "location_text": "Jl. Sultan Hairun", "description": "x", **CALLER}
    assert centre.post("/api/v1/incidents/", report, format="json").status_code == 201
    # Even a careless line cannot leak them: numbers are masked, callers' fields dropped.
    logging.getLogger("cc112.test").warning(
        "caller %s rang from %s", "x", "+62 812 3456 7890", extra={"caller_name": "Budi"}
    )
    try:
        raise ValueError("bad number 081234567890")
    except ValueError:
        logging.getLogger("cc112.test").exception("failed")
    text = json.dumps(log_lines())
    for personal in ("Budi", "3456", "7890"):
        assert personal not in text
    assert "[phone]" in text


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_the_request_id_of_the_request_that_enqueued_the_task(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL and a private Redis: a worker with production's JSON logs."""
    from cc112.celery import app
    from sla.tasks import deliver_notifications

    require_postgres()
    drill = Drill(
        tmp_path, redis_binary=require_redis_server(), settings_dict=connection.settings_dict
    )
    drill.redis.start()
    eager = app.conf.task_always_eager
    try:
        argv = [str(CELERY), "-A", "cc112", "worker", "--concurrency", "1", "-n", "json@%h"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        env = drill.env("json-worker", CC112_LOG_FORMAT="json")
        worker = Process("json-worker", argv, env, tmp_path / "json-worker.log")
        drill.processes.append(worker)
        worker.wait_for_log("ready", timeout=60)
        app.conf.task_always_eager = False
        token = logs.request_id_var.set("req-from-the-portal")
        try:
            with app.connection_for_write(drill.redis.url) as connection_:
                deliver_notifications.apply_async(args=([],), connection=connection_)
        finally:
            logs.request_id_var.reset(token)

        def task_line() -> dict | None:
            for line in worker.log().splitlines():
                if line.startswith("{") and "notification emails" in line:
                    return json.loads(line)
            return None

        try:
            line = wait_for(task_line, timeout=30, what="the task's line")
        except TimeoutError:
            pytest.fail(worker.log())
        assert line["request_id"] == "req-from-the-portal", worker.log()  # type: ignore[index]
    finally:
        app.conf.task_always_eager = eager
        drill.close()
