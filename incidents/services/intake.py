"""Taking calls and creating cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import acts_for_centre, agency_of, may_report_cases
from cc112.errors import ActionForbidden, DomainError
from cc112.history import apply_changes, attribute
from cc112.reads import reads_shared
from incidents.events import emit_case_changed, emit_case_opened
from incidents.models import (
    Area,
    Call,
    CallerIdentity,
    CallOutcome,
    Category,
    Channel,
    Incident,
    ReferenceSequence,
    area_search_key,
)
from incidents.pulse import pulse_batch
from incidents.services._common import event_time, lock_incident, require_centre
from incidents.services.access import access_sync_agency
from incidents.services.areas import area_for_case
from incidents.services.dispatch import dispatch_new_case
from incidents.services.privacy import caller_identity_correct, caller_identity_create
from sla.services import clocks_retarget, clocks_start_for_case

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from agencies.models import Agency
    from incidents.models import Dispatch

# Fields an operator may correct after creating a case; every correction is in its history.
CORRECTABLE_FIELDS = frozenset(
    {
        "channel",
        "caller_name",
        "caller_phone",
        "location_text",
        "kecamatan",
        "kelurahan",
        "area",
        "latitude",
        "longitude",
        "category",
        "priority",
        "description",
    }
)


def _next_reference(received_at: datetime) -> str:
    """112-AMB-2025-000123: numbered per city and year, without gaps.

    The sequence row is locked for the rest of the transaction, so two operators saving at the
    same moment get consecutive numbers and a rolled-back case gives its number back. One
    statement (PostgreSQL, SQLite ≥ 3.35): the year's first case makes the row, every other
    one moves it, and the number comes back without a read before the write.
    """
    year = timezone.localtime(received_at).year
    key = f"{settings.CC112_CITY_CODE}-{year}"
    quote = connection.ops.quote_name
    table, last = quote(ReferenceSequence._meta.db_table), quote("last_value")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {last}) VALUES (%s, 1)"
            f" ON CONFLICT ({quote('key')}) DO UPDATE SET {last} = {table}.{last} + 1"
            f" RETURNING {last}",
            [key],
        )
        (value,) = cursor.fetchone()
    return f"112-{key}-{value:06d}"


def _call_record(
    *,
    operator: AbstractBaseUser,
    outcome: str,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    callback_number: str = "",
    notes: str = "",
    attached_to: Incident | None = None,
    caller: CallerIdentity | None = None,
) -> Call:
    """Record an answered call and what it turned out to be (prank, ghost, dropped...; a repeat
    call on an open case is attached to it, ``call_attach``)."""
    require_centre(operator, _("record calls"))
    if (outcome == CallOutcome.ATTACHED) != (attached_to is not None):
        raise ValidationError({"outcome": _("A repeat call is recorded with the case it joins.")})
    answered_at = event_time(answered_at, not_before=None, field="answered_at")
    if ended_at is not None:
        ended_at = event_time(ended_at, not_before=answered_at, field="ended_at")
    if caller is None:
        # A call that opens no case needs its number no longer than the retention period.
        caseless = outcome not in (CallOutcome.INCIDENT, CallOutcome.ATTACHED)
        caller = caller_identity_create(
            phone=callback_number,
            released_at=answered_at if caseless else None,
            phone_field="callback_number",
        )
    call = Call(
        operator=operator,
        answered_at=answered_at,
        ended_at=ended_at,
        caller=caller,
        outcome=outcome,
        notes=notes.strip(),
        attached_to=attached_to,
    )
    # The operator and the case are rows in hand (no existence query); event_time checked the
    # one constraint, that the call ends after it was answered (no query either).
    call.full_clean(exclude=["operator", "attached_to", "caller"], validate_constraints=False)
    attribute(call, actor=operator, reason=f"call recorded: {outcome}")
    call.save()
    return call


call_record = transaction.atomic(_call_record)


def _incident_create(
    *,
    actor: AbstractBaseUser,
    category: Category,
    location_text: str,
    description: str,
    priority: int | None = None,
    channel: str = Channel.PHONE,
    call: Call | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    kecamatan: str = "",
    kelurahan: str = "",
    area: Area | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    received_at: datetime | None = None,
    call_ended_at: datetime | None = None,
    start_clocks: bool = True,
) -> Incident:
    """Open a case (T0).

    1. A case placed in an ``area`` (an active kelurahan or desa) takes its kecamatan and
       kelurahan names from it; whatever was typed for them is not used.
    2. A phone report without a call record gets one, so the operator's calls count it.
    3. The reference is numbered inside the same transaction.
    4. The case is saved with its operator as the history's actor.
    5. Its clocks start (unless ``start_clocks`` is False: the call screen's submit starts them
       with its dispatches').
    """
    if not may_report_cases(actor):
        raise ActionForbidden(
            _("Only 112 centre staff, or an agency allowed to report, may create cases.")
        )
    reporter = None if acts_for_centre(actor) else agency_of(actor)
    if reporter is not None:
        # A partner's own report: no call at the centre, and the partner keeps seeing it.
        if call is not None:
            raise ValidationError({"call": _("Only the 112 centre records calls.")})
        channel = Channel.PARTNER
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    if area is not None:
        area = area_for_case(area)
        kecamatan, kelurahan = area.parent.name, area.name
    if call is not None:
        # Locked, so two requests opening a case on one call queue: the second is told below.
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.outcome != CallOutcome.INCIDENT:
            raise ValidationError({"call": _("Only a call marked as an emergency opens a case.")})
        if Incident.objects.filter(call=call).exists():
            raise ValidationError({"call": _("This call already has a case.")})
        received_at = call.answered_at
    received_at = event_time(received_at, not_before=None, field="received_at")

    incident = Incident(
        channel=channel,
        location_text=location_text.strip(),
        kecamatan=kecamatan.strip(),
        kelurahan=kelurahan.strip(),
        area=area,
        latitude=latitude,
        longitude=longitude,
        category=category,
        priority=priority if priority is not None else category.default_priority,
        description=description.strip(),
        operator=None if reporter else actor,
        reported_by_agency=reporter,
        received_at=received_at,
        reference="pending",
    )
    # Its category, area, operator and agency are rows in hand: no query to find they exist.
    incident.full_clean(
        exclude=["call", "reference", "category", "area", "operator", "reported_by_agency"]
    )
    incident.caller = caller_identity_create(name=caller_name, phone=caller_phone)

    if call is None and channel == Channel.PHONE:
        call = _call_record(
            operator=actor,
            outcome=CallOutcome.INCIDENT,
            answered_at=received_at,
            ended_at=call_ended_at,
            callback_number=caller_phone,
            caller=incident.caller,
        )
    incident.call = call
    incident.reference = _next_reference(received_at)
    attribute(incident, actor=actor, reason="case created")
    incident.save()
    if reporter is not None:
        access_sync_agency(incident=incident, agency=reporter)
    if start_clocks:
        clocks_start_for_case(incident)
    emit_case_opened(incident)
    return incident


incident_create = transaction.atomic(_incident_create)


@transaction.atomic
def call_attach(
    *,
    incident: Incident,
    operator: AbstractBaseUser,
    answered_at: datetime | None = None,
    ended_at: datetime | None = None,
    callback_number: str = "",
    notes: str = "",
) -> Call:
    """A repeat call about an emergency whose case is open: recorded with that case instead of
    opening another; the case's history says so and partners hear it changed."""
    require_centre(operator, _("record calls"))
    incident = lock_incident(incident.pk)
    if not incident.is_open:
        raise DomainError(
            _("A case that is “%(status)s” takes no more calls: open a new one.")
            % {"status": incident.get_status_display()}
        )
    call = _call_record(
        operator=operator,
        outcome=CallOutcome.ATTACHED,
        answered_at=answered_at,
        ended_at=ended_at,
        callback_number=callback_number,
        notes=notes,
        attached_to=incident,
    )
    attribute(incident, actor=operator, reason="call attached")
    incident.save(update_fields=["updated_at"])
    emit_case_changed(incident)
    return call


@transaction.atomic
def incident_create_and_dispatch(
    *,
    actor: AbstractBaseUser,
    agencies: Iterable[Agency],
    instructions: str = "",
    **case: Any,
) -> tuple[Incident, list[Dispatch]]:
    """The call screen's one submit: open the case (T0 as given: when the call was answered)
    and send it to its agencies (T1: now), in one transaction; any refusal writes nothing.

    The case is new in this transaction, so nobody else can lock it: it is dispatched as it is
    in hand (no lock, no read back), and its clocks start with its dispatches' in one insert,
    the operator's answered at T1. The configuration both steps read (SLA targets, the
    escalation ladder, webhook subscriptions) is read once, and each live page's marker moves
    once (``tests/incidents/test_submit_statements.py`` counts the statements).
    """
    with reads_shared(), pulse_batch():
        incident = _incident_create(actor=actor, start_clocks=False, **case)
        dispatches = dispatch_new_case(
            incident=incident, agencies=agencies, actor=actor, instructions=instructions
        )
    return incident, dispatches


def _with_place(incident: Incident, changes: dict[str, object]) -> dict[str, object]:
    """The changes, with the typed place and the area kept in agreement."""
    area = changes.get("area")
    if isinstance(area, Area):
        # A case keeps an area retired since; a new one must be in use.
        if area.pk != incident.area_id:
            area = area_for_case(area)
        else:
            area = Area.objects.select_related("parent").get(pk=area.pk)
        return {**changes, "area": area, "kecamatan": area.parent.name, "kelurahan": area.name}
    if "area" in changes or incident.area_id is None:
        return changes
    typed = [
        area_search_key(str(changes.get(name, getattr(incident, name))))
        for name in ("kecamatan", "kelurahan")
    ]
    current = Area.objects.select_related("parent").get(pk=incident.area_id)
    if typed != [area_search_key(current.parent.name), current.search_name]:
        return {**changes, "area": None}
    return changes


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: AbstractBaseUser, changes: dict[str, object]
) -> Incident:
    """Correct a case's details; the history keeps what it said before and who changed it.

    A place corrected with an ``area`` takes the area's kecamatan and kelurahan names, as at
    creation; a kecamatan or kelurahan typed without one that no longer names the case's area
    takes the case out of it (the typed place is the newer word).
    """
    require_centre(actor, _("change a case's details"))
    unknown = set(changes) - CORRECTABLE_FIELDS
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    incident = lock_incident(incident.pk)
    caller_changes = {k: v for k, v in changes.items() if k in ("caller_name", "caller_phone")}
    changes = {k: v for k, v in changes.items() if k not in caller_changes}
    changed = apply_changes(incident, _with_place(incident, changes))
    changed += caller_identity_correct(incident=incident, changes=caller_changes)
    if not changed:
        return incident
    if "category" in changed and not incident.category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    incident.full_clean(exclude=["call"])
    attribute(incident, actor=actor, reason="corrected: " + ", ".join(sorted(changed)))
    incident.save()
    if {"priority", "category"} & set(changed):
        clocks_retarget(incident)
    emit_case_changed(incident)
    return incident
