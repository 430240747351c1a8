"""The sidebar's badges: every count a user's sidebar shows, in one statement, and only when
something changed.

unfold calls each badge's function on every portal page; as separate ``COUNT`` queries they
were three of the case list's fourteen. The first badge asked for runs one ``SELECT`` of
scalar subqueries, one per count, each through its scoped queryset; the others read its answer
from the request.

That statement, compiled and planned, was a fifth of the police's case list (bench/portal.py),
for numbers that move only with a change. The counts are kept in the cache under the user and
the version of the centre's change marker (``incidents.pulse``: every change moves it, inside
its transaction: dispatches, acknowledgements, escalations, new notifications, explained
breaches): a page reads the marker (one primary-key read, shared with the page's own rows)
and counts again only when it moved. What no marker sees is forgotten explicitly
(``sidebar_forget``: notifications read) or within ``KEEP_SECONDS`` (a breach becomes
"unexplained" with time alone).
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from django import template
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

_ATTR = "_cc112_sidebar_counts"
KEEP_SECONDS = 60


def count_each(querysets: dict[str, tuple[QuerySet, int | None]]) -> dict[str, int]:
    """Each queryset's row count (up to its limit, if any), in one statement."""
    counts: dict[str, int] = {}
    parts: list[str] = []
    params: list = []
    names: list[str] = []
    for name, (queryset, limit) in querysets.items():
        rows = queryset.order_by().values("pk")
        if limit is not None:
            rows = rows[:limit]
        if rows.query.is_empty():
            counts[name] = 0
            continue
        try:
            sql, sql_params = rows.query.sql_with_params()
        except EmptyResultSet:
            counts[name] = 0
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) cc112_count_{len(parts)})")
        params.extend(sql_params)
        names.append(name)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(names, cursor.fetchone(), strict=True))
    return counts


def sidebar_counts(request: HttpRequest) -> dict[str, int]:
    """``pending`` dispatches (the user's agency's, or all for the centre), ``unread``
    notifications and, for those who answer for them, unexplained ``breaches``."""
    counts = getattr(request, _ATTR, None)
    if counts is None:
        counts = _kept_counts(request)
        setattr(request, _ATTR, counts)
    return counts


def _cache_key(user_id: int) -> str:
    return f"cc112:sidebar:{user_id}"


def _kept_counts(request: HttpRequest) -> dict[str, int]:
    from incidents.pulse import CENTRE, pulse_version_for

    user = request.user
    if not user.is_authenticated:
        return count_each(_badge_querysets(request))
    # Read before counting: counts kept under a version are at least as new as it.
    version = pulse_version_for(request, CENTRE)
    key = _cache_key(user.pk)
    kept = cache.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    counts = count_each(_badge_querysets(request))
    cache.set(key, (version, counts), KEEP_SECONDS)
    return counts


def sidebar_forget(user_id: int) -> None:
    """Count this user's badges afresh on their next page (a change no marker follows)."""
    cache.delete(_cache_key(user_id))


def _badge_querysets(request: HttpRequest) -> dict[str, tuple[QuerySet, int | None]]:
    from agencies.access import acts_for_centre, agency_of
    from incidents.models import Dispatch, DispatchStatus
    from sla.models import Notification
    from sla.report_pages import BREACHES_SHOWN, may_open_breaches
    from sla.services.breaches import unexplained_breaches

    user = request.user
    pending = Dispatch.objects.visible_to(user).filter(status=DispatchStatus.PENDING)
    if not acts_for_centre(user):
        pending = pending.filter(agency=agency_of(user))
    querysets: dict[str, tuple[QuerySet, int | None]] = {
        "pending": (pending, None),
        "unread": (Notification.objects.visible_to(user).unread(), None),
    }
    if may_open_breaches(request):
        querysets["breaches"] = (unexplained_breaches(user), BREACHES_SHOWN)
    return querysets


# --- The sidebar's links ------------------------------------------------------------------------

register = template.Library()

APP_LIST_TEMPLATE = "unfold/helpers/app_list.html"
_KEPT_LISTS = 256
_app_lists: dict[bytes, SafeString] = {}
_app_lists_lock = threading.Lock()


class _Unkeyable(Exception):
    pass


def _frozen(value: Any) -> Any:
    """A value's plain, comparable form, for a key: what a template could print of it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Promise):  # lazy text, and unfold's lazy badge counts
        return str(value)
    if isinstance(value, dict):  # in its own order: another order only misses the cache
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, type) or callable(value):  # models; links' permission functions
        return f"{value.__module__}.{value.__qualname__}:{id(value)}"
    raise _Unkeyable(type(value))


@register.simple_tag(takes_context=True)
def sidebar_apps(context: template.Context) -> SafeString:
    """unfold's sidebar app list (``unfold/helpers/app_list.html``), drawn once per the
    inputs it is drawn from: the links with their permission, "active" and badge (each
    person's, read per request), the applications the person may see, the language.

    Drawn anew it was a tenth of the case list's time (bench/portal.py) for a few kinds of
    output: a role's links on a handful of pages.
    """
    engine_template = context.template.engine.get_template(APP_LIST_TEMPLATE)
    with context.push(app_list=context.get("available_apps")):
        try:
            key = hashlib.blake2b(
                repr(
                    (
                        get_language(),
                        _frozen(context.get("sidebar_navigation")),
                        _frozen(context.get("app_list")),
                        bool(context.get("sidebar_show_all_applications")),
                    )
                ).encode(),
                digest_size=16,
            ).digest()
        except _Unkeyable:
            return engine_template.render(context)
        html = _app_lists.get(key)
        if html is None:
            html = engine_template.render(context)
            with _app_lists_lock:
                if len(_app_lists) >= _KEPT_LISTS:
                    _app_lists.clear()
                _app_lists[key] = html
        return html
