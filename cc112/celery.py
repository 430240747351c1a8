"""The Celery app: workers and beat load their configuration from Django's settings."""

from __future__ import annotations

import contextvars
import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings")

app = Celery("cc112")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- The request id travels with the tasks a request (or a task) enqueues (cc112/logs.py) ------

REQUEST_ID_TASK_HEADER = "cc112_request_id"


@before_task_publish.connect
def _send_request_id(headers: dict | None = None, **_: object) -> None:
    from cc112.logs import current_request_id

    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, request_id)


_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect
def _take_request_id(task_id: str = "", task: object = None, **_: object) -> None:
    from cc112.logs import new_request_id, request_id_var

    request = getattr(task, "request", None)
    request_id = (
        getattr(request, REQUEST_ID_TASK_HEADER, None)
        or (getattr(request, "headers", None) or {}).get(REQUEST_ID_TASK_HEADER)
        # Run in the caller's process (eager, as in tests): the caller's id goes on.
        or request_id_var.get()
    )
    # A task beat started gets an id of its own: its lines, and its follow-up tasks', belong
    # together.
    _tokens[task_id] = request_id_var.set(request_id or f"task-{new_request_id()}")


@task_postrun.connect
def _drop_request_id(task_id: str = "", **_: object) -> None:
    from cc112.logs import request_id_var

    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
