"""Working time: which moments a clock counts.

A 24/7 agency's clock counts every second. An agency on office hours counts only its opening
hours on working days, in the centre's zone (WIT for Ambon), and not on Indonesian public
holidays (from the maintained ``holidays`` package, so new decrees arrive with an upgrade).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

# Government offices (Perpres 21/2023: 37.5 hours a week): Mon–Thu 07:30–16:00, Fri 07:30–16:30.
DEFAULT_OFFICE_WEEK: dict[int, tuple[time, time]] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(16, 30)),
}

# A target longer than this many calendar days of searching means the week has no open hour.
_SEARCH_DAYS = 3660


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year))


class AlwaysOpen:
    """Every second counts (the default, and every 112 centre)."""

    counts_working_time = False

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours per weekday (0 = Monday), closed on public holidays."""

    week: dict[int, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_OFFICE_WEEK))
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))

    counts_working_time = True

    def __post_init__(self) -> None:
        if not any(opens < closes for opens, closes in self.week.values()):
            raise ValueError("Office hours need at least one day with opening hours.")

    def as_json(self) -> dict[str, list[str]]:
        """The week as stored on a clock: {"0": ["07:30", "16:00"], ...} (0 = Monday)."""
        return {
            str(day): [opens.strftime("%H:%M:%S"), closes.strftime("%H:%M:%S")]
            for day, (opens, closes) in sorted(self.week.items())
        }

    @classmethod
    def from_json(cls, week: dict[str, list[str]]) -> OfficeHours:
        return cls(
            week={
                int(day): (time.fromisoformat(opens), time.fromisoformat(closes))
                for day, (opens, closes) in week.items()
            }
        )

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.week.get(day.weekday())
        if hours is None or day in public_holidays(day.year):
            return None
        opens, closes = hours
        if opens >= closes:
            return None
        return (
            datetime.combine(day, opens, tzinfo=self.zone),
            datetime.combine(day, closes, tzinfo=self.zone),
        )

    def _windows_from(self, moment: datetime):  # type: ignore[no-untyped-def]
        day = moment.astimezone(self.zone).date()
        for offset in range(_SEARCH_DAYS):
            window = self._window(day + timedelta(days=offset))
            if window is not None:
                yield window
        raise ValueError("No working hours found within ten years.")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``."""
        remaining = duration
        for opens, closes in self._windows_from(start):
            begin = max(start, opens)
            if begin >= closes:
                continue
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._windows_from(start):
            if opens >= end:
                break
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += finish - begin
        return total


Calendar = AlwaysOpen | OfficeHours
