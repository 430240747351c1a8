"""Each API key has its own rate (requests per minute), counted in the shared cache."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from agencies.models import ApiKey
from cc112 import metrics
from cc112.cache import REDIS_DOWN, CacheUnavailable

logger = logging.getLogger(__name__)

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
        metrics.API_REQUESTS.labels(key=api_key.prefix).inc()
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"cc112:rate:{api_key.prefix}:{window}"
        try:
            cache.add(key, 0, WINDOW_SECONDS + 5)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, WINDOW_SECONDS + 5)
                count = 1
        except (CacheUnavailable, *REDIS_DOWN):
            # Fail open: a partner's report of an emergency matters more than its pace; the
            # metric and the line say the limit is off.
            metrics.RATE_LIMIT_FAIL_OPEN.inc()
            logger.warning(
                "rate limit not applied: the cache is unavailable (key %s)",
                api_key.prefix,
                extra={"event": "rate_limit_fail_open"},
            )
            return True
        self._retry_after = (window + 1) * WINDOW_SECONDS - now
        if count > api_key.requests_per_minute:
            metrics.API_THROTTLED.labels(key=api_key.prefix).inc()
            return False
        return True

    def wait(self) -> float:
        return max(1.0, self._retry_after)
