"""How a moment reads everywhere (portal, messages, emails): in the centre's zone, to the second
(targets are in seconds)."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone


def local_moment(at: datetime) -> str:
    """16-12-2025 10:01:00, in the centre's time zone (WIT for Ambon); stored times are UTC."""
    return formats.date_format(timezone.localtime(at), "d-m-Y H:i:s")
