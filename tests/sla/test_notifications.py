"""Who was told reads it in the portal and gets one email, even when the mail server stumbles."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from incidents.models import Priority
from incidents.services import dispatch_cancel
from sla.models import EmailStatus, Escalation, Notification
from sla.presentation import escalation_headline
from sla.services import (
    escalations_fire_due,
    notification_email_send,
    notifications_mark_read,
    outbox_pending_ids,
)
from sla.services import notifications as outbox
from sla.services.notifications import MAX_EMAIL_ATTEMPTS, TransientDeliveryError
from sla.tasks import sweep_outbox
from tests.factories import make_dispatched_incident
from tests.sla.frozen import T0


def ladder_notifications() -> QuerySet:
    """The escalation ladder's notifications (each new dispatch also tells its agency's members
    in the portal: tests/incidents/test_board.py)."""
    return Notification.objects.filter(escalation__isnull=False)


# The acknowledge clock of a P1 dispatch at T0 reaches level 1 a minute later.
FIRED_AT = T0 + dt.timedelta(seconds=60)


@pytest.fixture
def escalated(world, duty_officer, after):  # type: ignore[no-untyped-def]
    """The police are a minute late acknowledging a P1 case: level 1 told two people."""
    incident, _ = make_dispatched_incident(world.operator, [world.police], priority=Priority.P1)
    after(seconds=60)
    escalations_fire_due()
    return incident


def notification_for(user) -> Notification:  # type: ignore[no-untyped-def]
    return ladder_notifications().get(recipient=user)


class RefusingMailServer:
    """Stands in for ``send_mail``: raises the given error, counting the calls."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise self.error


@pytest.fixture
def mail_server(monkeypatch):  # type: ignore[no-untyped-def]
    def refuse(error: BaseException) -> RefusingMailServer:
        server = RefusingMailServer(error)
        monkeypatch.setattr("sla.services.notifications.send_mail", server)
        return server

    return refuse


# --- Delivery ------------------------------------------------------------------------------------


def test_the_supervisor_gets_one_email_with_a_link_to_the_case(world, escalated, after):
    notification = notification_for(world.supervisor)
    sent_at = after(seconds=62)

    assert notification_email_send(notification.pk) == EmailStatus.SENT

    [message] = mail.outbox
    assert message.to == ["supervisor@example.org"]
    assert message.subject.startswith(f"[112] {escalated.reference}: ")
    url = settings.CC112_PORTAL_URL + reverse(
        "admin:incidents_incident_change", args=[escalated.pk]
    )
    assert url in message.body
    notification.refresh_from_db()
    assert (notification.email_attempts, notification.email_sent_at) == (1, sent_at)
    assert notification.email_claimed_at is None


def test_a_second_delivery_of_the_same_notification_sends_nothing(world, escalated):
    notification = notification_for(world.supervisor)
    notification_email_send(notification.pk)

    assert notification_email_send(notification.pk) == EmailStatus.SENT

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_attempts == 1


def test_a_recipient_who_removed_their_address_is_marked_no_address(world, escalated):
    world.supervisor.email = ""
    world.supervisor.save()

    assert notification_email_send(notification_for(world.supervisor).pk) == EmailStatus.NO_ADDRESS

    assert mail.outbox == []
    assert notification_for(world.supervisor).email_status == EmailStatus.NO_ADDRESS


def test_an_unknown_notification_is_reported_missing(db):
    assert notification_email_send(987654) == "missing"


def test_a_dropped_connection_puts_the_email_back_to_wait_for_a_retry(
    world, escalated, mail_server
):
    notification = notification_for(world.supervisor)
    mail_server(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))

    with pytest.raises(TransientDeliveryError):
        notification_email_send(notification.pk)

    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.PENDING
    assert notification.email_attempts == 1
    assert "SMTPServerDisconnected" in notification.email_error
    assert notification.email_claimed_at is None


