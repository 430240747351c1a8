"""Handing work to Celery without ever failing the request or the transaction that made it.

The row that describes the work (a notification in the outbox, a webhook delivery) is committed
first; the message only says "look at it now". If the broker is down the message is lost, the
row is not: a beat sweep re-enqueues what is still waiting.

A web request never waits on the broker: there the message is handed to the process's publisher
thread (a broker that accepts connections but does not answer held each request 15 s before).
A full backlog (a long outage) drops the message; the outbox sweep sends the work.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

# A broker that is down must not hold a web request for long: one quick retry, then the outbox.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


# Messages waiting for the publisher thread of a web process, at most.
MAX_BACKLOG = 1000
_publisher: ThreadPoolExecutor | None = None
_backlog = 0
_lock = threading.Lock()


def enqueue(task, *args: object) -> bool:  # type: ignore[no-untyped-def]
    """Publish ``task(*args)``; False (and a log line) if the broker refused it. In a web
    request: handed to the publisher thread (True unless its backlog is full)."""
    from cc112.logs import in_web_request

    if in_web_request.get() and not task.app.conf.task_always_eager:
        return _publish_soon(task, args)
    return _publish(task, args)


def _publish_soon(task, args: tuple) -> bool:  # type: ignore[no-untyped-def]
    global _publisher, _backlog
    with _lock:
        if _backlog >= MAX_BACKLOG:
            logger.warning("publisher backlog full; %s left for the outbox sweep", task.name)
            return False
        _backlog += 1
        if _publisher is None:  # made lazily: after gunicorn's fork, in the worker process
            _publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cc112-publish")
    # The request's context (its id) goes with the message.
    _publisher.submit(contextvars.copy_context().run, _publish_counted, task, args)
    return True


def _publish_counted(task, args: tuple) -> None:  # type: ignore[no-untyped-def]
    global _backlog
    try:
        _publish(task, args)
    finally:
        with _lock:
            _backlog -= 1


def _publish(task, args: tuple) -> bool:  # type: ignore[no-untyped-def]
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # kombu raises several families (OperationalError, OSError...)
        logger.warning("broker unavailable; %s left for the outbox sweep", task.name, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args: object) -> None:  # type: ignore[no-untyped-def]
    transaction.on_commit(partial(enqueue, task, *args))
