"""JSON out through orjson: the case lists are rendered for every sync job's poll, and orjson
writes them several times faster than the standard library (bench/api.py)."""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()  # Decimal, lazy translations, querysets: as DRF writes them


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):  # type: ignore[no-untyped-def]
        if data is None:
            return b""
        return orjson.dumps(
            data,
            default=_fallback.default,
            option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z,
        )
