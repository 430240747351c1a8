"""Lists are paged by cursor: a deep page costs what the first does, and nothing counts rows."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from cc112.moments import utc_text


class NewestFirstCursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = _("Results per page, 1 to 200 (default 50).")
    max_page_size = 200
    ordering = "-received_at"

    def get_page_size(self, request):  # type: ignore[no-untyped-def]
        """A bad ``page_size`` is a 400 that says so, not silently the default page."""
        asked = request.query_params.get(self.page_size_query_param, "")
        if asked == "":
            return self.page_size
        whole = asked.isascii() and asked.isdigit() and len(asked) <= 9
        if whole and 1 <= int(asked) <= self.max_page_size:
            return int(asked)
        raise ValidationError(
            {
                self.page_size_query_param: [
                    _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                ]
            }
        )

    def decode_cursor(self, request):  # type: ignore[no-untyped-def]
        """A cursor's position is a moment (every ordering here is by one) that goes into the
        query: one we could not have written is an invalid cursor, not a database error
        (PostgreSQL refuses offsets beyond 15:59, SQLite overflows past year 9999 in UTC)."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            moment = parse_datetime(cursor.position)
            if moment is None or moment.tzinfo is None:
                raise ValueError(cursor.position)
            position = utc_text(moment)
        except (ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        return Cursor(offset=cursor.offset, reverse=cursor.reverse, position=position)

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        """The asked order made unique by the id, in the same direction: cases received at one
        instant (a partner's batch) are ties, and DRF's offset within a position skips or
        repeats rows unless ties always come in the same order (PostgreSQL gives no such
        order by itself)."""
        ordering = super().get_ordering(request, queryset, view)
        if any(field.lstrip("-") in ("id", "pk") for field in ordering):
            return ordering
        return (*ordering, "-id" if ordering[0].startswith("-") else "id")

    def _get_position_from_instance(self, instance, ordering):  # type: ignore[no-untyped-def]
        """A position reads as the API writes a moment (``utc_text``), which is how the case
        list's rows already carry it (``<name>_utc``, see ``summary_rows``). DRF compares
        positions as text, the decoded cursor's with the rows', so all are written alike."""
        name = ordering[0].lstrip("-")
        if isinstance(instance, dict):
            if f"{name}_utc" in instance:
                return instance[f"{name}_utc"]
            return utc_text(instance[name])
        return utc_text(getattr(instance, name))

    def get_schema_operation_parameters(self, view):  # type: ignore[no-untyped-def]
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class DispatchCursor(NewestFirstCursor):
    ordering = "-dispatched_at"


class NoteCursor(NewestFirstCursor):
    ordering = "created_at"


class NewestCreatedCursor(NewestFirstCursor):
    ordering = "-created_at"
