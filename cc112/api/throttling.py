"""Each API key has its own rate (requests per minute), counted in the shared cache."""

from __future__ import annotations

import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from agencies.models import ApiKey

WINDOW_SECONDS = 60


class ApiKeyRateThrottle(BaseThrottle):
    """429 with ``Retry-After`` once a key has used its minute; people in the portal are not
    throttled here (their pace is a person's).

    A counter per key and clock minute: one atomic increment per request, where DRF's stock
    throttle rewrites the list of every request's time in the last minute (0.9 MB a request
    at 100,000 a minute). A burst across a minute's edge may reach twice the rate.
    """

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"cc112:rate:{api_key.prefix}:{window}"
        cache.add(key, 0, WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS + 5)
            count = 1
        self._retry_after = (window + 1) * WINDOW_SECONDS - now
        return count <= api_key.requests_per_minute

    def wait(self) -> float:
        return max(1.0, self._retry_after)
