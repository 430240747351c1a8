"""Strict readers for settings that come from the environment.

A misspelt or malformed value must stop the process at start with the variable's name, not
quietly fall back to a default (a production server running with DEBUG on, or on SQLite).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Sequence

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = _raw(name)
    if value is None:
        if required or default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: Sequence[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    value = _raw(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone.") from None
    return value


def env_database(name: str, default: str) -> dict:
    url = _raw(name) or default
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # environ raises several types for a malformed URL
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names an unsupported database: {url.split(':')[0]}")
    if config["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured(f"{name}: cc112 runs on PostgreSQL or SQLite only.")
    return config


def env_cache(name: str, default: str) -> dict:
    url = _raw(name) or default
    try:
        return environ.Env.cache_url_config(url)
    except Exception as exc:  # environ raises several types for a malformed URL
        raise ImproperlyConfigured(f"{name} is not a usable cache URL: {exc}") from None


def env_broker_url(name: str, default: str) -> str:
    url = _raw(name) or default
    scheme = url.split("://", 1)[0]
    if scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem"):
        raise ImproperlyConfigured(
            f"{name}={url!r}: use redis://, amqp:// or filesystem:// (the embedded default)."
        )
    return url
