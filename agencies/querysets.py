from __future__ import annotations

from cc112.history import AuditedQuerySet


class AgencyQuerySet(AuditedQuerySet):
    def active(self) -> AgencyQuerySet:
        return self.filter(is_active=True)

    def partners(self) -> AgencyQuerySet:
        """Agencies a case can be dispatched to: every active one but the centre."""
        return self.filter(is_active=True, is_centre=False)


class MembershipQuerySet(AuditedQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True, agency__is_active=True)
