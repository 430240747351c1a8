"""Reading a rarely changed table once for one piece of work instead of once per row it writes.

The call screen's one submit starts a dozen clocks in two steps and tells two webhook events:
each step used to read the escalation ladder, the SLA targets and the webhook subscriptions
again. Inside ``reads_shared()`` the first :func:`read_once` of a key reads it and the others
reuse that answer; outside it every call reads, as before.

Only for rows the work itself does not write (configuration): an answer is kept until the
block ends, so a row the block changed after reading it would be seen as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_answers: ContextVar[dict[Hashable, Any] | None] = ContextVar("cc112_reads", default=None)


@contextmanager
def reads_shared() -> Iterator[None]:
    """Within the block, each :func:`read_once` key is read once (a nested block joins the
    outer one)."""
    if _answers.get() is not None:
        yield
        return
    token = _answers.set({})
    try:
        yield
    finally:
        _answers.reset(token)


def read_once(key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or its answer for ``key`` already read inside this ``reads_shared()``."""
    answers = _answers.get()
    if answers is None:
        return read()
    if key not in answers:
        answers[key] = read()
    return answers[key]  # type: ignore[no-any-return]
