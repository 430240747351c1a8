"""Partner systems authenticate with ``Authorization: Api-Key <key>``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from agencies.access import remember_membership
from agencies.models import ApiKey, Membership
from agencies.services import api_key_mark_used
from incidents.models import IncidentUserObjectPermission
from incidents.querysets import remember_personal_grants

KEYWORD = "Api-Key"


# A key is "<prefix>.<secret>", both printable ASCII (djangorestframework-api-key makes
# 8 + 32 characters); anything else is refused before the database is asked (a NUL cannot even
# be bound by PostgreSQL).
LONGEST_KEY = 200


def _known_key(key: str) -> ApiKey:
    """The key with its account, and the account's active membership and personal-grant flag
    attached, in one query to the database on every request.

    Nothing of a key is remembered between requests: a key revoked (or its account or
    membership ended) in any process is refused by every process at its next request, and the
    lookup does not depend on the cache server. The query starts from the membership (by the
    key's unique prefix), so the one round trip brings what ``visible_to`` asks next; a key
    whose account has no active membership any more (revoked keys lose theirs) is unknown.
    """
    if not (0 < len(key) <= LONGEST_KEY and key.isascii() and key.isprintable()):
        raise ApiKey.DoesNotExist
    prefix, dot, _secret = key.partition(".")
    if not (prefix and dot):
        raise ApiKey.DoesNotExist
    membership = (
        Membership.objects.active()
        .filter(user__api_key__prefix=prefix)
        .select_related("agency", "user", "user__api_key")
        .annotate(
            personal_grants=Exists(
                IncidentUserObjectPermission.objects.filter(user_id=OuterRef("user_id"))
            )
        )
        .first()
    )
    if membership is None:
        raise ApiKey.DoesNotExist
    api_key = membership.user.api_key
    if not ApiKey.objects.key_generator.verify(key, api_key.hashed_key):
        raise ApiKey.DoesNotExist
    api_key.account = membership.user
    remember_membership(api_key.account, membership)
    remember_personal_grants(api_key.account, membership.personal_grants)
    return api_key


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
            api_key = _known_key(parts[1].decode("ascii"))
        except (UnicodeDecodeError, ApiKey.DoesNotExist):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        if api_key.revoked or not api_key.account.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
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