def test_a_retry_after_a_dropped_connection_sends_the_email(
    world, escalated, mail_server, monkeypatch
):
    notification = notification_for(world.supervisor)
    mail_server(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    with pytest.raises(TransientDeliveryError):
        notification_email_send(notification.pk)
    monkeypatch.undo()

    assert notification_email_send(notification.pk) == EmailStatus.SENT

    notification.refresh_from_db()
    assert (notification.email_attempts, notification.email_error) == (2, "")
    assert len(mail.outbox) == 1


def test_a_busy_mail_server_4xx_is_retried(world, escalated, mail_server):
    mail_server(smtplib.SMTPResponseException(421, b"Service not available, try later"))

    with pytest.raises(TransientDeliveryError):
        notification_email_send(notification_for(world.supervisor).pk)

    assert notification_for(world.supervisor).email_status == EmailStatus.PENDING


def test_a_mailbox_refused_with_550_fails_for_good(world, escalated, mail_server):
    server = mail_server(
        smtplib.SMTPRecipientsRefused({"supervisor@example.org": (550, b"No such user")})
    )

    assert notification_email_send(notification_for(world.supervisor).pk) == EmailStatus.FAILED

    notification = notification_for(world.supervisor)
    assert notification.email_status == EmailStatus.FAILED
    assert "SMTPRecipientsRefused" in notification.email_error
    assert notification_email_send(notification.pk) == EmailStatus.FAILED
    assert server.calls == 1


def test_a_recipient_refused_only_for_now_is_retried(world, escalated, mail_server):
    mail_server(smtplib.SMTPRecipientsRefused({"supervisor@example.org": (450, b"Greylisted")}))

    with pytest.raises(TransientDeliveryError):
        notification_email_send(notification_for(world.supervisor).pk)

    assert notification_for(world.supervisor).email_status == EmailStatus.PENDING


def test_a_permanent_smtp_answer_fails_with_the_error_recorded(world, escalated, mail_server):
    mail_server(smtplib.SMTPResponseException(550, b"Mailbox unavailable"))

    assert notification_email_send(notification_for(world.supervisor).pk) == EmailStatus.FAILED

    notification = notification_for(world.supervisor)
    assert "550" in notification.email_error
    assert "Mailbox unavailable" in notification.email_error


def test_after_the_last_attempt_a_flaky_server_is_given_up_on(world, escalated, mail_server):
    notification = notification_for(world.supervisor)
    server = mail_server(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    for _ in range(MAX_EMAIL_ATTEMPTS - 1):
        with pytest.raises(TransientDeliveryError):
            notification_email_send(notification.pk)

    assert notification_email_send(notification.pk) == EmailStatus.FAILED

    notification.refresh_from_db()
    assert (notification.email_status, notification.email_attempts) == (
        EmailStatus.FAILED,
        MAX_EMAIL_ATTEMPTS,
    )
    assert notification_email_send(notification.pk) == EmailStatus.FAILED
    assert server.calls == MAX_EMAIL_ATTEMPTS


# --- The outbox sweep ----------------------------------------------------------------------------


def test_the_outbox_leaves_fresh_emails_to_their_own_message(world, escalated, after):
    after(seconds=60 + 10)

    assert outbox_pending_ids() == []


def test_the_outbox_picks_up_emails_whose_message_was_lost(world, duty_officer, escalated, after):
    after(seconds=60 + 31)

    assert sorted(outbox_pending_ids()) == sorted(
        [notification_for(world.supervisor).pk, notification_for(duty_officer).pk]
    )


def test_the_outbox_hands_out_again_a_send_whose_worker_died(world, escalated, after, mail_server):
    notification = notification_for(world.supervisor)
    mail_server(SystemExit())  # the worker is killed in the middle of talking to the server
    with pytest.raises(SystemExit):
        notification_email_send(notification.pk)
    assert notification_for(world.supervisor).email_status == EmailStatus.SENDING

    after(seconds=60 + 4 * 60)
    assert notification.pk not in outbox_pending_ids()
    assert notification_for(world.supervisor).email_status == EmailStatus.SENDING

    after(seconds=60 + 6 * 60)
    assert notification.pk in outbox_pending_ids()
    assert notification_for(world.supervisor).email_status == EmailStatus.PENDING


def test_a_hung_send_taken_over_by_another_worker_does_not_overwrite_its_outcome(
    world, escalated, after, monkeypatch
):
    notification = notification_for(world.supervisor)
    real_send = outbox.send_mail

    def hung_then_sent(*args, **kwargs):  # type: ignore[no-untyped-def]
        # While the first worker hangs, its claim goes stale and a second worker sends it.
        after(seconds=60 + 6 * 60)
        outbox_pending_ids()
        monkeypatch.setattr(outbox, "send_mail", real_send)
        assert notification_email_send(notification.pk) == EmailStatus.SENT
        raise smtplib.SMTPServerDisconnected("finally gave up")

    monkeypatch.setattr(outbox, "send_mail", hung_then_sent)
    with pytest.raises(TransientDeliveryError):
        notification_email_send(notification.pk)

    assert notification_for(world.supervisor).email_status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_an_email_is_not_sent_to_one_who_lost_the_case_meanwhile(world, duty_officer, escalated):
    dispatch_cancel(dispatch=escalated.dispatches.get(), actor=world.operator, reason="Salah")

    notification = notification_for(duty_officer)
    assert notification_email_send(notification.pk) == EmailStatus.WITHDRAWN
    assert mail.outbox == []


def test_the_outbox_task_delivers_what_is_waiting(world, duty_officer, escalated, after):
    after(minutes=5)

    assert sweep_outbox.delay().get() == 2

    assert sorted(m.to[0] for m in mail.outbox) == [
        "police_duty@example.org",
        "supervisor@example.org",
    ]
    assert outbox_pending_ids() == []


def test_sent_failed_and_addressless_emails_stay_out_of_the_outbox(
    world, duty_officer, escalated, after, mail_server
):
    notification_email_send(notification_for(world.supervisor).pk)
    mail_server(smtplib.SMTPResponseException(550, b"Mailbox unavailable"))
    notification_email_send(notification_for(duty_officer).pk)
    after(hours=1)

    assert outbox_pending_ids() == []


# --- Reading in the portal -----------------------------------------------------------------------


def test_each_person_sees_only_what_was_sent_to_them(world, duty_officer, escalated):
    assert [n.recipient for n in ladder_notifications().visible_to(world.supervisor)] == [
        world.supervisor
    ]
    assert [n.recipient for n in ladder_notifications().visible_to(duty_officer)] == [duty_officer]
    assert not ladder_notifications().visible_to(world.police_head).exists()
    assert not ladder_notifications().visible_to(AnonymousUser()).exists()


def test_an_alert_goes_away_with_the_case_when_the_dispatch_is_cancelled(
    world, duty_officer, escalated
):
    assert ladder_notifications().visible_to(duty_officer).count() == 1
    dispatch = escalated.dispatches.get()

    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")

    assert not ladder_notifications().visible_to(duty_officer).exists()
    assert ladder_notifications().visible_to(world.supervisor).count() == 1, "the centre keeps it"


def test_a_switched_off_account_sees_no_notifications(world, escalated):
    world.supervisor.is_active = False
    world.supervisor.save()

    assert not ladder_notifications().visible_to(world.supervisor).exists()


def test_marking_read_touches_only_the_readers_own_notifications(
    world, duty_officer, escalated, after
):
    others = notification_for(duty_officer)
    mine = notification_for(world.supervisor)
    read_at = after(minutes=3)

    assert notifications_mark_read(user=world.supervisor, ids=[mine.pk, others.pk]) == 1

    mine.refresh_from_db()
    others.refresh_from_db()
    assert mine.read_at == read_at
    assert others.read_at is None


def test_marking_all_read_marks_every_unread_one_of_the_reader(world, escalated, after):
    after(seconds=90)
    escalations_fire_due()  # level 2 tells the supervisor again
    assert ladder_notifications().visible_to(world.supervisor).unread().count() == 2

    assert notifications_mark_read(user=world.supervisor) == 2

    assert not ladder_notifications().visible_to(world.supervisor).unread().exists()
    assert ladder_notifications().unread().filter(recipient=world.police_head).count() == 1


def test_the_headline_names_the_level_the_agency_the_step_and_the_deadline(escalated):
    escalation = Escalation.objects.get()

    with translation.override("en"):
        headline = escalation_headline(escalation, escalation.clock)

    assert headline == (
        "Escalation level 1 (100% of target): Polresta has yet to acknowledge the dispatch; "
        "target 1 min, due 16-12-2025 10:01:00 WIT."
    )
