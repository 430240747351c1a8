"""Background work for partners: thin wrappers around the webhook services.

Both tasks are safe to run twice or concurrently: a delivery is claimed by compare-and-swap,
and the sweep only says "look at these now".
"""

from __future__ import annotations

from celery import shared_task

from agencies.webhooks import webhook_delivery_send, webhook_outbox_due_ids
from cc112.queue import enqueue


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """POST one delivery. No Celery retry: a failure sets the delivery's next attempt, which the
    sweep hands out when it is due."""
    return webhook_delivery_send(delivery_id)


@shared_task(ignore_result=True)
def sweep_webhooks() -> int:
    """Hand out deliveries that are due: retries, lost messages, claims of workers that died."""
    ids = webhook_outbox_due_ids()
    for handed_out, delivery_id in enumerate(ids):
        if not enqueue(deliver_webhook, delivery_id):
            return handed_out  # the broker is down; the next sweep tries again
    return len(ids)
