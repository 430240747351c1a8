"""Partner systems authenticate with ``Authorization: Api-Key <key>``."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from agencies.access import membership_of, remember_membership
from agencies.models import ApiKey
from agencies.services import API_KEY_KNOWN_FOR_SECONDS, api_key_cache_key, api_key_mark_used
from incidents.querysets import holds_personal_grants, remember_personal_grants

KEYWORD = "Api-Key"


def _known_key(key: str) -> tuple[ApiKey, tuple | None]:
    """The key, its account with the account's membership and personal-grant flag attached,
    and what to remember of it (None when it came from the cache: looked up in the last few
    seconds; the secret is checked against the stored hash every time)."""
    prefix = key.partition(".")[0]
    known = cache.get(api_key_cache_key(prefix))
    if known is not None:
        api_key, membership, personal = known
        if not ApiKey.objects.key_generator.verify(key, api_key.hashed_key):
            raise ApiKey.DoesNotExist
    else:
        api_key = ApiKey.objects.get_from_key(key)
        membership = membership_of(api_key.account)
        personal = holds_personal_grants(api_key.account)
    remember_membership(api_key.account, membership)
    remember_personal_grants(api_key.account, personal)
    return api_key, None if known is not None else (membership, personal)


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
            api_key, to_remember = _known_key(parts[1].decode("ascii"))
        except (UnicodeDecodeError, ApiKey.DoesNotExist):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        if api_key.revoked or not api_key.account.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        api_key_mark_used(api_key)
        if to_remember is not None:
            # After the last-use mark, so the cached copy does not ask to be marked again.
            cache.set(
                api_key_cache_key(api_key.prefix),
                (api_key, *to_remember),
                API_KEY_KNOWN_FOR_SECONDS,
            )
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
