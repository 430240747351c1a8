"""The second factor's pages: set up an authenticator app (TOTP), and recovery codes.

django-otp keeps the devices; these pages are the portal's own (django-otp ships none)."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cc112.auth import auth_log, has_authenticator, second_factor_required

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def mfa_urls(site: Any) -> list:
    def page(view: Any) -> Any:
        return site.admin_view(lambda request, **kwargs: view(request, site, **kwargs))

    return [
        path("mfa/", page(mfa_overview), name="mfa"),
        path("mfa/authenticator/", page(mfa_totp), name="mfa_totp"),
    ]


@transaction.atomic
def recovery_codes_issue(user: Any) -> list[str]:
    """New recovery codes for ``user``, each usable once; the ones before stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.CC112_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    auth_log.info("mfa_recovery_codes_issued user=%s user_id=%s", user.get_username(), user.pk)
    return codes


def _context(request: HttpRequest, site: Any, **extra: Any) -> dict[str, Any]:
    return {
        **site.each_context(request),
        "title": _("Two-step login"),
        "required": second_factor_required(request.user),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def mfa_overview(request: HttpRequest, site: Any) -> HttpResponse:
    """Whether the second factor is set up, how many recovery codes are left; new codes."""
    user = request.user
    codes: list[str] = []
    if request.method == "POST" and has_authenticator(user):
        codes = recovery_codes_issue(user)
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    context = _context(
        request,
        site,
        has_authenticator=has_authenticator(user),
        recovery_left=recovery.token_set.count() if recovery else 0,
        codes=codes,
    )
    return TemplateResponse(request, "registration/mfa_overview.html", context)


@require_http_methods(["GET", "POST"])
def mfa_totp(request: HttpRequest, site: Any) -> HttpResponse:
    """Set up an authenticator app: scan the code, type the six digits it shows.

    1. The device is kept unconfirmed until a code from the app matches;
    2. then it is confirmed, this session counts as verified, and recovery codes are issued."""
    user = request.user
    if has_authenticator(user):
        return HttpResponseRedirect(reverse("admin:mfa"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    error = ""
    if request.method == "POST":
        token = "".join(request.POST.get("otp_token", "").split())
        if token and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            auth_log.info("mfa_enrolled user=%s user_id=%s", user.get_username(), user.pk)
            codes = recovery_codes_issue(user)
            context = _context(
                request, site, has_authenticator=True, codes=codes, just_enrolled=True
            )
            return TemplateResponse(request, "registration/mfa_overview.html", context)
        auth_log.warning("mfa_enrol_failed user=%s user_id=%s", user.get_username(), user.pk)
        error = _("That code does not match. Check the time on your phone and try again.")
    qr = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111827")
    secret = b32encode(device.bin_key).decode().rstrip("=")
    context = _context(request, site, qr=qr, secret=secret, error=error)
    return TemplateResponse(request, "registration/mfa_totp.html", context)
