"""When the demo happens: the first three months after the go-live, on Ambon's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

AMBON_TZ = ZoneInfo("Asia/Jayapura")
DEMO_START = datetime(2025, 9, 8, tzinfo=AMBON_TZ)  # the go-live
DEMO_DAYS = 91
DEMO_END = DEMO_START + timedelta(days=DEMO_DAYS)  # the demo's "now"
