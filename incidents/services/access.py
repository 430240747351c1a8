"""Who may see a case: guardian object permissions, written here and nowhere else.

An agency sees a case it reported itself, a case it has a dispatch on that was not cancelled
(declined and resolved ones included: it worked on the case), or a case shared with it. A person
sees a case shared with them. Every change of those facts calls :func:`access_sync_agency` or
:func:`access_sync_user`, which derive the permission from the facts, so running one twice or
late never leaves access that the facts do not justify.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from agencies.access import is_agency_staff, may_share_cases
from agencies.models import Agency
from cc112.errors import ActionForbidden, DomainError
from cc112.history import attribute, system_user
from incidents.models import DispatchStatus, Incident, IncidentGroupObjectPermission, Share
from incidents.pulse import pulse_bump
from incidents.querysets import forget_personal_grants
from incidents.services._common import lock_incident

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

VIEW_INCIDENT = "incidents.view_incident"


def access_sync_agency(*, incident: Incident, agency: Agency) -> bool:
    """Grant or withdraw an agency's view of a case from its dispatches and shares."""
    entitled = (
        incident.reported_by_agency_id == agency.pk
        or incident.dispatches.filter(agency=agency)
        .exclude(status=DispatchStatus.CANCELLED)
        .exists()
        or Share.objects.active().filter(incident=incident, agency=agency).exists()
    )
    if entitled:
        assign_perm(VIEW_INCIDENT, agency.group, incident)
    else:
        remove_perm(VIEW_INCIDENT, agency.group, incident)
    # The agency's pages kept per marker version (its case list, its inbox) show the change.
    pulse_bump(agencies=[agency.pk])
    return entitled


def access_grant_dispatched(*, incident: Incident, agencies: list[Agency]) -> None:
    """Let agencies see a case they were just dispatched to, in one statement.

    What ``access_sync_agency`` decides for each of them (a dispatch not cancelled entitles
    its agency), without asking: the dispatch service has just written those dispatches. The
    permission is found inside the INSERT (as ``visible_to`` finds it), and a grant the agency
    already holds (its own report, a share) stays as it is.
    """
    if not agencies:
        return
    quote = connection.ops.quote_name
    grants = quote(IncidentGroupObjectPermission._meta.db_table)
    permissions = quote(Permission._meta.db_table)
    types = quote(ContentType._meta.db_table)
    groups = quote(Group._meta.db_table)
    group_ids = sorted({agency.group_id for agency in agencies})
    # WHERE, not JOIN ... ON: SQLite would read that ON as the upsert's.
    sql = (
        f"INSERT INTO {grants} (permission_id, group_id, content_object_id)"
        f" SELECT p.id, g.id, %s FROM {permissions} p, {types} t, {groups} g"
        " WHERE t.id = p.content_type_id AND t.app_label = %s AND p.codename = %s"
        f" AND g.id IN ({', '.join(['%s'] * len(group_ids))})"
        " ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [incident.pk, "incidents", "view_incident", *group_ids])


def access_sync_user(*, incident: Incident, user: AbstractBaseUser) -> bool:
    entitled = Share.objects.active().filter(incident=incident, user=user).exists()
    if entitled:
        assign_perm(VIEW_INCIDENT, user, incident)
    else:
        remove_perm(VIEW_INCIDENT, user, incident)
    forget_personal_grants(user)
    return entitled


def _require_share_rights(actor: AbstractBaseUser) -> None:
    if not may_share_cases(actor):
        raise ActionForbidden(_("Only a 112 supervisor or coordinator may share a case."))


@transaction.atomic
def incident_share(
    *,
    incident: Incident,
    actor: AbstractBaseUser,
    reason: str,
    agency: Agency | None = None,
    user: AbstractBaseUser | None = None,
    expires_at: datetime | None = None,
) -> Share:
    """Let another agency, or one person, see a case, for a reason and possibly until a time."""
    _require_share_rights(actor)
    if (agency is None) == (user is None):
        raise ValidationError(_("Share the case with either one agency or one person."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case is shared.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if agency is not None and (agency.is_centre or not agency.is_active):
        raise ValidationError({"agency": _("The case cannot be shared with this agency.")})
    if user is not None and not (user.is_active and is_agency_staff(user)):
        raise ValidationError({"user": _("Share only with an active member of a partner agency.")})
    incident = lock_incident(incident.pk)
    share = Share(
        incident=incident,
        agency=agency,
        user=user,
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=actor,
    )
    attribute(share, actor=actor, reason="shared: " + reason.strip())
    share.save()
    if agency is not None:
        access_sync_agency(incident=incident, agency=agency)
    else:
        access_sync_user(incident=incident, user=user)
    return share


@transaction.atomic
def share_revoke(*, share: Share, actor: AbstractBaseUser, reason: str = "") -> Share:
    """End a share; the agency keeps the case only if it is still dispatched there."""
    _require_share_rights(actor)
    lock_incident(share.incident_id)
    share = Share.objects.select_for_update(of=("self",)).get(pk=share.pk)
    if share.revoked_at is not None:
        raise DomainError(_("This share was already revoked."))
    return _revoke(share, actor=actor, reason=reason)


def _revoke(share: Share, *, actor: AbstractBaseUser, reason: str) -> Share:
    share.revoked_at = timezone.now()
    share.revoked_by = actor
    share.revoke_reason = reason.strip()
    attribute(share, actor=actor, reason="revoked: " + (reason.strip() or "-"))
    share.save()
    if share.agency_id is not None:
        access_sync_agency(incident=share.incident, agency=share.agency)
    else:
        access_sync_user(incident=share.incident, user=share.user)
    return share


def shares_expire_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Revoke shares whose expiry has passed; safe to run twice or in two workers at once.

    Each share is revoked in its own transaction that locks its case first (the order every
    access writer uses, so a dispatch cancelled or a share made at the same moment is seen),
    then re-reads the share: a second sweeper finds it revoked and moves on.
    """
    now = now or timezone.now()
    due = list(
        Share.objects.filter(revoked_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", "incident_id")[:batch]
    )
    if not due:
        return 0
    actor = system_user()
    expired = 0
    for share_id, incident_id in due:
        with transaction.atomic():
            lock_incident(incident_id)
            share = (
                Share.objects.select_for_update(of=("self",))
                .select_related("incident", "agency__group", "user")
                .filter(pk=share_id, revoked_at__isnull=True)
                .first()
            )
            if share is not None:
                _revoke(share, actor=actor, reason="expired")
                expired += 1
    if len(due) == batch:
        expired += shares_expire_due(now=now, batch=batch)
    return expired
