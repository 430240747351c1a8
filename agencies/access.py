"""Who a user is in the 112 network: their agency and role, looked up once per request."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection
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
        from incidents.querysets import remember_personal_grants

        membership = _read_membership(user.pk)
        setattr(user, _CACHE_ATTR, membership)
        if membership is not None:
            remember_personal_grants(user, membership.personal_grants)
    return getattr(user, _CACHE_ATTR)


def _read_membership(user_id: int) -> Membership | None:
    """``Membership.objects.active().filter(user=...).select_related("agency")``, first by
    agency name, with whether anything is shared with the user in person (``visible_to``
    asks next: one query fewer on every page an agency user opens).

    Every portal page reads it first; built through the ORM it cost five times what the
    database took to answer, so it is written out once (``_membership_sql``) and its rows
    made into objects with the fields' own converters, as the ORM would.
    """
    sql, parts = _membership_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    objects = []
    start = 0
    for model, columns in parts:
        values = []
        for value, (field, col) in zip(row[start:], columns, strict=False):
            # This thread's connection's converters, as the ORM applies them.
            for convert in connection.ops.get_db_converters(col) + field.get_db_converters(
                connection
            ):
                value = convert(value, col, connection)
            values.append(value)
        names = [field.attname for field, _col in columns]
        objects.append(model.from_db(connection.alias, names, values))
        start += len(columns)
    membership, agency = objects
    membership.agency = agency
    membership.personal_grants = bool(row[start])
    return membership


@lru_cache(maxsize=1)
def _membership_sql() -> tuple[str, list[tuple[type, list[tuple[Any, Any]]]]]:
    from incidents.models import IncidentUserObjectPermission

    quote = connection.ops.quote_name
    parts = []
    selected = []
    for model, alias in ((Membership, "m"), (Agency, "a")):
        columns = []
        for field in model._meta.concrete_fields:
            columns.append((field, field.get_col(alias)))
            selected.append(f"{alias}.{quote(field.column)}")
        parts.append((model, columns))
    membership, agency = Membership._meta, Agency._meta
    user = get_user_model()._meta
    grants = IncidentUserObjectPermission._meta
    sql = (
        f"SELECT {', '.join(selected)},"
        f" EXISTS (SELECT 1 FROM {quote(grants.db_table)} g"
        f" WHERE g.{quote(grants.get_field('user').column)}"
        f" = m.{quote(membership.get_field('user').column)})"
        f" FROM {quote(membership.db_table)} m"
        f" INNER JOIN {quote(agency.db_table)} a"
        f" ON a.{quote(agency.pk.column)} = m.{quote(membership.get_field('agency').column)}"
        f" INNER JOIN {quote(user.db_table)} u"
        f" ON u.{quote(user.pk.column)} = m.{quote(membership.get_field('user').column)}"
        f" WHERE m.{quote(membership.get_field('is_active').column)}"
        f" AND a.{quote(agency.get_field('is_active').column)}"
        f" AND u.{quote(user.get_field('is_active').column)}"
        f" AND m.{quote(membership.get_field('user').column)} = %s"
        f" ORDER BY a.{quote(agency.get_field('short_name').column)}"
        f" LIMIT 1"
    )
    return sql, parts


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
