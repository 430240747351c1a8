"""Request-level audit: every refused action is logged with who, what and on which object."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

access_log = logging.getLogger("cc112.access")


class ForbiddenAuditMiddleware:
    """Log each 403 with the user, the action (method and view) and the object in the URL.

    A 404 is not logged here: out-of-scope objects answer exactly like missing ones, and a log
    line per probe would only tell an attacker's guesses apart from typos.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            match = request.resolver_match
            user = getattr(request, "user", None)
            access_log.warning(
                "forbidden user=%s user_id=%s method=%s view=%s object=%s path=%s",
                getattr(user, "username", "-") or "-",
                getattr(user, "pk", None),
                request.method,
                match.view_name if match else "-",
                dict(match.kwargs) if match else {},
                request.path,
            )
        return response
