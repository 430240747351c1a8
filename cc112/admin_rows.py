"""Changelist rows written as strings: the same table unfold draws, at a fraction of its cost.

unfold renders a changelist cell by cell: every row recomputes all the column headers, every
badge is two template includes, and each row's wrapper is a template loop. On the police's case
list (50 rows, 8 columns) that was three quarters of the request (bench/portal.py). Here:

1. The headers, and each column's classes and ``data-label``, are worked out once a page.
2. A badge column (``@display(label=...)``) is one cached string per colour and text
   (``label_html``), the same markup as ``unfold/helpers/label.html``.
3. Each row is joined as one string; the template writes the rows without a loop per cell.

Pages with list actions, row actions, editable columns, sortable rows or sections keep unfold's
own rendering (``FastRowsMixin.fast_rows`` is then False).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.contrib.admin.templatetags.admin_list import _coerce_field_name, result_hidden_fields
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import lookup_field, quote
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from unfold.templatetags.unfold_list import (
    LINK_CLASSES,
    ROW_CLASSES,
    display_for_field,
    display_for_value,
    result_headers,
)

_LABEL_COLOURS = {
    "info": "bg-blue-100 text-blue-700 dark:bg-blue-500/20 dark:text-blue-400",
    "danger": "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400",
    "warning": "bg-orange-100 text-orange-700 dark:bg-orange-500/20 dark:text-orange-400",
    "success": "bg-green-100 text-green-700 dark:bg-green-500/20 dark:text-green-400",
    "primary": "bg-primary-100 text-primary-700 dark:bg-primary-500/20 dark:text-primary-400",
}
_LABEL_NEUTRAL = "bg-base-500/8 text-base-700 dark:bg-base-500/20 dark:text-base-200"
_ROW_CLASS = " ".join(ROW_CLASSES)
_TBODY = (
    '<tbody class="block relative lg:table-row-group{}" x-data="{{rowOpen: false}}">'
    '<tr class="data-row block border border-base-200 mb-3 relative rounded-default lg:table-row'
    ' lg:border-none lg:mb-0 lg:rounded-none dark:border-base-800">{}</tr></tbody>'
)
_STRIPE = " bg-base-50 dark:bg-white/[.02]"
_LINK_CLASS = " ".join(LINK_CLASSES)
# Stands for a row's key in the change page's address (digits only: reverse accepts it, and
# nothing else in an admin address is made of it).
_PK_MARK = "9081726354"
# A kept page outlives no change its key follows; this bounds what no key follows.
KEEP_PAGE_SECONDS = 30


@lru_cache(maxsize=2048)
def _label(kind: str | None, text: str) -> str:
    colours = _LABEL_COLOURS.get(kind or "", _LABEL_NEUTRAL)
    return (
        '<span class="inline-block font-semibold rounded-default text-[11px] uppercase'
        f' whitespace-nowrap h-6 leading-6 px-2 {colours}">{escape(text)}</span>'
    )


def label_html(kind: str | None, text: Any) -> SafeString:
    """A coloured badge (unfold's label) for ``text``: ``kind`` is danger, warning, info,
    success, primary or empty (grey). Kept per colour and text: a list repeats a handful."""
    return mark_safe(_label(kind, str(text)))


def display_label(value: Any, empty: str, label: Any) -> SafeString:
    """What unfold's ``display_for_label`` shows, without its two templates a cell."""
    kind = None
    if isinstance(label, dict):
        if isinstance(value, tuple):
            kind = label.get(value[0])
            value = value[1] if value[0] in label else value[0]
        elif value in label:
            kind = label[value]
    if isinstance(value, list | tuple):
        if not value:
            return mark_safe("-")
        return mark_safe(" ".join(label_html(kind, item) for item in value))
    if value is None or value == "":
        return mark_safe("-")
    return label_html(kind, value)


class _Column:
    """One column's fixed parts: its name, its cell's opening tag, whether it links."""

    __slots__ = ("closing", "date_class", "links", "name", "opening")

    def __init__(self, name: str, index: int, header: str, links: bool, first: bool) -> None:
        self.name = name
        self.links = links
        tag = "th" if links and first else "td"
        self.closing = f"</{tag}>"
        classes = f"field-{_coerce_field_name(name, index)} {_ROW_CLASS}"
        # unfold adds "nowrap" to date and foreign-key cells; decided per row below.
        self.opening = (f'<{tag} class="{classes}', f'" data-label="{escape(header)}">')
        self.date_class = False


def _columns(cl: Any, headers: list[dict[str, Any]]) -> list[_Column]:
    links = cl.list_display_links
    columns = []
    first_link = True
    for index, name in enumerate(cl.list_display):
        linked = links is not None and (name in links or (not links and index == 0))
        columns.append(_Column(name, index, str(headers[index]["text"]), linked, first_link))
        if linked:
            first_link = False
    return columns


def choice_badge(obj: models.Model, field_name: str, colours: dict) -> SafeString:
    """A choice field's value as a coloured badge, kept per value, colour and language (the
    choices' labels are translated on every read otherwise)."""
    value = getattr(obj, field_name)
    return mark_safe(
        _choice_badge(type(obj), field_name, value, colours.get(value), get_language())
    )


@lru_cache(maxsize=512)
def _choice_badge(
    model: type[models.Model], field_name: str, value: Any, kind: str | None, language: str
) -> str:
    text = dict(model._meta.get_field(field_name).flatchoices).get(value, value)
    return _label(kind, str(text))


def _cell(column: _Column, result: models.Model, cl: Any, empty: str, row_url: Any) -> str:
    nowrap = False
    try:
        field, attr, value = lookup_field(column.name, result, cl.model_admin)
    except ObjectDoesNotExist:
        shown: Any = empty
    else:
        if field is None or field.auto_created:
            label = getattr(attr, "label", False)
            if label:
                shown = display_label(value, empty, label)
            elif isinstance(value, str) and value:
                shown = value  # escaped below, unless already safe
            else:
                shown = display_for_value(value, getattr(attr, "empty_value_display", empty))
        elif isinstance(field.remote_field, models.ManyToOneRel):
            shown = getattr(result, field.name) or empty
        else:
            shown = display_for_field(value, field, empty)
            nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
    text = conditional_escape(shown)
    if column.links and row_url is not None:
        url = row_url.replace(_PK_MARK, escape(quote(result.pk)))
        text = f'<a href="{url}" class="{_LINK_CLASS}">{text}</a>'
    start, end = column.opening
    return f"{start}{' nowrap' if nowrap else ''}{end}{text}{column.closing}"


def _row_url(cl: Any) -> str | None:
    """The change page's address with the filters kept, with ``_PK_MARK`` for the row's key:
    one ``reverse`` a page, not one a row."""
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_PK_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    return escape(url)


def fast_rows(cl: Any, headers: list[dict[str, Any]]) -> Iterable[str]:
    columns = _columns(cl, headers)
    empty = cl.model_admin.get_empty_value_display()
    row_url = _row_url(cl)
    for number, result in enumerate(cl.result_list):
        cells = "".join(_cell(column, result, cl, empty, row_url) for column in columns)
        yield _TBODY.format(_STRIPE if number % 2 else "", cells)


def fast_table(request: HttpRequest, cl: Any, rows: str | None = None) -> dict[str, Any]:
    """What ``admin/cc112/fast_change_list_results.html`` draws, as unfold's ``result_list``
    gives its template, with the rows already written (or given: kept from an earlier page)."""
    headers = list(result_headers(cl))
    return {
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h.get("sorted")),
        "rows": mark_safe(rows if rows is not None else "".join(fast_rows(cl, headers))),
    }


