"""Scoping for calls and cases: the one place that decides who sees which rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from agencies.access import agency_of, is_centre_staff
from cc112.history import AuditedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def _sees_everything(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or is_centre_staff(user)))


class IncidentQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> IncidentQuerySet:
        """Cases the user may see: all for the centre, dispatched ones for an agency."""
        if _sees_everything(user):
            return self.all()
        agency = agency_of(user)
        if agency is None:
            return self.none()
        from incidents.models import Dispatch, DispatchStatus

        dispatched_here = Dispatch.objects.filter(incident=OuterRef("pk"), agency=agency).exclude(
            status=DispatchStatus.CANCELLED
        )
        return self.filter(Exists(dispatched_here))

    def open(self) -> IncidentQuerySet:
        from incidents.models import IncidentStatus

        return self.exclude(status__in=[IncidentStatus.CLOSED, IncidentStatus.CANCELLED])


class DispatchQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> DispatchQuerySet:
        """Dispatches on the cases the user may see (partners coordinate on a shared case)."""
        if _sees_everything(user):
            return self.all()
        from incidents.models import Incident

        return self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))

    def open(self) -> DispatchQuerySet:
        from incidents.models import OPEN_DISPATCH_STATUSES

        return self.filter(status__in=OPEN_DISPATCH_STATUSES)


class NoteQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> NoteQuerySet:
        if _sees_everything(user):
            return self.all()
        from incidents.models import Incident

        return self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))


class CallQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> CallQuerySet:
        """Call records hold callers' numbers and stay inside the centre."""
        if _sees_everything(user):
            return self.all()
        return self.none()


class CategoryQuerySet(AuditedQuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)
