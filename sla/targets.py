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
    # T1→T4, the agency's field report. P1: 15 min to the scene, then about an hour on scene
    # and to hospital (an ambulance job cycle runs 60-90 min; most house fires are out within
    # the hour). P2: urgent work that needs a team a few hours (a fallen tree across a road, a
    # fight dispersed and written up). P3: non-urgent work done within the next day (a stray
    # animal caught, a downed cable made safe by PLN); an office-hours agency counts these in
    # its working time.
    "resolve": {
        1: timedelta(minutes=90),
        2: timedelta(hours=4),
        3: timedelta(hours=24),
    },
    # T0→T4, the case's handling time (waktu penanganan) to the last agency's field report: the
    # dispatch target plus the resolve target, rounded up, with room for a second agency sent
    # after the first (an ambulance after the police found someone hurt).
    "handling": {
        1: timedelta(hours=2),
        2: timedelta(hours=5),
        3: timedelta(hours=26),
    },
    # T0→closed: the centre reads the field reports, calls the caller back when the SOP says so
    # and closes the case; two more hours than the handling target, a day more for P3 (closed
    # by the next day shift).
    "closure": {
        1: timedelta(hours=4),
        2: timedelta(hours=7),
        3: timedelta(hours=50),
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
