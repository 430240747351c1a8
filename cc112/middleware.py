"""Request-level audit (every refused action logged with who, what and on which object), and
the session's limits: its lifetime and the second factor."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


# Views that read no session (the live pages' marker, polled every few seconds by every open
# board: incidents.board.pulse). Checking the session's age there would load it on each poll.
SESSIONLESS_VIEWS = frozenset({"admin:incidents_pulse"})


def _reads_session(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is None or match.view_name not in SESSIONLESS_VIEWS


class SessionLifetimeMiddleware:
    """End a portal session after CC112_SESSION_IDLE_MINUTES without a request, or
    CC112_SESSION_ABSOLUTE_HOURS after the login, whichever comes first.

    The last request's time is written at most once a minute: a write per request would turn
    every poll of the live pages into a session save."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        if _reads_session(request):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._check(request)

    def _check(self, request: HttpRequest) -> None:
        from cc112.auth import SESSION_SEEN, SESSION_STARTED, auth_log

        now = int(time.time())
        session = request.session
        started = session.setdefault(SESSION_STARTED, now)
        seen = session.get(SESSION_SEEN, started)
        idle = settings.CC112_SESSION_IDLE_MINUTES * 60
        lifetime = settings.CC112_SESSION_ABSOLUTE_HOURS * 3600
        if now - seen > idle or now - started > lifetime:
            auth_log.info(
                "session_expired user=%s user_id=%s reason=%s",
                request.user.get_username(),
                request.user.pk,
                "idle" if now - seen > idle else "lifetime",
            )
            logout(request)  # a fresh, anonymous session: the page asks for the login
        elif now - seen >= 60:
            session[SESSION_SEEN] = now


class SecondFactorMiddleware:
    """Those who must use a second factor (cc112.auth.second_factor_required) and have none are
    sent to set one up before anything else; a session logged in without the code of an
    existing second factor is ended.

    Off only where settings.CC112_MFA_ENFORCED is false (the test suite's force_login())."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not settings.CC112_MFA_ENFORCED or not _reads_session(request):
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return self._refuse(request, user)
        return None

    def _refuse(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        from django_otp import user_has_device

        from cc112.auth import auth_log, has_authenticator, second_factor_required

        if user_has_device(user) and not user.is_verified():
            auth_log.warning(
                "mfa_unverified_session user=%s user_id=%s", user.get_username(), user.pk
            )
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not second_factor_required(user) or has_authenticator(user):
            return None
        allowed = {reverse("admin:mfa"), reverse("admin:mfa_totp"), reverse("admin:logout")}
        if request.path in allowed or request.path.startswith(
            (settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/", "/i18n/")
        ):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": str(_("Set up a second factor in the portal first."))}, status=403
            )
        return HttpResponseRedirect(reverse("admin:mfa_totp"))
