"""Tests that need a real server skip on a laptop without it, but never in CI."""

from __future__ import annotations

import os

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
