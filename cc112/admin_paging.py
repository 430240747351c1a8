"""Admin lists that stay fast on large tables: a capped count and keyset ("older") pages.

Django's changelist counts its rows twice on every page (the filtered and the full count),
each a ``COUNT(*)`` over everything the user sees: 95k cases for the police, tens of
milliseconds each. Deep pages use ``OFFSET``, which reads and throws away every row before the
page: a small agency's page 20 walks past tens of thousands of other agencies' cases. Here:

1. In the default order (``keyset_field`` newest first, then id) pages go by key: a page is
   ``WHERE (moment, id) < key ORDER BY moment DESC, id DESC LIMIT n + 1`` from the index,
   nothing is counted, and "Older →" carries the last row's key (``?after=<moment>.<id>``).
   Page 200 costs what page 1 does.
2. Sorted by another column (or asked for ``?p=``), the list pages by number, without the
   full count (``show_full_result_count = False``) and with the filtered count stopped at
   ``CappedPaginator.cap`` rows (``SELECT COUNT(*) FROM (... LIMIT n)``: "more than 1000").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.admin.views.main import PAGE_VAR
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from unfold.views import ChangeList

AFTER_VAR = "after"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def keyset_cursor(moment: datetime, pk: int) -> str:
    """A row's position in a list ordered newest first: microseconds since the epoch and id."""
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def read_cursor(text: str) -> tuple[datetime, int] | None:
    """The position a cursor names, or None for anything that is not one (then: page one)."""
    micros, _, pk = text.partition(".")
    if not (micros.lstrip("-").isdigit() and pk.isdigit()) or len(micros) > 18:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


class CappedPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: enough to number the first pages and say "more"."""

    template_name = "admin/cc112/keyset_pagination.html"
    cap = 1000

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: self.cap + 1].count()
        return len(self.object_list)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class KeysetChangeList(ChangeList):
    """A changelist whose default order (``keyset_field`` newest first, then id) pages by key.

    In that order, without ``?p=``, a page is the rows after ``?after=`` (or the newest),
    nothing is counted, and "Newest" and "Older →" links stand for page numbers. Sorted by
    another column, or with ``?p=``, the list pages by number (up to the capped count).
    """

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.after = read_cursor(request.GET.get(AFTER_VAR, ""))
        # The cursor is no filter: the filters' and columns' links must not carry it along
        # (a new filter or order starts from the newest row).
        query = request.GET
        request.GET = query.copy()
        request.GET.pop(AFTER_VAR, None)
        try:
            super().__init__(request, *args, **kwargs)
        finally:
            request.GET = query

    @property
    def keyset_field(self) -> str:
        return self.model_admin.keyset_field

    def keyset_applies(self, request: HttpRequest, queryset: QuerySet) -> bool:
        # Django repeats the admin's ordering after the queryset's: compare without repeats.
        ordering = list(dict.fromkeys(self.get_ordering(request, queryset)))
        return ordering == [f"-{self.keyset_field}", "-pk"]

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        only = getattr(self.model_admin, "list_only", ())
        if only:
            # Only the fields the columns show leave the table (search still reads the rest).
            queryset = queryset.only(*only)
        list_queryset = getattr(self.model_admin, "list_queryset", None)
        if list_queryset is not None:  # what a column shows beside the row, in its statement
            queryset = list_queryset(request, queryset)
        self.keyset = self.keyset_applies(request, queryset)
        if self.keyset and self.after is not None:
            moment, pk = self.after
            # (moment, id) < key, written so the index on the moment bounds the scan.
            field = self.keyset_field
            queryset = queryset.filter(**{f"{field}__lte": moment}).exclude(
                Q(**{field: moment}) & Q(pk__gte=pk)
            )
        return queryset

    def get_results(self, request: HttpRequest) -> None:
        self._get_results(request)
        # What a column shows beside the row itself (the agencies a case went to), read for
        # the page's rows at once: ``list_rows`` on the admin, if it has one.
        rows = list(self.result_list)
        list_rows = getattr(self.model_admin, "list_rows", None)
        if list_rows is not None:
            list_rows(request, rows)
        self.result_list = rows

    kept_key: str | None = None
    kept: dict[str, Any] | None = None

    def _get_results(self, request: HttpRequest) -> None:
        if not self.keyset or PAGE_VAR in request.GET:
            super().get_results(request)
            self.paged_by_key = False
            more = self.page_num < self.paginator.num_pages or self.paginator.capped
            self.older_url = self._older_url(self.result_list) if self.keyset and more else None
            return
        self.kept_key = self._kept_key(request)
        self.kept = cache.get(self.kept_key) if self.kept_key else None
        if self.kept is not None:
            # The page as drawn for someone who sees the same rows, since nothing changed.
            self._page_by_key(request, [], self.kept["older_url"])
            self.result_count = self.kept["count"]
            return
        rows = list(self.queryset[: self.list_per_page + 1])
        more = len(rows) > self.list_per_page
        rows = rows[: self.list_per_page]
        self._page_by_key(request, rows, self._older_url(rows) if more else None)

    def _page_by_key(self, request: HttpRequest, rows: list, older_url: str | None) -> None:
        self.paged_by_key = True
        self.result_list = rows
        self.result_count = len(rows)
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = False
        self.paginator = self.model_admin.get_paginator(request, rows, self.list_per_page)
        self.older_url = older_url

    def _kept_key(self, request: HttpRequest) -> str | None:
        """Where this page's drawn rows are kept, if the admin keeps them (``kept_page_key``:
        the same key for everyone who sees the same rows, a new one after any change)."""
        key_of = getattr(self.model_admin, "kept_page_key", None)
        return key_of(request, self) if key_of is not None else None

    def _older_url(self, rows: Any) -> str | None:
        rows = list(rows)
        if not rows:
            return None
        last: Model = rows[-1]
        cursor = keyset_cursor(getattr(last, self.keyset_field), last.pk)
        return self.get_query_string({AFTER_VAR: cursor}, [PAGE_VAR])

    def newest_url(self) -> str:
        return self.get_query_string(remove=[AFTER_VAR, PAGE_VAR])


class KeysetListMixin:
    """For a ModelAdmin over a large table ordered newest first by ``keyset_field``."""

    keyset_field = "created_at"
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedPaginator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return KeysetChangeList
