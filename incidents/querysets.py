"""Scoping for calls and cases: the one place that decides who sees which rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Permission
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from agencies.access import acts_for_centre, agency_of
from cc112.history import AuditedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def _view_incident_permission() -> Subquery:
    # A subquery, not a cached id: PostgreSQL runs it once per query (an InitPlan), and it stays
    # right when permissions are recreated (a flushed test database, a restored dump).
    # Without Permission.Meta.ordering: sorting the one match costs a join and a sort per query.
    return Subquery(
        Permission.objects.filter(content_type__app_label="incidents", codename="view_incident")
        .order_by()
        .values("pk")[:1]
    )


class Granted(Expression):
    """``EXISTS`` a guardian grant of ``incidents.view_incident`` on the outer case to one
    holder: the agency's group (``holder="group"``) or one person (``holder="user"``).

    The same SQL as ``Exists(Grant.objects.filter(content_object=OuterRef("pk"), ...))`` with
    the permission found by ``_view_incident_permission``'s subquery, but written once per
    grant table: the ORM resolves, relabels and compiles that subquery again for every query,
    about 1 ms, as much as the rest of an API page (bench/api.py). Only the outer case's column
    is compiled here, so it follows the outer query's alias when the queryset is nested
    (``incident__in=...visible_to(user)``). The inner aliases are ones Django never generates:
    an outer alias such as ``U0`` cannot be shadowed by them.
    """

    conditional = True

    def __init__(self, grants: type[Model], holder: str, holder_id: int, case: Any = None):
        super().__init__(output_field=BooleanField())
        self.grants = grants
        self.holder = holder
        self.holder_id = holder_id
        self.case = F("pk") if case is None else case

    def get_source_expressions(self) -> list[Any]:
        return [self.case]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.case,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        case_sql, case_params = compiler.compile(self.case)
        key = (self.grants, self.holder, connection.vendor)
        if key not in _GRANT_SQL:
            _GRANT_SQL[key] = _grant_sql(self.grants, self.holder, connection.ops.quote_name)
        sql = _GRANT_SQL[key]
        return sql.replace("{case}", case_sql), (
            *case_params,
            self.holder_id,
            "incidents",
            "view_incident",
        )


_GRANT_SQL: dict[tuple[type[Model], str, str], str] = {}


def _grant_sql(grants: type[Model], holder: str, quote: Callable[[str], str]) -> str:
    meta = grants._meta
    permission_meta = Permission._meta
    content_type = permission_meta.get_field("content_type").related_model._meta
    column = lambda model_meta, name: quote(model_meta.get_field(name).column)  # noqa: E731
    return (
        f"EXISTS (SELECT 1 FROM {quote(meta.db_table)} cc112_grant"
        f" WHERE cc112_grant.{column(meta, 'content_object')} = {{case}}"
        f" AND cc112_grant.{column(meta, holder)} = %s"
        f" AND cc112_grant.{column(meta, 'permission')} = ("
        f"SELECT cc112_permission.{column(permission_meta, 'id')}"
        f" FROM {quote(permission_meta.db_table)} cc112_permission"
        f" INNER JOIN {quote(content_type.db_table)} cc112_type"
        f" ON cc112_permission.{column(permission_meta, 'content_type')}"
        f" = cc112_type.{column(content_type, 'id')}"
        f" WHERE cc112_type.{column(content_type, 'app_label')} = %s"
        f" AND cc112_permission.{column(permission_meta, 'codename')} = %s"
        f" LIMIT 1) LIMIT 1)"
    )


_PERSONAL_GRANTS_ATTR = "_cc112_holds_personal_grants"


def holds_personal_grants(user: User) -> bool:
    """Whether anything is shared with the user in person; asked once per request (the user
    object lives as long as the request), and forgotten by the share services."""
    if not hasattr(user, _PERSONAL_GRANTS_ATTR):
        from incidents.models import IncidentUserObjectPermission

        held = IncidentUserObjectPermission.objects.filter(user_id=user.pk).exists()
        setattr(user, _PERSONAL_GRANTS_ATTR, held)
    return getattr(user, _PERSONAL_GRANTS_ATTR)


def remember_personal_grants(user: User, held: bool) -> None:
    setattr(user, _PERSONAL_GRANTS_ATTR, held)


def forget_personal_grants(user: User) -> None:
    if hasattr(user, _PERSONAL_GRANTS_ATTR):
        delattr(user, _PERSONAL_GRANTS_ATTR)


def shared_scope(user: User) -> str | None:
    """A name for the cases ``visible_to`` gives ``user``, the same for everyone it gives the
    same cases: "centre" (every case), "agency-<id>" (the agency's grants alone); None when
    they are the user's own (a case shared in person, no agency, no access). Pages drawn once
    for many (the case list, an inbox) are kept under it, so the rule stays this one."""
    if acts_for_centre(user):
        return "centre"
    if not user.is_authenticated or not user.is_active:
        return None
    agency = agency_of(user)
    if agency is None or holds_personal_grants(user):
        return None
    return f"agency-{agency.pk}"


class IncidentQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> IncidentQuerySet:
        """Cases the user may see: every case for the centre; otherwise those that guardian's
        object permissions grant to the user's agency or to the user in person.

        One ``Q`` of ``Exists`` in one ``filter()``: chained filters over a multi-valued
        relation would widen what is matched. The person's ``Exists`` is left out for a user
        who holds no personal grant (nearly every agency user): PostgreSQL turns a lone
        ``Exists`` into a semi-join that stops after the page under ORDER BY ... LIMIT, while
        ``A OR B`` stays a filter it runs by hashing every grant the agency ever received, a
        cost that grows with the agency's history (bench/scoping.py: the police's first page
        at 200k cases, 28 ms with both, 7 ms with the agency's alone). A personal grant made
        between the check and the query shows from the next call; a withdrawn one never shows.
        """
        if acts_for_centre(user):
            return self.all()
        if not user.is_authenticated or not user.is_active:
            return self.none()
        from incidents.models import IncidentGroupObjectPermission, IncidentUserObjectPermission

        agency = agency_of(user)
        in_person = Granted(IncidentUserObjectPermission, "user", user.pk)
        if agency is None:
            return self.filter(in_person)
        through_agency = Granted(IncidentGroupObjectPermission, "group", agency.group_id)
        if not holds_personal_grants(user):
            return self.filter(through_agency)
        return self.filter(Q(through_agency) | Q(in_person))

    def open(self) -> IncidentQuerySet:
        from incidents.models import IncidentStatus

        return self.exclude(status__in=[IncidentStatus.CLOSED, IncidentStatus.CANCELLED])


class DispatchQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> DispatchQuerySet:
        """Dispatches on the cases the user may see (partners coordinate on a shared case)."""
        if acts_for_centre(user):
            return self.all()
        from incidents.models import Incident

        return self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))

    def open(self) -> DispatchQuerySet:
        from incidents.models import OPEN_DISPATCH_STATUSES

        return self.filter(status__in=OPEN_DISPATCH_STATUSES)


class NoteQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> NoteQuerySet:
        if acts_for_centre(user):
            return self.all()
        from incidents.models import Incident

        return self.filter(incident__in=Incident.objects.visible_to(user).values("pk"))


class CallQuerySet(AuditedQuerySet):
    def visible_to(self, user: User) -> CallQuerySet:
        """Call records hold callers' numbers and stay inside the centre."""
        if acts_for_centre(user):
            return self.all()
        return self.none()


class CategoryQuerySet(AuditedQuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)


class AreaQuerySet(AuditedQuerySet):
    """Areas are reference data every portal user may read: no ``visible_to``."""

    def active(self) -> AreaQuerySet:
        return self.filter(active=True)

    def kelurahan(self) -> AreaQuerySet:
        """Kelurahan and desa: the areas a case is placed in."""
        from incidents.models import AreaLevel

        return self.filter(level=AreaLevel.KELURAHAN)

    def search(self, text: str) -> AreaQuerySet:
        """Areas whose name holds ``text`` (case and spacing ignored): names that start with
        it first, then those with a word that does, then the rest; alphabetical within each."""
        from incidents.models import area_search_key

        key = area_search_key(text)
        if not key:
            return self.none()
        rank = Case(
            When(search_name__startswith=key, then=Value(0)),
            When(search_name__contains=f" {key}", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (
            self.filter(search_name__contains=key)
            .annotate(match_rank=rank)
            .order_by("match_rank", "search_name", "parent__search_name", "code")
        )

    def matching(self, text: str, *, limit: int = 8) -> AreaQuerySet:
        """The type-ahead on kelurahan: active kelurahan/desa matching ``text``, best first,
        each with its kecamatan."""
        return self.kelurahan().active().search(text).select_related("parent")[:limit]


class ShareQuerySet(AuditedQuerySet):
    def active(self) -> ShareQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )

    def visible_to(self, user: User) -> ShareQuerySet:
        """Shares are the centre's decisions; agencies see that a case is shared with them
        through the case itself."""
        if acts_for_centre(user):
            return self.all()
        return self.none()


class PersonalDataQuerySet(QuerySet):
    """The log of readings of callers' identities and the data-subject requests: the data
    protection officer's (and administrators'); nobody else's, not even an agency's own."""

    def visible_to(self, user: User) -> PersonalDataQuerySet:
        from agencies.access import may_protect_data

        return self.all() if may_protect_data(user) else self.none()
