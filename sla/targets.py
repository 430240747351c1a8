"""Default service-level targets per clock and priority (DOMAIN.md; each city's SOP may differ).

They are 90th-percentile goals and the per-case escalation thresholds.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class ClockKind(StrEnum):
    DISPATCH = "dispatch"  # T0→T1, the operator's clock
    ACKNOWLEDGE = "acknowledge"  # T1→T2, the agency's
    ON_SCENE = "on_scene"  # T1→T3, the agency's


DEFAULT_TARGETS: dict[ClockKind, dict[int, timedelta]] = {
    ClockKind.DISPATCH: {
        1: timedelta(seconds=60),
        2: timedelta(minutes=2),
        3: timedelta(minutes=10),
    },
    ClockKind.ACKNOWLEDGE: {
        1: timedelta(seconds=60),
        2: timedelta(minutes=5),
        3: timedelta(minutes=15),
    },
    ClockKind.ON_SCENE: {
        1: timedelta(minutes=15),
        2: timedelta(minutes=40),
        3: timedelta(minutes=120),
    },
}


def default_target(clock: ClockKind, priority: int) -> timedelta:
    return DEFAULT_TARGETS[clock][priority]
