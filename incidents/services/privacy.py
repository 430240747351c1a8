"""Callers' personal data (UU 27/2022): their identity, who read it, retention, requests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import agency_of, may_protect_data
from cc112.errors import ActionForbidden
from incidents.models import (
    Call,
    CallerIdentity,
    Incident,
    PersonalDataAccess,
    SubjectRequest,
    phone_validator,
)
from incidents.phones import caller_key, mask_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# How many identities one sweep anonymises; the next sweep takes the rest.
ANONYMISE_BATCH = 500


def _checked(name: str, phone: str, *, name_field: str, phone_field: str) -> tuple[str, str]:
    name, phone = name.strip(), phone.strip()
    if len(name) > 120:
        raise ValidationError({name_field: _("At most 120 characters.")})
    if phone:
        try:
            phone_validator(phone)
        except ValidationError as error:
            raise ValidationError({phone_field: error.messages}) from error
    return name, phone


def caller_identity_create(
    *,
    name: str = "",
    phone: str = "",
    released_at: datetime | None = None,
    name_field: str = "caller_name",
    phone_field: str = "caller_phone",
) -> CallerIdentity | None:
    """A caller's name and number in their own row (one INSERT); None when neither was given.

    ``released_at``: when it is no longer needed (a call that opened no case); a case's caller
    is released when the case closes (``callers_release``)."""
    name, phone = _checked(name, phone, name_field=name_field, phone_field=phone_field)
    if not name and not phone:
        return None
    return CallerIdentity.objects.create(
        name=name,
        phone=phone,
        key=caller_key(phone),
        had_phone=bool(phone),
        released_at=released_at,
    )


def caller_identity_correct(*, incident: Incident, changes: dict[str, Any]) -> list[str]:
    """Set a case's caller name and number from ``changes`` (``caller_name``, ``caller_phone``);
    the names that changed. A case without an identity gets one (``incident.caller`` is then
    set: the caller saves the case). An anonymised identity is never filled again."""
    current = incident.caller if incident.caller_id else None
    name = str(changes.get("caller_name", current.name if current else ""))
    phone = str(changes.get("caller_phone", current.phone if current else ""))
    name, phone = _checked(name, phone, name_field="caller_name", phone_field="caller_phone")
    changed = [
        field
        for field, new, old in (
            ("caller_name", name, current.name if current else ""),
            ("caller_phone", phone, current.phone if current else ""),
        )
        if field in changes and new != old
    ]
    if not changed:
        return []
    if current is None:
        incident.caller = caller_identity_create(name=name, phone=phone)
        return changed
    if current.is_anonymised:
        raise ValidationError(
            {changed[0]: _("This caller's identity was anonymised; it cannot be filled again.")}
        )
    current.name, current.phone, current.key = name, phone, caller_key(phone)
    current.had_phone = bool(phone)
    current.save(update_fields=["name", "phone", "key", "had_phone"])
    return changed


def _identities_of_case(incident: Incident) -> Any:
    calls = Call.objects.filter(Q(incident=incident) | Q(attached_to=incident))
    return CallerIdentity.objects.filter(
        Q(pk=incident.caller_id) | Q(pk__in=calls.filter(caller__isnull=False).values("caller"))
    )


def callers_release(*, incident: Incident, at: datetime | None) -> None:
    """The case closed (``at``) or reopened (None): its callers' retention counts from its
    closing, and stops while it is open again."""
    _identities_of_case(incident).filter(anonymised_at__isnull=True).update(released_at=at)


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.CC112_CALLER_RETENTION_DAYS)


def callers_anonymise_due(*, now: datetime | None = None, batch: int = ANONYMISE_BATCH) -> int:
    """Blank the name, number and key of every identity released longer ago than the retention
    period; how many. Safe twice and side by side: a row is claimed by the same condition it is
    found by (``anonymised_at`` still empty), so a second run finds nothing and overwrites
    nothing. Counts stay (``had_phone``), and no history row is touched: none holds them."""
    now = now or timezone.now()
    due = CallerIdentity.objects.filter(
        anonymised_at__isnull=True, released_at__lt=retention_cutoff(now)
    )
    ids = list(due.order_by("released_at").values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    return due.filter(pk__in=ids).update(name="", phone="", key="", anonymised_at=now)


def personal_data_seen(
    *,
    user: AbstractBaseUser,
    channel: str,
    identities: Iterable[CallerIdentity | None],
    incident: Incident | None = None,
) -> int:
    """Log that ``user`` read these callers' full name and number (one INSERT); how many rows.
    An empty or anonymised identity shows nothing and is not logged."""
    shown = {
        identity.pk: identity
        for identity in identities
        if identity is not None and not identity.is_anonymised and (identity.name or identity.phone)
    }
    if not shown:
        return 0
    agency = agency_of(user)
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            agency=agency,
            channel=channel,
            identity_id=pk,
            incident=incident,
        )
        for pk in shown
    )
    return len(shown)


class SubjectCall(TypedDict):
    answered_at: str
    outcome: str
    callback_number: str
    case: str | None


class SubjectCase(TypedDict):
    reference: str
    received_at: str
    status: str
    category: str
    caller_name: str
    caller_phone: str
    location: str
    kecamatan: str
    kelurahan: str
    description: str
    closed_at: str | None


class SubjectAccess(TypedDict):
    at: str
    user: str
    agency: str
    where: str
    case: str | None


class SubjectData(TypedDict):
    number: str
    key: str
    identities: list[dict[str, Any]]
    calls: list[SubjectCall]
    cases: list[SubjectCase]
    accesses: list[SubjectAccess]


def _moment(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


@transaction.atomic
def subject_request_answer(
    *, officer: AbstractBaseUser, number: str, reason: str = "", export_format: str = "json"
) -> tuple[SubjectRequest, SubjectData]:
    """Everything held about one phone number (a data-subject request), and the request logged.

    1. The number is normalised as the call screen does (``caller_key``): 0812..., +62 812...
       and 62812... are one person.
    2. Every identity with that key, the calls and cases that name it, and every logged reading
       of it are gathered.
    3. The request is logged with the number masked and what was found.
    """
    if not may_protect_data(officer):
        raise ActionForbidden(_("Only the data protection officer answers data-subject requests."))
    key = caller_key(number)
    if not key:
        raise ValidationError({"number": _("Enter the phone number the request is about.")})
    identities = list(CallerIdentity.objects.filter(key=key).order_by("created_at"))
    calls = list(
        Call.objects.filter(caller__in=identities)
        .select_related("caller", "incident", "attached_to")
        .order_by("answered_at")
    )
    cases = list(
        Incident.objects.filter(Q(caller__in=identities) | Q(attached_calls__caller__in=identities))
        .distinct()
        .select_related("caller", "category")
        .order_by("received_at")
    )
    accesses = list(
        PersonalDataAccess.objects.filter(identity__in=identities)
        .select_related("user", "agency", "incident")
        .order_by("at")
    )
    data: SubjectData = {
        "number": number.strip(),
        "key": key,
        "identities": [
            {"name": i.name, "phone": i.phone, "recorded_at": _moment(i.created_at)}
            for i in identities
        ],
        "calls": [
            {
                "answered_at": _moment(call.answered_at) or "",
                "outcome": str(call.get_outcome_display()),
                "callback_number": call.callback_number,
                "case": (
                    call.attached_to.reference
                    if call.attached_to_id
                    else getattr(getattr(call, "incident", None), "reference", None)
                ),
            }
            for call in calls
        ],
        "cases": [
            {
                "reference": case.reference,
                "received_at": _moment(case.received_at) or "",
                "status": str(case.get_status_display()),
                "category": case.category.code,
                "caller_name": case.caller_name,
                "caller_phone": case.caller_phone,
                "location": case.location_text,
                "kecamatan": case.kecamatan,
                "kelurahan": case.kelurahan,
                "description": case.description,
                "closed_at": _moment(case.closed_at),
            }
            for case in cases
        ],
        "accesses": [
            {
                "at": _moment(access.at) or "",
                "user": access.user.get_username(),
                "agency": access.agency.short_name if access.agency_id else "",
                "where": str(access.get_channel_display()),
                "case": access.incident.reference if access.incident_id else None,
            }
            for access in accesses
        ],
    }
    request = SubjectRequest.objects.create(
        officer=officer,
        masked_number=mask_phone(number),
        reason=reason.strip()[:200],
        export_format=export_format,
        identities=len(identities),
        calls=len(calls),
        cases=len(cases),
    )
    return request, data
