"""One mapping from the domain's refusals to HTTP, so no input ever becomes a 500.

- Django ``ValidationError`` from a service → 400 with the messages per field;
- ``ActionForbidden`` (visible, but not yours to do) → 403;
- ``TransitionRefused`` and any other ``DomainError`` (the state does not allow it) → 409;
- a concurrent writer beat this request to a unique row → 409, safe to retry.
Out-of-scope objects never reach here: the scoped querysets answer 404 like missing ones.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cc112.errors import ActionForbidden, DomainError, TransitionRefused

logger = logging.getLogger(__name__)


class JSONParser(parsers.JSONParser):
    """DRF's, except that a body nested deeper than Python's recursion limit (``[[[[...``) is
    malformed JSON like any other (400), not a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None


def validation_error_data(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def api_exception_handler(exc, context):  # type: ignore[no-untyped-def]
    if isinstance(exc, Http404):
        # One wording for every miss: Django's names the model, which tells a prober nothing
        # useful but differs from the other misses.
        exc = NotFound()
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer to this is an HTML page.
        return Response(
            {"detail": _("The request body is too large."), "code": "too_large"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ActionForbidden):
        return Response(
            {"detail": exc.message, "code": "forbidden"}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, TransitionRefused):
        return Response(
            {
                "detail": exc.message,
                "code": "transition_refused",
                "current": exc.current,
                "target": exc.target,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": "refused"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        logger.info("concurrent write refused by a constraint: %s", exc)
        return Response(
            {
                "detail": _("Another request changed this at the same moment; try again."),
                "code": "conflict",
            },
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        codes = exc.get_codes() if isinstance(exc, APIException) else None
        if isinstance(codes, str):
            response.data.setdefault("code", codes)
    return response
