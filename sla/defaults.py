"""DOMAIN.md's targets and escalation ladder, installed as rows a city then edits."""

from __future__ import annotations

from typing import Any

from sla.targets import DEFAULT_LADDER, DEFAULT_TARGETS


def sla_install_defaults(**kwargs: Any) -> None:
    from sla.models import EscalationStep, Target

    for kind, by_priority in DEFAULT_TARGETS.items():
        for priority, target in by_priority.items():
            Target.objects.get_or_create(
                kind=kind,
                priority=priority,
                category=None,
                agency=None,
                defaults={"target": target},
            )
    if not EscalationStep.objects.exists():
        for level, percent, duty, head, supervisor, coordinator, flag in DEFAULT_LADDER:
            EscalationStep.objects.create(
                level=level,
                percent=percent,
                notify_duty_officer=duty,
                notify_agency_head=head,
                notify_supervisor=supervisor,
                notify_coordinator=coordinator,
                flags_for_evaluation=flag,
            )
