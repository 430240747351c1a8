"""The history's seals, swept by beat (cc112.history.history_chain_extend)."""

from __future__ import annotations

from celery import shared_task

from cc112.history import history_chain_extend


@shared_task(ignore_result=True)
def seal_history() -> int:
    """Seal the history rows written since the last sweep; safe twice, and at once."""
    return history_chain_extend()
