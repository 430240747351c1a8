"""Every write to clocks, escalations and notifications goes through these functions."""

from sla.services.breaches import breach_explain, unexplained_breaches
from sla.services.clocks import (
    calendar_for,
    clocks_follow_case,
    clocks_follow_dispatch,
    clocks_hold,
    clocks_retarget,
    clocks_start_for_case,
    clocks_start_for_dispatches,
    clocks_start_for_new_case_dispatched,
    clocks_stop_dispatch_clock,
    target_for,
)
from sla.services.escalation import claim_due_clocks, escalations_fire_due, escalations_sweep
from sla.services.evaluations import (
    evaluation_acknowledge,
    evaluation_open,
    evaluation_score,
    evaluation_submit,
)
from sla.services.notifications import (
    notification_email_send,
    notifications_for_dispatches,
    notifications_mark_read,
    outbox_pending_ids,
)

__all__ = [
    "breach_explain",
    "calendar_for",
    "claim_due_clocks",
    "clocks_follow_case",
    "clocks_follow_dispatch",
    "clocks_hold",
    "clocks_retarget",
    "clocks_start_for_case",
    "clocks_start_for_dispatches",
    "clocks_start_for_new_case_dispatched",
    "clocks_stop_dispatch_clock",
    "escalations_fire_due",
    "escalations_sweep",
    "evaluation_acknowledge",
    "evaluation_open",
    "evaluation_score",
    "evaluation_submit",
    "notification_email_send",
    "notifications_for_dispatches",
    "notifications_mark_read",
    "outbox_pending_ids",
    "target_for",
    "unexplained_breaches",
]
