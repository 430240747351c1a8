"""What each role may do in the portal, as Django model permissions on one group per role.

Model permissions say *what kind* of thing a role may touch; *which* cases it sees is decided
by the scoped querysets (``visible_to``), never by these groups.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from agencies.models import Role

_CENTRE_CASEWORK = [
    "incidents.view_call",
    "incidents.add_call",
    "incidents.change_call",
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.view_dispatch",
    "incidents.add_dispatch",
    "incidents.change_dispatch",
    "incidents.view_note",
    "incidents.add_note",
    "incidents.view_category",
    "incidents.view_area",
    "incidents.view_share",
    "agencies.view_agency",
    "sla.view_clock",
    "sla.view_notification",
    "sla.view_target",
    "sla.view_escalationstep",
    "sla.view_officeday",
    # Operators read their own evaluations (``visible_to``) and acknowledge them (a service
    # check on the evaluated operator, not a model permission).
    "sla.view_evaluation",
]
_CENTRE_MANAGEMENT = [
    "incidents.add_category",
    "incidents.change_category",
    # The gazetteer: names as the city writes them, areas retired or added.
    "incidents.add_area",
    "incidents.change_area",
    "agencies.view_membership",
    # Service-level policies (the 112 coordinator and supervisors set the city's SOP).
    "sla.add_target",
    "sla.change_target",
    "sla.delete_target",
    "sla.change_escalationstep",
    "sla.add_officeday",
    "sla.change_officeday",
    "sla.delete_officeday",
    # Evaluations of operators: opened, scored and submitted by supervisors and the coordinator.
    "sla.add_evaluation",
    "sla.change_evaluation",
]
_AGENCY_CASEWORK = [
    "incidents.view_incident",
    "incidents.view_dispatch",
    "incidents.change_dispatch",
    "incidents.view_note",
    "incidents.add_note",
    "incidents.view_category",
    "incidents.view_area",
    "agencies.view_agency",
    "sla.view_clock",
    "sla.view_notification",
]

# The data protection officer reads who saw callers' identities and answers data-subject
# requests (portal pages checked by ``may_protect_data``); no casework.
_DATA_PROTECTION = [
    "incidents.view_personaldataaccess",
    "incidents.view_subjectrequest",
    "incidents.add_subjectrequest",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: _CENTRE_CASEWORK,
    Role.SUPERVISOR: _CENTRE_CASEWORK + _CENTRE_MANAGEMENT,
    Role.COORDINATOR: _CENTRE_CASEWORK + _CENTRE_MANAGEMENT,
    Role.STAFF: _AGENCY_CASEWORK,
    Role.DUTY_OFFICER: _AGENCY_CASEWORK,
    Role.HEAD: _AGENCY_CASEWORK,
    Role.DATA_PROTECTION: _DATA_PROTECTION,
}


def role_group_name(role: str) -> str:
    return f"role:{role}"


def role_groups_sync(*, using: str = "default", **_kwargs: object) -> None:
    """Bring every role group in line with ``ROLE_PERMISSIONS`` (after each migrate).

    Runs when this app's post_migrate fires, which on an upgrade comes before the apps after it
    have created their new models' permissions: create them all first, as Django would next."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role in ROLE_PERMISSIONS:
        if Group.objects.filter(name=role_group_name(role)).exists():
            role_group(role)


def role_group(role: str) -> Group:
    """The group carrying a role's permissions, brought in line with ``ROLE_PERMISSIONS``."""
    group, _created = Group.objects.get_or_create(name=role_group_name(role))
    wanted = ROLE_PERMISSIONS[role]
    perms = []
    for dotted in wanted:
        app_label, codename = dotted.split(".")
        perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(perms)
    return group
