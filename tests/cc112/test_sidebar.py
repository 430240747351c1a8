"""The sidebar each person sees: the links their role may open, the page they are on marked,
their own counts, exactly as unfold would draw them (cc112.admin_site keeps the links per
language instead of rebuilding unfold's navigation on every page)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from unfold.sites import UnfoldAdminSite

from cc112.admin_site import Cc112AdminSite

PAGES = [
    reverse("admin:index"),
    reverse("admin:incidents_incident_changelist"),
    reverse("admin:incidents_inbox"),
    reverse("admin:incidents_board"),
    reverse("admin:sla_clock_changelist") + "?state=running",
]


def _seen(site, request) -> list:  # type: ignore[no-untyped-def]
    return [
        (
            str(group.get("title")),
            [
                (
                    str(item["title"]),
                    str(item["link"]),
                    item["active"],
                    item["has_permission"],
                    str(item.get("badge_callback", "")),
                )
                for item in group["items"]
            ],
        )
        for group in site.get_sidebar_list(request)
    ]


@pytest.mark.parametrize(
    "persona",
    ["operator", "supervisor", "coordinator", "police_staff", "police_head", "health_staff"],
)
@pytest.mark.parametrize("language", ["id", "en"])
def test_each_person_sees_the_sidebar_unfold_would_draw(world, persona, language):  # type: ignore[no-untyped-def]
    site = Cc112AdminSite(name="admin")
    for page in PAGES:
        request = RequestFactory().get(page)
        request.user = getattr(world, persona)
        with translation.override(language):
            ours = _seen(site, request)
            request = RequestFactory().get(page)
            request.user = getattr(world, persona)
            unfolds = _seen(UnfoldAdminSite(name="admin"), request)

        assert ours == unfolds
        assert any(active for _group, items in ours for _t, _l, active, _p, _b in items) or (
            page == reverse("admin:index")
        )


def test_nobody_signed_in_is_allowed_no_link(db):  # type: ignore[no-untyped-def]
    request = RequestFactory().get(reverse("admin:index"))
    request.user = AnonymousUser()

    seen = _seen(Cc112AdminSite(name="admin"), request)

    assert seen == _seen(UnfoldAdminSite(name="admin"), request)
