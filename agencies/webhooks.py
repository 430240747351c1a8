"""Signed webhooks: partners' subscriptions, the delivery outbox, and where deliveries may go.

A delivery row is written in the transaction of the case change it reports (``webhooks_emit``)
and sent after the commit by ``agencies.tasks.deliver_webhook``. The row, not the message, is
what counts: a beat sweep hands out again what is due (a retry after its backoff, a message lost
with the broker, the claim of a worker that died), and a compare-and-swap claim makes a second
message or worker find nothing to do.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import agency_of, is_agency_staff, may_manage_partner_systems
from agencies.models import (
    Agency,
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from cc112.errors import ActionForbidden, DomainError
from cc112.history import attribute
from cc112.queue import enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from incidents.models import Dispatch, Incident

S = WebhookDeliveryStatus

# After this many attempts (about 17 hours with the backoff below) a delivery is given up on.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_FACTOR = 4
BACKOFF_CAP = timedelta(hours=6)
# Per connect and per read; far below STALE_CLAIM, so a hung partner fails the attempt before
# another worker takes the delivery over and sends it a second time.
SEND_TIMEOUT = 10
# A claim older than this belongs to a worker that died (an attempt is one connect and a few
# reads of SEND_TIMEOUT each); released every few seconds (sla.tasks.release_stale_claims), so a
# delivery whose worker died goes out again within a minute.
STALE_CLAIM = timedelta(seconds=45)
# A fresh delivery younger than this still has its own message on the way.
OUTBOX_GRACE = timedelta(seconds=30)
RESPONSE_EXCERPT = 500
USER_AGENT = "cc112-webhooks/1"
SECRET_PREFIX = "whsec_"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


# --- Who manages subscriptions -------------------------------------------------------------------


def may_manage_webhooks_of(user: AbstractBaseUser | AnonymousUser, agency: Agency) -> bool:
    """One agency's subscriptions: also its own staff and its systems' API-key accounts."""
    if may_manage_partner_systems(user):
        return True
    own = agency_of(user)
    return own is not None and own.pk == agency.pk and is_agency_staff(user)


def _require_rights(actor: AbstractBaseUser | None, agency: Agency) -> None:
    if actor is not None and not may_manage_webhooks_of(actor, agency):
        raise ActionForbidden(
            _("Only the agency, the 112 coordinator or an administrator manages its webhooks.")
        )


# --- Where deliveries may go ---------------------------------------------------------------------


class TargetRefused(Exception):
    """A webhook address that deliveries may not go to."""

    transient = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TargetUnresolved(TargetRefused):
    """The host name did not resolve; DNS may answer later."""

    transient = True


class Target(NamedTuple):
    """A checked address: the connection goes to ``address``, Host and TLS name stay ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and _is_internal(embedded):
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_webhook_target(url: str) -> Target:
    """Where ``url`` may be sent, resolved and checked; ``TargetRefused`` if it may not.

    Every address the host resolves to must be public (not loopback, private, link-local,
    multicast, reserved or unspecified, nor an IPv6 form wrapping one of those), unless
    ``CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS``; the caller connects to the address checked here,
    so a second DNS answer cannot point the delivery inside the network (DNS rebinding).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(_("Use an http:// or https:// address."))
    if "@" in parts.netloc:
        raise TargetRefused(_("The address must not contain a user name or password."))
    try:
        # Host header, TLS name and DNS all want the ASCII (punycode) form of the name.
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not host:
        raise TargetRefused(_("The address has no host name."))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(_("The address has an invalid port.")) from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise TargetUnresolved(
            _("The host name %(host)s could not be resolved.") % {"host": host}
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in found))
    if not addresses:
        raise TargetUnresolved(_("The host name %(host)s could not be resolved.") % {"host": host})
    if not settings.CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS and any(
        _is_internal(ipaddress.ip_address(address)) for address in addresses
    ):
        raise TargetRefused(
            _(
                "%(host)s leads to a loopback, private or link-local address; webhooks go to "
                "public addresses only."
            )
            % {"host": host}
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned_address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.pinned_address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, sent as SNI.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _post(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST once, following no redirect; the status and the start of the answer."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, SEND_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT * 4).decode("utf-8", errors="replace")
        return response.status, excerpt[:RESPONSE_EXCERPT]
    finally:
        connection.close()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Cc112-Signature`` value: HMAC-SHA256 of ``<timestamp>.<body>`` with the secret."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- Subscriptions -------------------------------------------------------------------------------


def _clean_events(events: Sequence[str]) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Sequence):
        raise ValidationError({"events": _("Give the events as a list.")})
    known = set(WebhookEvent.values)
    unknown = sorted({str(e) for e in events} - known)
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    if not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    return [e for e in WebhookEvent.values if e in set(events)]


def webhook_subscribe(
    *,
    agency: Agency,
    url: str,
    events: Sequence[str],
    actor: AbstractBaseUser | None,
) -> tuple[WebhookSubscription, str]:
    """Subscribe an agency's system to events; the signing secret is returned to show once.

    1. The actor manages the agency's webhooks (``may_manage_webhooks_of``).
    2. The events are known ones and the address is a well-formed http(s) URL.
    3. The address resolves to public addresses only (``check_webhook_target``).
    """
    _require_rights(actor, agency)
    if not agency.is_active:
        raise ValidationError({"agency": _("This agency is switched off.")})
    subscription = WebhookSubscription(
        agency=agency,
        url=url.strip(),
        events=_clean_events(events),
        secret=SECRET_PREFIX + secrets.token_urlsafe(32),
        created_by=actor,
    )
    subscription.full_clean(exclude=["created_by"])
    try:
        check_webhook_target(subscription.url)
    except TargetRefused as refused:
        raise ValidationError({"url": refused.message}) from None
    attribute(
        subscription, actor=actor, reason="webhook subscribed: " + ", ".join(subscription.events)
    )
    # Only now a transaction: the DNS lookup above may take seconds.
    with transaction.atomic():
        subscription.save()
    return subscription, subscription.secret


@transaction.atomic
def webhook_unsubscribe(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """Stop a subscription; what still waits to be sent is withdrawn."""
    subscription = (
        WebhookSubscription.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=subscription.pk)
    )
    _require_rights(actor, subscription.agency)
    if not subscription.is_active:
        return subscription
    subscription.is_active = False
    attribute(subscription, actor=actor, reason="webhook unsubscribed")
    subscription.save(update_fields=["is_active"])
    WebhookDelivery.objects.filter(subscription=subscription, status=S.PENDING).update(
        status=S.WITHDRAWN, next_attempt_at=None
    )
    return subscription


# --- Emitting ------------------------------------------------------------------------------------


class Subscriber(NamedTuple):
    subscription_id: int
    agency_id: int
    group_id: int
    is_centre: bool


class Occurrence(NamedTuple):
    """One thing that happened to one case, as partners are told of it (``incidents.events``)."""

    incident_id: int
    body: dict[str, Any]  # the thin payload's "incident" (and "dispatch", "escalation") parts
    occurred_at: datetime
    only_agency_id: int | None = None  # a dispatch's event: that agency (and the centre) only


def webhook_subscriptions() -> list[tuple[Subscriber, list[str]]]:
    """Every active subscription of an active agency, with its events: one small query (a
    change that tells two events reads it once)."""
    rows = WebhookSubscription.objects.filter(is_active=True, agency__is_active=True).values_list(
        "pk", "events", "agency_id", "agency__group_id", "agency__is_centre"
    )
    return [
        (Subscriber(pk, agency_id, group_id, is_centre), events)
        for pk, events, agency_id, group_id, is_centre in rows
    ]


def webhook_subscribers(
    event: str, subscriptions: list[tuple[Subscriber, list[str]]] | None = None
) -> list[Subscriber]:
    """The active subscriptions to ``event`` of active agencies: one small query, or none
    when given ``webhook_subscriptions()`` already read.

    The events are matched here, not in SQL: SQLite has no JSON containment, and the table
    holds a few rows per partner.
    """
    if subscriptions is None:
        subscriptions = webhook_subscriptions()
    return [subscriber for subscriber, events in subscriptions if event in events]


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def webhooks_emit(
    event: str,
    *,
    incident: Incident,
    dispatch: Dispatch | None = None,
    detail: dict[str, Any] | None = None,
) -> list[WebhookDelivery]:
    """Write the deliveries of one event on one case; call inside the service's transaction.

    One query when nobody subscribes to ``event``.
    """
    subscribers = webhook_subscribers(event)
    if not subscribers:
        return []
    from incidents.events import occurrence_of

    occurrence = occurrence_of(event, incident, dispatch=dispatch, detail=detail)
    return webhooks_emit_occurrences(event, [occurrence], subscribers=subscribers)


def webhooks_emit_occurrences(
    event: str, occurrences: Sequence[Occurrence], *, subscribers: Sequence[Subscriber]
) -> list[WebhookDelivery]:
    """Write one delivery per occurrence and subscriber allowed to hear of it; two queries.

    A subscriber hears of a case its agency sees (the centre sees every case), and of a
    dispatch's event only when the dispatch is its agency's. The deliveries are enqueued after
    the commit; the sweep sends any whose message is lost.
    """
    if not subscribers or not occurrences:
        return []
    partners = [s for s in subscribers if not s.is_centre]
    seen: set[tuple[int, int]] = set()
    if partners:
        from incidents.events import cases_seen_by_groups

        seen = cases_seen_by_groups(
            {o.incident_id for o in occurrences}, {s.group_id for s in partners}
        )
    now = timezone.now()
    deliveries = []
    for occurrence in occurrences:
        for subscriber in subscribers:
            if not subscriber.is_centre:
                if occurrence.only_agency_id not in (None, subscriber.agency_id):
                    continue
                if (occurrence.incident_id, subscriber.group_id) not in seen:
                    continue
            event_id = uuid.uuid4()
            payload = {
                "id": str(event_id),
                "type": event,
                "occurred_at": utc_iso(occurrence.occurred_at),
                **occurrence.body,
            }
            deliveries.append(
                WebhookDelivery(
                    subscription_id=subscriber.subscription_id,
                    event=event,
                    event_id=event_id,
                    incident_id=occurrence.incident_id,
                    payload=payload,
                    next_attempt_at=now,
                )
            )
    if not deliveries:
        return []
    WebhookDelivery.objects.bulk_create(deliveries)
    _enqueue_on_commit([d.pk for d in deliveries])
    return deliveries


def _enqueue_all(delivery_ids: list[int]) -> None:
    from agencies.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        # One refusal means the broker is down: the rest would each wait for it in vain.
        if not enqueue(deliver_webhook, delivery_id):
            return


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    transaction.on_commit(partial(_enqueue_all, delivery_ids))


# --- Sending -------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 2 min, 8 min... at most 6 h,
    plus up to a tenth more so that a partner's deliveries do not all return at once."""
    delay = min(BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0), BACKOFF_CAP)
    return delay * (1 + random.uniform(0, 0.1))


