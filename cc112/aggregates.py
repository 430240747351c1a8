"""Exact percentiles computed by the database.

PostgreSQL has ``percentile_cont``: the value at fraction *f* of the ordered values, linearly
interpolated between the two nearest (the median of 1, 2, 3, 10 is 2.5; its 90th percentile
7.9), the definition NumPy and most spreadsheets use by default. SQLite, the embedded default
for ``make run``, has no such aggregate: the same one is registered on each of its connections
(it runs inside SQLite's aggregate step, fed row by row by the query).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import Aggregate


class PercentileCont(Aggregate):
    """``PercentileCont("elapsed", 0.9)``: exact, interpolated; None over no rows."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"a percentile's fraction lies in [0, 1], not {fraction}")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, Any]:
        return super().as_sql(compiler, connection, fraction=repr(self.fraction), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        on_sqlite = self.copy()
        on_sqlite.function = "cc112_percentile_cont"
        on_sqlite.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return super(PercentileCont, on_sqlite).as_sql(
            compiler, connection, fraction=repr(self.fraction), **extra
        )

    def _get_repr_options(self) -> dict[str, Any]:
        return {**super()._get_repr_options(), "fraction": self.fraction}


class _SqlitePercentileCont:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        if value is not None:
            self.values.append(value)
        self.fraction = fraction

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        below, above = math.floor(position), math.ceil(position)
        return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _register_on_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("cc112_percentile_cont", 2, _SqlitePercentileCont)


connection_created.connect(_register_on_sqlite)


REPORT_WORK_MEM_MB = 64


@contextmanager
def report_memory() -> Iterator[None]:
    """A transaction whose sorts may use more memory on PostgreSQL: exact percentiles sort every
    value of their group, and at the default 4 MB a year's sorts spill to disk
    (bench/reports.py). ``SET LOCAL`` ends with the transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM_MB}MB'")
        yield


__all__ = ["PercentileCont", "report_memory"]
