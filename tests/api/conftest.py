"""API personas: keys issued through the service, clients that send them as partners do."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agencies.services import api_key_create
from tests.agencies.test_webhooks import partner  # noqa: F401  (a partner's endpoint)


class KeyClient(APIClient):
    """A partner system: every request carries ``Authorization: Api-Key <key>``."""

    def __init__(self, key: str, **defaults: object) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Api-Key {key}", **defaults)
        self.secret = key


def issue_key(agency, *, actor=None, **fields):  # type: ignore[no-untyped-def]
    api_key, secret = api_key_create(
        agency=agency, name=f"SIM {agency.short_name}", actor=actor, **fields
    )
    return api_key, KeyClient(secret)


@pytest.fixture
def police_api(world):  # type: ignore[no-untyped-def]
    return issue_key(world.police)[1]


@pytest.fixture
def health_api(world):  # type: ignore[no-untyped-def]
    return issue_key(world.health)[1]


@pytest.fixture
def centre_api(world):  # type: ignore[no-untyped-def]
    return issue_key(world.centre)[1]