def _still_entitled(delivery: WebhookDelivery) -> bool:
    subscription = delivery.subscription
    agency = subscription.agency
    if not (subscription.is_active and agency.is_active):
        return False
    if agency.is_centre:
        return True
    from incidents.events import cases_seen_by_groups

    return bool(cases_seen_by_groups({delivery.incident_id}, {agency.group_id}))


def webhook_delivery_send(delivery_id: int) -> str:
    """Send one delivery at most once at a time; its status afterwards.

    1. Claim it: a compare-and-swap from pending (and due) to sending with a fresh token, so a
       duplicate message or a second worker finds nothing to do.
    2. The subscription must still be active and its agency still see the case; else withdrawn.
    3. Check the address again and POST to the address checked, signed over timestamp and body.
    4. A 2xx answer delivers it; anything else waits for a longer backoff, and after the last
       attempt fails. Every POST is logged as a ``WebhookAttempt``.
    """
    now = timezone.now()
    token = uuid.uuid4()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=S.PENDING, next_attempt_at__lte=now
    ).update(status=S.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return current.first() or "missing"
    delivery = WebhookDelivery.objects.select_related("subscription__agency").get(pk=delivery_id)
    if not _still_entitled(delivery):
        return _finish(delivery, token, S.WITHDRAWN, next_attempt_at=None)

    try:
        target = check_webhook_target(delivery.subscription.url)
    except TargetRefused as refused:
        _log(delivery, now, 0, None, refused.message, "")
        if refused.transient:
            return _retry_or_fail(delivery, token, None, refused.message)
        return _finish(delivery, token, S.FAILED, next_attempt_at=None, last_error=refused.message)

    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Cc112-Event": delivery.event,
        "X-Cc112-Delivery": str(delivery.event_id),
        "X-Cc112-Timestamp": str(timestamp),
        "X-Cc112-Signature": sign(delivery.subscription.secret, timestamp, body),
    }
    started = time.perf_counter()
    status: int | None = None
    excerpt = error = ""
    try:
        status, excerpt = _post(target, body, headers)
    except (OSError, http.client.HTTPException, ValueError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    duration_ms = round((time.perf_counter() - started) * 1000)
    _log(delivery, now, duration_ms, status, error, excerpt)
    if status is not None and 200 <= status < 300:
        return _finish(
            delivery,
            token,
            S.DELIVERED,
            delivered_at=timezone.now(),
            next_attempt_at=None,
            last_response_status=status,
            last_error="",
        )
    return _retry_or_fail(delivery, token, status, error or f"HTTP {status}")


def _log(
    delivery: WebhookDelivery,
    started_at: datetime,
    duration_ms: int,
    status: int | None,
    error: str,
    excerpt: str,
) -> None:
    WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=started_at,
        duration_ms=duration_ms,
        response_status=status,
        error=error[:300],
        response_excerpt=excerpt[:RESPONSE_EXCERPT],
    )


