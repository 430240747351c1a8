"""Bahasa Indonesia: see ``cc112.formats``."""

DATE_FORMAT = "d-m-Y"
SHORT_DATE_FORMAT = "d-m-Y"
DATETIME_FORMAT = "d-m-Y H:i:s T"
SHORT_DATETIME_FORMAT = "d-m-Y H:i:s T"
