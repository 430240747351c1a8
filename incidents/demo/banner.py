"""What a person needs to open the demo: the portal's address and the logins, as printed lines."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.models import Agency, Role
from incidents.demo.roster import DEMO_PASSWORD, demo_logins


def login_lines() -> list[str]:
    """The demo logins as a table: username, role, agency, password."""
    logins = demo_logins()
    agencies = Agency.objects.in_bulk({login.agency_code for login in logins}, field_name="code")
    rows = [(_("Username"), _("Role"), _("Agency"), _("Password"))] + [
        (
            login.username,
            str(Role(login.role).label),
            agencies[login.agency_code].short_name,
            DEMO_PASSWORD,
        )
        for login in logins
        if login.agency_code in agencies
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [_("Demo logins:")] + [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def portal_line(base_url: str) -> str:
    return _("Portal: %(url)s") % {"url": base_url.rstrip("/") + reverse("admin:index")}
