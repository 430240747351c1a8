"""When the demo happens: three months on Ambon's clock, ending on a given day (today unless
pinned), so the portal opened after ``seed_demo`` shows recent work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

AMBON_TZ = ZoneInfo("Asia/Jayapura")
# Ambon's go-live, 8 September 2025: the source's figures are for the 91 days from it, and the
# operators' rota counts its weeks from it.
GO_LIVE = datetime(2025, 9, 8, tzinfo=AMBON_TZ)
DEMO_DAYS = 91
# The source's first figures cover 8 September-31 October: the demo's first 54 days.
FIRST_FIGURES_DAYS = 54


@dataclass(frozen=True)
class DemoPeriod:
    """The demo's days: ``start`` is the first day's midnight (WIT), ``end`` the midnight after
    the last day; ``now`` is when the demo stops, ``end`` or, on the last day itself, the
    moment it is recorded (nothing is planned in the future)."""

    start: datetime
    end: datetime
    now: datetime

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


def demo_period(last_day: date | None = None, *, now: datetime | None = None) -> DemoPeriod:
    """The 91 days ending on ``last_day`` (today in Ambon unless given; not after today)."""
    now = now or timezone.now()
    today = now.astimezone(AMBON_TZ).date()
    last_day = last_day or today
    if last_day > today:
        raise ValueError(f"{last_day} is after today ({today}) in Ambon")
    # WIT keeps no daylight saving: every demo day is 24 hours.
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=AMBON_TZ)
    return DemoPeriod(start=end - timedelta(days=DEMO_DAYS), end=end, now=min(now, end))
