"""The service-level tests' wall clock and the duty officers who are told of breaches."""

from __future__ import annotations

import datetime as dt

import pytest

from agencies.models import Role
from tests.factories import make_member
from tests.sla.frozen import T0


@pytest.fixture
def after(time_machine):  # type: ignore[no-untyped-def]
    """Freeze the wall clock at T0; ``after(minutes=3)`` moves it to T0 + 3 min."""
    time_machine.move_to(T0, tick=False)

    def move(**delta: float) -> dt.datetime:
        moment = T0 + dt.timedelta(**delta)
        time_machine.move_to(moment, tick=False)
        return moment

    return move


@pytest.fixture
def duty_officer(world):  # type: ignore[no-untyped-def]
    return make_member(world.police, Role.DUTY_OFFICER, username="police_duty")
