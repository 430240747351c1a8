"""Logs: one JSON object a line in production, plain lines under ``make run``; a request id.

* The request id comes from the balancer's ``X-Request-ID`` (if it is a sane token) or is made
  here, is answered in ``X-Request-ID``, stamped on every line logged while the request runs,
  and travels in the headers of every Celery task the request enqueues (cc112/celery.py), whose
  lines carry it too, as do the tasks those tasks enqueue.
* Callers' personal data never reaches a log: the formatter masks phone numbers (and the
  ``caller_*`` fields, should anyone pass them as extra), whatever the message.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cc112_request_id", default=None
)
# True while a web request runs (cc112.queue publishes off the request's thread then).
in_web_request: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cc112_in_web_request", default=False
)

# Indonesian numbers as callers give them: 08..., +62 8..., 62-8..., with spaces or dashes.
PHONE = re.compile(r"(?<!\d)(?:\+?62|0)[\s-]?8(?:[\s-]?\d){7,11}(?!\d)")
PERSONAL_FIELDS = ("caller_name", "caller_phone", "caller", "phone")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def redact(text: str) -> str:
    return PHONE.sub("[phone]", text)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id in force (``-`` outside requests and tasks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class RedactingFilter(logging.Filter):
    """Mask phone numbers in the message and drop callers' fields passed as ``extra``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        for name in PERSONAL_FIELDS:
            if name in record.__dict__:
                setattr(record, name, "[redacted]")
        return True


class JsonLines(JsonFormatter):
    """python-json-logger with cc112's field names; tracebacks are masked too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "fmt", "{asctime}{levelname}{name}{message}{request_id}{process}{processName}"
        )
        kwargs.setdefault("style", "{")
        kwargs.setdefault(
            "rename_fields",
            {"asctime": "time", "levelname": "level", "name": "logger", "processName": "proc"},
        )
        kwargs.setdefault("timestamp", False)
        super().__init__(*args, **kwargs)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


class PlainLines(logging.Formatter):
    """Plain lines for people (``make run``), with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


class RequestIdMiddleware:
    """Take or make the request's id, keep it for the request's log lines and tasks, answer it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SANE_ID.match(given) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        web = in_web_request.set(True)
        try:
            response = self.get_response(request)
        finally:
            in_web_request.reset(web)
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
