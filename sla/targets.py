"""Default service-level targets and escalation ladder (DOMAIN.md; each city's SOP may differ).

Targets are 90th-percentile goals and the per-case escalation thresholds. They are installed as
editable rows (``sla_install_defaults``) and also answer when no row matches.
"""

from __future__ import annotations

from datetime import timedelta

DEFAULT_TARGETS: dict[str, dict[int, timedelta]] = {
    "dispatch": {
        1: timedelta(seconds=60),
        2: timedelta(minutes=2),
        3: timedelta(minutes=10),
    },
    "acknowledge": {
        1: timedelta(seconds=60),
        2: timedelta(minutes=5),
        3: timedelta(minutes=15),
    },
    "on_scene": {
        1: timedelta(minutes=15),
        2: timedelta(minutes=40),
        3: timedelta(minutes=120),
    },
}

# level, percent of target, duty officer, agency head, supervisor, coordinator, flag
DEFAULT_LADDER = [
    (1, 100, True, False, True, False, False),
    (2, 150, False, True, True, False, False),
    (3, 200, False, False, False, True, True),
]


def default_target(kind: str, priority: int) -> timedelta:
    return DEFAULT_TARGETS[kind][priority]
