"""Every write to agencies and memberships."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import forget_membership, may_manage_partner_systems
from agencies.models import (
    AGENCY_ROLES,
    CENTRE_ROLES,
    OVERSIGHT_ROLES,
    Agency,
    ApiKey,
    Membership,
    Role,
)
from agencies.roles import role_group
from cc112.auth import user_sessions_end
from cc112.errors import ActionForbidden
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
    {
        "name",
        "short_name",
        "kind",
        "working_hours",
        "phone",
        "email",
        "is_active",
        "may_report_cases",
    }
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
    allowed = CENTRE_ROLES | OVERSIGHT_ROLES if agency.is_centre else AGENCY_ROLES
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
    # Sessions opened under this membership end with it (a new membership means a new login).
    transaction.on_commit(lambda: user_sessions_end(user.pk))
    return membership


# A key's last use is written at most this often: one UPDATE per request would make every read
# a write.
API_KEY_LAST_USE_PRECISION = timedelta(minutes=1)


def _require_key_rights(actor: AbstractBaseUser | None) -> None:
    if actor is not None and not may_manage_partner_systems(actor):
        raise ActionForbidden(_("Only an administrator or the 112 coordinator manages API keys."))


@transaction.atomic
def api_key_create(
    *,
    agency: Agency,
    name: str,
    actor: AbstractBaseUser | None,
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key for a partner system; the secret is returned here once and never stored.

    The key gets its own account, a member of the agency (the centre's keys as operators,
    partners' as staff), so every rule that scopes a person scopes the key the same way and the
    history names the key as the actor.
    """
    _require_key_rights(actor)
    if not agency.is_active:
        raise ValidationError({"agency": _("This agency is switched off.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expiry_date": _("The expiry must be in the future.")})
    api_key = ApiKey(agency=agency, name=name.strip(), expiry_date=expires_at, created_by=actor)
    if requests_per_minute is not None:
        api_key.requests_per_minute = requests_per_minute
    secret = ApiKey.objects.assign_key(api_key)
    account = get_user_model()(
        username=f"apikey-{api_key.prefix}",
        first_name=api_key.name[:150],
        last_name="(API)",
    )
    account.set_unusable_password()
    api_key.account = account
    api_key.full_clean(exclude=["account", "id"])
    account.save()
    role = Role.OPERATOR if agency.is_centre else Role.STAFF
    membership_create(user=account, agency=agency, role=role, actor=actor)
    api_key.account = account
    attribute(api_key, actor=actor, reason="API key issued")
    api_key.save()
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: AbstractBaseUser | None, reason: str = "") -> ApiKey:
    """Stop a key at once: it fails authentication, and its account loses the agency's cases."""
    _require_key_rights(actor)
    api_key = ApiKey.objects.select_for_update().select_related("account").get(pk=api_key.pk)
    if api_key.revoked:
        return api_key
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor
    attribute(api_key, actor=actor, reason=("API key revoked: " + reason.strip()).strip(": "))
    api_key.save()
    for membership in Membership.objects.filter(user=api_key.account, is_active=True):
        membership_end(membership=membership, actor=actor)
    account = api_key.account
    account.is_active = False
    account.save(update_fields=["is_active"])
    return api_key


def api_key_mark_used(api_key: ApiKey, *, now: datetime | None = None) -> None:
    """Record a key's last use, to the minute (a bookkeeping write, not an audited change)."""
    now = now or timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < API_KEY_LAST_USE_PRECISION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
