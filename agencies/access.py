"""Who a user is in the 112 network: their agency and role, looked up once per request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from agencies.models import AGENCY_ROLES, CENTRE_ROLES, Agency, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_CACHE_ATTR = "_cc112_membership"


def membership_of(user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """The user's active membership, or None (anonymous, inactive, or in no agency)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, _CACHE_ATTR):
        from incidents.models import IncidentUserObjectPermission
        from incidents.querysets import remember_personal_grants

        # Whether anything is shared with the user in person (``visible_to`` asks next) comes
        # in the same query: one query fewer on every page an agency user opens.
        membership = (
            Membership.objects.active()
            .filter(user=user)
            .select_related("agency")
            .annotate(
                personal_grants=Exists(
                    IncidentUserObjectPermission.objects.filter(user_id=OuterRef("user_id"))
                )
            )
            .first()
        )
        setattr(user, _CACHE_ATTR, membership)
        if membership is not None:
            remember_personal_grants(user, membership.personal_grants)
    return getattr(user, _CACHE_ATTR)


def remember_membership(user: AbstractBaseUser, membership: Membership | None) -> None:
    """Seed the per-request lookup (an API key's account, already known from its key)."""
    setattr(user, _CACHE_ATTR, membership)


def agency_of(user: AbstractBaseUser | AnonymousUser) -> Agency | None:
    membership = membership_of(user)
    return membership.agency if membership else None


def is_centre_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Operators, supervisors and coordinators of the 112 centre."""
    membership = membership_of(user)
    return bool(membership and membership.agency.is_centre and membership.role in CENTRE_ROLES)


def is_agency_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    membership = membership_of(user)
    return bool(membership and not membership.agency.is_centre and membership.role in AGENCY_ROLES)


def acts_for_centre(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Sees and works every case: the centre's staff, and superusers (who run the install)."""
    return bool(user.is_active and (user.is_superuser or is_centre_staff(user)))


def supervises_centre(user: AbstractBaseUser | AnonymousUser) -> bool:
    """The centre's shift supervisors and coordinator, and administrators."""
    return bool(
        user.is_active
        and (user.is_superuser or has_centre_role(user, Role.SUPERVISOR, Role.COORDINATOR))
    )


def may_share_cases(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Shares a case with another agency or a person."""
    return supervises_centre(user)


def may_evaluate(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reads the centre's period report, every operator's scorecard and every agency's report."""
    return supervises_centre(user)


def may_manage_partner_systems(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Every partner's API keys, webhook subscriptions and deliveries: administrators and the
    112 coordinator."""
    return bool(user.is_active and (user.is_superuser or has_centre_role(user, Role.COORDINATOR)))


def may_protect_data(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reads who saw callers' identities and answers data-subject requests: the centre's data
    protection officer, and administrators."""
    return bool(
        user.is_active and (user.is_superuser or has_centre_role(user, Role.DATA_PROTECTION))
    )


def may_report_cases(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Opens cases: the centre, and the staff (or systems) of an agency allowed to report."""
    if acts_for_centre(user):
        return True
    membership = membership_of(user)
    return bool(is_agency_staff(user) and membership and membership.agency.may_report_cases)


def works_for_agency(user: AbstractBaseUser | AnonymousUser, agency_id: int) -> bool:
    """Acts on an agency's dispatches: its own members, and the centre recording what an agency
    radios in."""
    if acts_for_centre(user):
        return True
    agency = agency_of(user)
    return agency is not None and agency.pk == agency_id


def answers_for_agency(user: AbstractBaseUser | AnonymousUser, agency_id: int) -> bool:
    """Answers for the agency's service levels: its duty officer or its head."""
    membership = membership_of(user)
    return bool(
        membership
        and membership.agency_id == agency_id
        and membership.role in (Role.DUTY_OFFICER, Role.HEAD)
    )


def has_centre_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    membership = membership_of(user)
    return bool(membership and membership.agency.is_centre and membership.role in roles)


def centre_operators() -> QuerySet:
    """The accounts of the 112 centre's active operators (those evaluated)."""
    operators = Membership.objects.active().filter(
        user=OuterRef("pk"), role=Role.OPERATOR, agency__is_centre=True
    )
    return (
        get_user_model()
        .objects.filter(Exists(operators))
        .order_by("first_name", "last_name", "username")
    )


def forget_membership(user: AbstractBaseUser) -> None:
    """Drop the cached membership after it changed (services call this)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
