"""Input no form, filter or serializer could ever accept is refused before any view runs.

A NUL character cannot be stored in a PostgreSQL text column nor compared with one: a filter
value holding one (``?status__exact=%00``) reached the database and failed there (a 500). No
page, report or API field has any use for it, so one check at the door answers 400 for every
list filter, search box, report and API query parameter alike — present and future ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"
API_PREFIX = "/api/"


def _holding_nul(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    for name, values in pairs:
        if NUL in name:
            return name.replace(NUL, "")
        if any(NUL in value for value in values):
            return name
    return None


def nul_parameter(request: HttpRequest) -> str | None:
    """The name of the first parameter (query string or form body) holding a NUL, "" for the
    path itself; None when there is none.

    A form body is looked at only when urlencoded: reading a multipart body here would take it
    from the view (an upload's file may well hold NUL bytes; its form fields are validated by
    the form's own fields, which refuse NUL)."""
    if NUL in request.path:
        return ""
    found = _holding_nul(request.GET.lists())
    if found is None and request.content_type == "application/x-www-form-urlencoded":
        found = _holding_nul(request.POST.lists())
    return found


class RefuseNulMiddleware:
    """Answer 400 to a request carrying a NUL in its path, query or form, before any view; the
    API answers in its own shape (``{"parameter": ["message"]}``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        parameter = nul_parameter(request)
        if parameter is None:
            return self.get_response(request)
        message = _("Null characters are not allowed.")
        if request.path.startswith(API_PREFIX):
            return JsonResponse({parameter or "path": [message]}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
