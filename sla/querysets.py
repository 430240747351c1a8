"""Who sees which clocks and notifications: derived from the case rule, never a copy of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from agencies.access import acts_for_centre, agency_of, has_centre_role
from agencies.models import Role
from cc112.history import AuditedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


class ClockQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ClockQuerySet:
        """The centre sees every clock; an agency sees the agencies' clocks of the cases it
        sees (the operator's dispatch clock and the case's handling and closing times are the
        centre's own evaluation)."""
        if acts_for_centre(user):
            return self.all()
        from incidents.models import Incident

        return self.filter(
            incident__in=Incident.objects.visible_to(user).values("pk"), agency__isnull=False
        )

    def running(self) -> ClockQuerySet:
        return self.filter(state="running")


class BreachReasonQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> BreachReasonQuerySet:
        """The centre reads every reason; an agency only those on its own clocks (of the cases
        it sees): another agency's explanation of its lateness is that agency's."""
        from sla.models import Clock

        if acts_for_centre(user):
            return self.all()
        agency = agency_of(user)
        if agency is None:
            return self.none()
        return self.filter(
            clock__in=Clock.objects.visible_to(user).filter(agency=agency).values("pk")
        )


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> NotificationQuerySet:
        """Each person reads only what was sent to them, and only while they may still see the
        case (a dispatch cancelled after the alert takes the alert away with the case)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        mine = self.filter(recipient_id=user.pk)
        if acts_for_centre(user):
            return mine
        from incidents.models import Incident

        return mine.filter(incident__in=Incident.objects.visible_to(user).values("pk"))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class EvaluationQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> EvaluationQuerySet:
        """Supervisors, coordinators and administrators see every evaluation; an operator sees
        their own once it is submitted (a draft is the supervisor's until then); nobody else any."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or has_centre_role(user, Role.SUPERVISOR, Role.COORDINATOR):
            return self.all()
        if has_centre_role(user, Role.OPERATOR):
            return self.filter(operator_id=user.pk).exclude(status="draft")
        return self.none()
