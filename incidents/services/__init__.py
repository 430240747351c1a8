"""Every write to calls, cases, dispatches, notes and areas goes through these functions."""

from incidents.services.access import incident_share, share_revoke, shares_expire_due
from incidents.services.areas import AreasLoaded, areas_load, incidents_link_areas
from incidents.services.dispatch import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_decline,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_dispatch,
)
from incidents.services.intake import (
    call_attach,
    call_record,
    incident_create,
    incident_create_and_dispatch,
    incident_update,
)
from incidents.services.notes import note_add
from incidents.services.workflow import incident_cancel, incident_close, incident_reopen

__all__ = [
    "AreasLoaded",
    "areas_load",
    "call_attach",
    "call_record",
    "dispatch_acknowledge",
    "dispatch_cancel",
    "dispatch_decline",
    "dispatch_mark_en_route",
    "dispatch_mark_on_scene",
    "dispatch_resolve",
    "incident_cancel",
    "incident_close",
    "incident_create",
    "incident_create_and_dispatch",
    "incident_dispatch",
    "incident_reopen",
    "incident_share",
    "incident_update",
    "incidents_link_areas",
    "note_add",
    "share_revoke",
    "shares_expire_due",
]
