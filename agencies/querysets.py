from __future__ import annotations

from django.db import models


class AgencyQuerySet(models.QuerySet):
    def active(self) -> AgencyQuerySet:
        return self.filter(is_active=True)

    def partners(self) -> AgencyQuerySet:
        """Agencies a case can be dispatched to: every active one but the centre."""
        return self.filter(is_active=True, is_centre=False)


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True, agency__is_active=True)
