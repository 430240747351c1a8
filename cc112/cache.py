"""The shared cache, failing open: when Redis does not answer, the portal and the API go on.

Everything cc112 keeps in the cache can be recomputed (rendered board fragments, report figures,
an API key's account, which falls back to the database) or may be skipped for a while (the rate
limit, which then lets requests through and says so). So a cache that is down reads as a miss,
and a write is dropped, instead of a 500 on every page and every API call.

Once a call fails, the process stops asking Redis for ``PAUSE_SECONDS`` (a circuit breaker): an
outage costs one failed connection per process per pause, not one per call, and a Redis that
hangs instead of refusing costs at most the socket timeout once per pause.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

PAUSE_SECONDS = 2.0
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class CacheUnavailable(Exception):
    """Raised by operations whose caller must decide (``incr``: the throttle fails open)."""


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache whose reads miss and writes drop while Redis is unreachable."""

    _paused_until = 0.0

    def _down(self, operation: str, error: BaseException | None) -> None:
        from cc112 import metrics

        if error is not None:
            # One line per pause, not per call.
            logger.warning(
                "cache unavailable (%s: %s); failing open for %.0f s",
                operation,
                type(error).__name__,
                PAUSE_SECONDS,
                extra={"event": "cache_unavailable"},
            )
            type(self)._paused_until = time.monotonic() + PAUSE_SECONDS
        metrics.CACHE_FAILURES.labels(operation=operation).inc()

    def _call(self, operation: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._paused_until:
            self._down(operation, None)
            return default
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except REDIS_DOWN as error:
            self._down(operation, error)
            return default

    def reachable(self) -> bool:
        """PING Redis now, past the breaker (health checks)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except REDIS_DOWN:
            return False

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call("get", default, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._call("get_many", {}, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call("has_key", False, key, version)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._call("add", False, key, value, timeout, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data: dict, timeout: Any = None, version: int | None = None) -> list:
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._call("touch", False, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call("delete", False, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        return self._call("delete_many", None, keys, version)

    def clear(self) -> None:
        return self._call("clear", None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        marker = object()
        value = self._call("incr", marker, key, delta, version)
        if value is marker:
            raise CacheUnavailable(key)
        return value
