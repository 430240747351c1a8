"""The notification outbox: reading in the portal, delivering by email."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import AGENCY_ROLES, Membership
from cc112.bulk import rows_insert
from cc112.sidebar import sidebar_forget
from sla.models import Audience, EmailStatus, Notification
from sla.presentation import escalation_headline

if TYPE_CHECKING:
    from incidents.models import Dispatch

# After this many tries an address is given up on; the portal still shows the notification.
MAX_EMAIL_ATTEMPTS = 6
# A delivery claimed this long ago by a worker that died is handed out again.
STALE_CLAIM = timedelta(minutes=5)
# A pending row older than this lost its message (broker down at commit) and is re-enqueued.
OUTBOX_GRACE = timedelta(seconds=30)


class TransientDeliveryError(Exception):
    """The mail server may accept the message later: the task retries with backoff."""


def _is_transient(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    # Every SMTPException is an OSError: decide on the SMTP answers before the OSError catch-all.
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)  # ConnectionError, TimeoutError, DNS failures


# A new dispatch as its notifications are written (unread, in the portal only).
DISPATCH_NOTIFICATION_COLUMNS = (
    "recipient",
    "dispatch",
    "incident",
    "audience",
    "created_at",
    "email_attempts",
    "email_error",
    "email_status",
)


def notifications_for_dispatches(dispatches: Sequence[Dispatch]) -> list[int]:
    """Tell each active member of each agency of its new dispatch, in the portal; their ids.

    Called by the dispatch service in its transaction: the dispatch and its notifications
    commit together. One statement when each dispatch is another agency's (who the members
    are, selected inside the insert), else two however many agencies and members. Partner
    systems' accounts (API keys) are members too, but read no portal.
    """
    if not dispatches:
        return []
    recipients = Membership.objects.active().filter(
        agency_id__in={d.agency_id for d in dispatches},
        role__in=AGENCY_ROLES,
        user__is_active=True,
        user__api_key__isnull=True,
    )
    now = timezone.now()
    if len({d.agency_id for d in dispatches}) == len(dispatches):
        return _insert_selected(recipients, dispatches, now)
    members: dict[int, list[int]] = {}
    for agency_id, user_id in recipients.order_by("user_id").values_list("agency_id", "user_id"):
        members.setdefault(agency_id, []).append(user_id)
    rows = [
        (user_id, d.pk, d.incident_id, Audience.AGENCY, now, 0, "", EmailStatus.IN_APP)
        for d in dispatches
        for user_id in members.get(d.agency_id, [])
    ]
    return rows_insert(Notification, DISPATCH_NOTIFICATION_COLUMNS, rows)


def _insert_selected(
    recipients: QuerySet[Membership], dispatches: Sequence[Dispatch], now: datetime
) -> list[int]:
    """``INSERT ... SELECT`` of a notification per recipient, the dispatch found by the
    member's agency (one dispatch an agency); the ids of the rows."""

    def by_agency(attribute: str) -> Case:
        return Case(
            *(When(agency_id=d.agency_id, then=Value(getattr(d, attribute))) for d in dispatches),
            output_field=BigIntegerField(),
        )

    rows = (
        recipients.order_by("user_id")
        .annotate(
            n_dispatch=by_agency("pk"),
            n_incident=by_agency("incident_id"),
            n_audience=Value(Audience.AGENCY, output_field=CharField()),
            n_created=Value(now, output_field=DateTimeField()),
            n_attempts=Value(0, output_field=IntegerField()),
            n_error=Value("", output_field=CharField()),
            n_status=Value(EmailStatus.IN_APP, output_field=CharField()),
        )
        .values_list(
            "user_id",
            "n_dispatch",
            "n_incident",
            "n_audience",
            "n_created",
            "n_attempts",
            "n_error",
            "n_status",
        )
    )
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    opts = Notification._meta
    columns = ", ".join(quote(opts.get_field(n).column) for n in DISPATCH_NOTIFICATION_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(opts.db_table)} ({columns}) {select}"
            f" RETURNING {quote(opts.pk.column)}",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def notification_email_send(notification_id: int) -> str:
    """Send one notification's email at most once at a time; returns its email status.

    The row is claimed by a compare-and-swap from pending to sending, so a duplicate message or
    a second worker finds nothing to do. A transient failure puts it back to pending and raises
    ``TransientDeliveryError`` for the task to retry; a permanent one is recorded as failed.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, email_status=EmailStatus.PENDING
    ).update(
        email_status=EmailStatus.SENDING,
        email_claimed_at=now,
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return (
            Notification.objects.filter(pk=notification_id)
            .values_list("email_status", flat=True)
            .first()
            or "missing"
        )
    notification = Notification.objects.select_related(
        "recipient", "incident", "escalation__clock__agency"
    ).get(pk=notification_id)
    notification.email_claimed_at = now  # the claim's token: only this claim may finish it
    recipient = notification.recipient
    # A late email (a broker outage, retries) goes only to one who may still see the case.
    if not Notification.objects.visible_to(recipient).filter(pk=notification_id).exists():
        return _finish(notification, EmailStatus.WITHDRAWN, "")
    address = recipient.email
    if not address:
        return _finish(notification, EmailStatus.NO_ADDRESS, "")
    subject, body = _render(notification)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception as error:
        message = f"{type(error).__name__}: {error}"[:300]
        if _is_transient(error) and notification.email_attempts < MAX_EMAIL_ATTEMPTS:
            _finish(notification, EmailStatus.PENDING, message)
            raise TransientDeliveryError(message) from error
        return _finish(notification, EmailStatus.FAILED, message)
    return _finish(notification, EmailStatus.SENT, "", sent=True)


def _finish(notification: Notification, status: str, error: str, *, sent: bool = False) -> str:
    """Record the outcome, unless the claim went stale and another worker took the row over."""
    Notification.objects.filter(
        pk=notification.pk,
        email_status=EmailStatus.SENDING,
        email_claimed_at=notification.email_claimed_at,
    ).update(
        email_status=status,
        email_error=error,
        email_sent_at=timezone.now() if sent else None,
        email_claimed_at=None,
    )
    return status


def _render(notification: Notification) -> tuple[str, str]:
    # Emails go out in the centre's language; the portal shows each reader's own.
    with translation.override(settings.LANGUAGE_CODE):
        headline = escalation_headline(notification.escalation, notification.escalation.clock)
        url = settings.CC112_PORTAL_URL + reverse(
            "admin:incidents_incident_change", args=[notification.incident_id]
        )
        subject = f"[112] {notification.incident.reference}: {headline}"
        body = "\n\n".join(
            [
                headline,
                _("Case: %(reference)s") % {"reference": notification.incident.reference},
                _("Open the case: %(url)s") % {"url": url},
                _("You receive this as: %(audience)s.")
                % {"audience": notification.get_audience_display()},
            ]
        )
    return subject[:200], body


def outbox_pending_ids(*, now=None, limit: int = 500) -> list[int]:  # type: ignore[no-untyped-def]
    """Emails whose message was lost: pending past the grace period, or claimed by a worker
    that died. Stale claims go back to pending first."""
    now = now or timezone.now()
    with transaction.atomic():
        Notification.objects.filter(
            email_status=EmailStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM
        ).update(email_status=EmailStatus.PENDING, email_claimed_at=None)
    return list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING, created_at__lt=now - OUTBOX_GRACE
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_mark_read(*, user, ids=None) -> int:  # type: ignore[no-untyped-def]
    """Mark the user's own notifications read (all unread ones, or those ids)."""
    rows = Notification.objects.visible_to(user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    marked = rows.update(read_at=timezone.now())
    sidebar_forget(user.pk)  # no change marker follows a notification being read
    return marked
