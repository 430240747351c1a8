"""``Idempotency-Key``: a retried POST gets the first answer and never a second case.

The key is claimed by inserting its row in the same transaction as the work. A concurrent
retry's insert waits on the unique index until the first commits, then finds the row and
replays it; if the first failed, its row rolled back with its work and the retry runs afresh.
Only successful answers are kept, so a retry after a 4xx is judged again. A replay on an
object (``/incidents/<id>/notes/``) first looks the object up in the caller's scope again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from incidents.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# How long a key is remembered: longer than any partner's retry schedule.
KEPT_FOR = timedelta(hours=24)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:  # type: ignore[no-untyped-def]
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key(request) -> str | None:  # type: ignore[no-untyped-def]
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to 255 printable ASCII characters, e.g. a UUID.")]}
        )
    return key


def idempotent(handler):  # type: ignore[no-untyped-def]
    """Decorate a view method that creates something."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        key = _key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        account=request.user, key=key, fingerprint=fingerprint, response_status=0
                    )
            except IntegrityError:
                # A replay answers only what the caller may still see: the object the URL names
                # is fetched through the view's scoped queryset first, so a case whose access
                # was withdrawn since answers 404 like any other, not the stored 201.
                if view.lookup_field in kwargs:
                    view.get_object()
                record = IdempotentRequest.objects.get(account=request.user, key=key)
                if record.fingerprint != fingerprint:
                    raise IdempotencyKeyReused() from None
                return Response(
                    record.response_body,
                    status=record.response_status,
                    headers={REPLAYED_HEADER: "true"},
                )
            response = handler(view, request, *args, **kwargs)
            record.response_status = response.status_code
            record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper


def idempotent_requests_forget(*, now=None) -> int:  # type: ignore[no-untyped-def]
    """Drop keys older than ``KEPT_FOR`` (a periodic task)."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _rows = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
