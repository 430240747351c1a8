"""Tests that need a real server skip on a laptop without it, but never in CI."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection


def require_postgres() -> None:
    """Skip unless the test database is PostgreSQL; under CC112_REQUIRE_POSTGRES, fail."""
    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL: set DATABASE_URL=postgres://... to run it"
    if os.environ.get("CC112_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_redis_server() -> str:
    """The path of ``redis-server`` (the drills start a private one); skip without it, but
    under CC112_REQUIRE_BROKER, fail."""
    binary = shutil.which("redis-server")
    if binary:
        return binary
    reason = "needs the redis-server binary on PATH (apt-get install redis-server)"
    if os.environ.get("CC112_REQUIRE_BROKER"):
        pytest.fail(reason)
    pytest.skip(reason)
