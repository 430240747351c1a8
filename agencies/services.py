"""Every write to agencies and memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import forget_membership
from agencies.models import AGENCY_ROLES, CENTRE_ROLES, Agency, Membership, Role
from agencies.roles import role_group
from cc112.history import apply_changes, attribute

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def agency_group_name(code: str) -> str:
    return f"agency:{code}"


@transaction.atomic
def agency_create(
    *,
    code: str,
    name: str,
    short_name: str,
    kind: str,
    actor: AbstractBaseUser | None,
    is_centre: bool = False,
    working_hours: str = "24_7",
    phone: str = "",
    email: str = "",
) -> Agency:
    """Create an agency together with the auth group its users' access is granted through."""
    group, _created = Group.objects.get_or_create(name=agency_group_name(code))
    agency = Agency(
        code=code,
        name=name,
        short_name=short_name,
        kind=kind,
        is_centre=is_centre,
        working_hours=working_hours,
        phone=phone,
        email=email,
        group=group,
    )
    agency.full_clean()
    attribute(agency, actor=actor, reason="agency created")
    agency.save()
    return agency


# What an agency's record may change after creation; its code names its group and references.
AGENCY_UPDATABLE_FIELDS = frozenset(
    {"name", "short_name", "kind", "working_hours", "phone", "email", "is_active"}
)


@transaction.atomic
def agency_update(
    *, agency: Agency, actor: AbstractBaseUser | None, changes: dict[str, object]
) -> Agency:
    """Change an agency's details. A new working-hours calendar applies to clocks started from
    then on; running clocks keep the calendar they started with."""
    unknown = set(changes) - AGENCY_UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    changed = apply_changes(agency, changes)
    if not changed:
        return agency
    if agency.is_centre and not agency.is_active:
        raise ValidationError({"is_active": _("The 112 centre cannot be switched off.")})
    agency.full_clean()
    attribute(agency, actor=actor, reason="agency changed: " + ", ".join(sorted(changed)))
    agency.save()
    return agency


def _check_role_fits(agency: Agency, role: str) -> None:
    allowed = CENTRE_ROLES if agency.is_centre else AGENCY_ROLES
    if role not in allowed:
        raise ValidationError(
            {
                "role": _("The role “%(role)s” does not exist at %(agency)s.")
                % {"role": Role(role).label, "agency": agency.short_name}
            }
        )


@transaction.atomic
def membership_create(
    *, user: AbstractBaseUser, agency: Agency, role: str, actor: AbstractBaseUser | None
) -> Membership:
    """Place a user in an agency with a role; it replaces any membership they had before.

    The user joins the agency's group (the holder of its case access) and the role's group
    (what the role may do), and may log in to the portal.
    """
    _check_role_fits(agency, role)
    for previous in Membership.objects.select_for_update().filter(user=user, is_active=True):
        membership_end(membership=previous, actor=actor)
    membership = Membership(user=user, agency=agency, role=role)
    membership.full_clean(validate_constraints=False)
    attribute(membership, actor=actor, reason="membership created")
    membership.save()
    user.groups.add(agency.group, role_group(role))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_membership(user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, actor: AbstractBaseUser | None) -> Membership:
    """End a membership: the user loses the agency's group and with it the agency's cases."""
    if not membership.is_active:
        return membership
    membership.is_active = False
    attribute(membership, actor=actor, reason="membership ended")
    membership.save(update_fields=["is_active"])
    user = membership.user
    user.groups.remove(membership.agency.group, role_group(membership.role))
    if user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_membership(user)
    return membership
