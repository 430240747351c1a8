"""Lists are paged by cursor: a deep page costs what the first does, and nothing counts rows."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class NewestFirstCursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-received_at"


class DispatchCursor(NewestFirstCursor):
    ordering = "-dispatched_at"


class NoteCursor(NewestFirstCursor):
    ordering = "created_at"
