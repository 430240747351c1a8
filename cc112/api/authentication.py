"""Partner systems authenticate with ``Authorization: Api-Key <key>``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from agencies.models import ApiKey
from agencies.services import api_key_mark_used

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """The key's own account becomes ``request.user``, so the key sees and does exactly what a
    member of its agency would; ``request.auth`` is the key."""

    def authenticate(self, request):  # type: ignore[no-untyped-def]
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Api-Key <key>."))
        try:
            key = parts[1].decode("ascii")
            api_key = ApiKey.objects.get_from_key(key)
        except (UnicodeDecodeError, ApiKey.DoesNotExist):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if not api_key.account.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        api_key_mark_used(api_key)
        return api_key.account, api_key

    def authenticate_header(self, request):  # type: ignore[no-untyped-def]
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "cc112.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: the key the 112 centre issued to your system.",
        }