def _retry_or_fail(
    delivery: WebhookDelivery, token: uuid.UUID, status: int | None, error: str
) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _finish(
            delivery,
            token,
            S.FAILED,
            next_attempt_at=None,
            last_response_status=status,
            last_error=error[:300],
        )
    return _finish(
        delivery,
        token,
        S.PENDING,
        next_attempt_at=timezone.now() + backoff(delivery.attempts),
        last_response_status=status,
        last_error=error[:300],
    )


def _finish(delivery: WebhookDelivery, token: uuid.UUID, status: str, **fields: Any) -> str:
    """Record the outcome, unless the claim went stale and another worker took the row over."""
    WebhookDelivery.objects.filter(pk=delivery.pk, status=S.SENDING, claim_token=token).update(
        status=status, claim_token=None, claimed_at=None, **fields
    )
    return status


def webhook_outbox_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries to hand out (again), soonest first: retries whose backoff has passed, fresh
    ones whose message was lost (pending past the grace period), and the claims of workers that
    died, which go back to pending first (or fail, after the last attempt)."""
    now = now or timezone.now()
    webhook_claims_release(now=now)
    due = Q(attempts__gt=0, next_attempt_at__lte=now) | Q(
        attempts=0, next_attempt_at__lte=now - OUTBOX_GRACE
    )
    return list(
        WebhookDelivery.objects.filter(due, status=S.PENDING)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_claims_release(*, now: datetime | None = None) -> list[int]:
    """Claims of workers that died go back to pending, due now (or fail, after the last
    attempt); the ids released, to hand out at once. A late worker's outcome is then refused by
    its stale token (``_finish``)."""
    now = now or timezone.now()
    stale = Q(status=S.SENDING, claimed_at__lt=now - STALE_CLAIM)
    WebhookDelivery.objects.filter(stale, attempts__gte=MAX_ATTEMPTS).update(
        status=S.FAILED,
        claim_token=None,
        claimed_at=None,
        next_attempt_at=None,
        last_error="The worker sending the last attempt stopped.",
    )
    with transaction.atomic():
        released = list(
            WebhookDelivery.objects.filter(stale)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:500]
        )
        WebhookDelivery.objects.filter(pk__in=released, status=S.SENDING).update(
            status=S.PENDING, claim_token=None, claimed_at=None, next_attempt_at=now
        )
    return released


@transaction.atomic
def webhook_delivery_replay(
    *, delivery: WebhookDelivery, actor: AbstractBaseUser | None
) -> WebhookDelivery:
    """Send a finished delivery's event again: a new delivery with the same payload and event
    id (the partner can tell it already has it), pointing at the original."""
    delivery = WebhookDelivery.objects.select_related("subscription__agency").get(pk=delivery.pk)
    _require_rights(actor, delivery.subscription.agency)
    if delivery.status in (S.PENDING, S.SENDING):
        raise DomainError(_("This delivery is still waiting to be sent."))
    if not delivery.subscription.is_active:
        raise DomainError(_("The subscription is switched off."))
    replay = WebhookDelivery.objects.create(
        subscription=delivery.subscription,
        event=delivery.event,
        event_id=delivery.event_id,
        incident_id=delivery.incident_id,
        payload=delivery.payload,
        replay_of_id=delivery.replay_of_id or delivery.pk,
        requested_by=actor,
        next_attempt_at=timezone.now(),
    )
    _enqueue_on_commit([replay.pk])
    return replay