def writes_rows_fast(model_admin: Any, request: HttpRequest, cl: Any) -> bool:
    """Whether the list has nothing but plain columns (no actions a row, no editable cells,
    no sortable rows or sections), which is all ``fast_rows`` writes."""
    return not (
        getattr(cl, "formset", None)
        or cl.is_popup
        or cl.to_field
        or getattr(model_admin, "ordering_field", None)
        or getattr(model_admin, "list_sections", None)
        or model_admin.get_actions_row(request)
        or "action_checkbox" in cl.list_display
    )


class FastRowsMixin:
    """For a ModelAdmin whose list is read all day: rows written by ``fast_rows``."""

    change_list_template = "admin/cc112/fast_change_list.html"
    # True when every filter's choices are reference data, the same for everyone who has that
    # filter (no choice read through the user's scope): the panel is then kept a minute per
    # filter set, address and language (``filter_panel_key``) instead of drawn every time.
    filter_panel_shared = False

    def shared_rows_key(self, request: HttpRequest) -> str | None:
        """For a list whose rows may be drawn once for many: a key naming everything the rows
        depend on (who sees which rows, the marker that moves with every change to them, the
        address, the language), or None to draw them for this request alone."""
        return None

    def kept_page_key(self, request: HttpRequest, cl: Any) -> str | None:
        """Where the page's drawn rows are kept (``KeysetChangeList``), when they are drawn
        here (``writes_rows_fast``: also before the list's formset exists) and shared."""
        if cl.list_editable or not writes_rows_fast(self, request, cl):
            return None
        return self.shared_rows_key(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        context = getattr(response, "context_data", None)
        cl = context.get("cl") if context else None
        if cl is not None and writes_rows_fast(self, request, cl):
            kept = getattr(cl, "kept", None)
            context["fast_table"] = fast_table(request, cl, kept["rows"] if kept else None)
            if kept is None and getattr(cl, "kept_key", None):
                page = {"rows": context["fast_table"]["rows"], "count": cl.result_count}
                cache.set(cl.kept_key, {**page, "older_url": cl.older_url}, KEEP_PAGE_SECONDS)
        if cl is not None and self.filter_panel_shared:
            context["filter_panel_key"] = filter_panel_key(request, cl)
        return response


def filter_panel_key(request: HttpRequest, cl: Any) -> str:
    """What a shared filter panel is drawn from: the list's filters, the address (the chosen
    values and every other parameter its links keep) and the language."""
    filters = ",".join(
        f"{type(spec).__module__}.{type(spec).__qualname__}" for spec in cl.filter_specs
    )
    source = f"{cl.opts.label}|{filters}|{get_language()}|{request.get_full_path()}"
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()
