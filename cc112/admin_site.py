"""The portal's admin site: unfold's, with its sidebar search answering a bad page with 404."""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse
from unfold.sites import UnfoldAdminSite


class Cc112AdminSite(UnfoldAdminSite):
    def get_urls(self) -> list:
        from incidents.board import board_urls
        from incidents.console import console_urls
        from sla.report_pages import report_urls

        return console_urls(self) + board_urls(self) + report_urls(self) + super().get_urls()

    def search(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # unfold reads ?page= with int() and Paginator.page() unchecked, a 500 on bad input.
        if not request.GET.get("page", "1").isdigit():
            raise Http404
        try:
            return super().search(request, extra_context)
        except InvalidPage as error:
            raise Http404 from error
