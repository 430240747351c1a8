"""Background work on service levels: thin wrappers that call a service.

Every task is safe to run twice or concurrently; late acknowledgement (settings) hands a task
whose worker was killed to another worker.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from cc112.queue import enqueue
from sla.services import escalations_sweep, notification_email_send, outbox_pending_ids
from sla.services.notifications import TransientDeliveryError

# A pass stops after this long and hands the rest of a backlog to the next pass, enqueued at
# once: a killed worker loses at most one batch, and no pass outlives the broker's visibility
# timeout.
SWEEP_BUDGET = timedelta(seconds=20)

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sweep_escalations() -> int:
    """Fire the rungs that fell due (beat, every few seconds; its own queue, so it never waits
    behind deliveries). A backlog is shared with another pass at once and handed on after the
    budget. No retry: the next tick is."""
    swept = escalations_sweep(budget=SWEEP_BUDGET, on_backlog=lambda: enqueue(sweep_escalations))
    if swept.fired:
        logger.info("Sweep fired %d escalations", swept.fired)
    if not swept.finished:
        enqueue(sweep_escalations)
    return swept.fired


@shared_task(bind=True, ignore_result=True, max_retries=5)
def deliver_notifications(self, notification_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Email each notification once. Only a transient mail-server error is retried, with
    exponential backoff, and only for the ones that failed; after the last retry they stay in
    the outbox for its sweep."""
    failed: list[int] = []
    outcomes: Counter[str] = Counter()
    for notification_id in notification_ids:
        try:
            outcomes[notification_email_send(notification_id)] += 1
        except TransientDeliveryError:
            failed.append(notification_id)
            outcomes["retry"] += 1
    # One line per batch (a sweep's), whatever the mail backend prints or does not.
    logger.info(
        "%d notification emails (%s): %s",
        len(notification_ids),
        settings.EMAIL_BACKEND.split(".")[-2:][0],
        ", ".join(f"{status} {count}" for status, count in sorted(outcomes.items())),
    )
    if failed:
        countdown = min(600, 5 * 2**self.request.retries)
        raise self.retry(args=(failed,), countdown=countdown, exc=TransientDeliveryError(failed))


@shared_task(ignore_result=True)
def sweep_outbox() -> int:
    """Re-enqueue emails whose message was lost (broker down at commit, worker killed)."""
    ids = outbox_pending_ids()
    if ids:
        enqueue(deliver_notifications, ids)
    return len(ids)


@shared_task(ignore_result=True)
def release_stale_claims() -> int:
    """Webhook deliveries left ``sending`` by a worker that died (killed, or its database
    connection cut) go out again at once, within a minute of the claim (beat, every 10 s)."""
    from agencies.tasks import deliver_webhook
    from agencies.webhooks import webhook_claims_release

    released = webhook_claims_release()
    for delivery_id in released:
        if not enqueue(deliver_webhook, delivery_id):
            break  # the broker is down: they are pending, the webhook sweep sends them
    if released:
        logger.warning("%d webhook deliveries of a stopped worker sent again", len(released))
    return len(released)
