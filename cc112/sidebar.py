"""The sidebar's badges: every count a user's sidebar shows, in one statement per page.

unfold calls each badge's function on every portal page; as separate ``COUNT`` queries they
were three of the case list's fourteen. The first badge asked for runs one ``SELECT`` of
scalar subqueries, one per count, each through its scoped queryset; the others read its answer
from the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import connection

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

_ATTR = "_cc112_sidebar_counts"


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
        counts = count_each(_badge_querysets(request))
        setattr(request, _ATTR, counts)
    return counts


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
