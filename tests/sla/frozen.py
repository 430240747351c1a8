"""The moment the service-level tests freeze the wall clock at."""

from __future__ import annotations

import datetime as dt
import zoneinfo

WIT = zoneinfo.ZoneInfo("Asia/Jayapura")
# A Tuesday morning; every frozen-time test's wall clock starts here and only moves forward.
T0 = dt.datetime(2025, 12, 16, 10, 0, tzinfo=WIT)
