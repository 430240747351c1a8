"""Handing work to Celery without ever failing the request or the transaction that made it.

The row that describes the work (a notification in the outbox, a webhook delivery) is committed
first; the message only says "look at it now". If the broker is down the message is lost, the
row is not: a beat sweep re-enqueues what is still waiting.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

# A broker that is down must not hold a web request for long: one quick retry, then the outbox.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def enqueue(task, *args: object) -> bool:  # type: ignore[no-untyped-def]
    """Publish ``task(*args)`` now; False (and a log line) if the broker refused it."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # kombu raises several families (OperationalError, OSError...)
        logger.warning("broker unavailable; %s left for the outbox sweep", task.name, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args: object) -> None:  # type: ignore[no-untyped-def]
    transaction.on_commit(partial(enqueue, task, *args))
