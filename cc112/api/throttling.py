"""Each API key has its own rate (requests per minute), counted in the shared cache."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from agencies.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """429 with ``Retry-After`` once a key has used its minute; people in the portal are not
    throttled here (their pace is a person's)."""

    scope = "api_key"

    def get_rate(self) -> None:  # the rate is the key's own, set per request
        return None

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        self.rate = f"{api_key.requests_per_minute}/m"
        self.num_requests, self.duration = api_key.requests_per_minute, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
