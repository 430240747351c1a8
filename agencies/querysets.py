from __future__ import annotations

from django.db import models

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


class WebhookSubscriptionQuerySet(AuditedQuerySet):
    def visible_to(self, user) -> WebhookSubscriptionQuerySet:  # type: ignore[no-untyped-def]
        """Every subscription for administrators and the 112 coordinator; an agency's staff
        and systems see their own agency's; nobody else any."""
        from agencies.access import agency_of, is_agency_staff, may_manage_partner_systems

        if may_manage_partner_systems(user):
            return self.all()
        agency = agency_of(user)
        if agency is None or not is_agency_staff(user):
            return self.none()
        return self.filter(agency=agency)


class WebhookDeliveryQuerySet(models.QuerySet):
    def visible_to(self, user) -> WebhookDeliveryQuerySet:  # type: ignore[no-untyped-def]
        """The deliveries of the subscriptions the user sees."""
        from agencies.models import WebhookSubscription

        return self.filter(
            subscription__in=WebhookSubscription.objects.visible_to(user).values("pk")
        )
