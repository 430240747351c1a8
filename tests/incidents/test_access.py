"""Access to a case follows its dispatches and shares, recorded as guardian permissions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from cc112.errors import ActionForbidden, DomainError
from incidents.models import Incident, IncidentGroupObjectPermission, Share
from incidents.services import (
    dispatch_cancel,
    dispatch_decline,
    incident_cancel,
    incident_dispatch,
    incident_share,
    share_revoke,
    shares_expire_due,
)
from tests.factories import make_dispatched_incident, make_incident

User = get_user_model()


def sees(user, incident) -> bool:  # type: ignore[no-untyped-def]
    fresh = User.objects.get(pk=user.pk)  # as the next request loads them
    by_queryset = Incident.objects.visible_to(fresh).filter(pk=incident.pk).exists()
    by_guardian = fresh.has_perm("incidents.view_incident", incident)
    assert by_queryset == by_guardian, "visible_to and guardian must tell the same story"
    return by_queryset


def test_dispatching_grants_the_agency_through_its_group(world):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    grant = IncidentGroupObjectPermission.objects.get(content_object=incident)
    assert grant.group == world.police.group
    assert sees(world.police_staff, incident)
    assert sees(world.police_head, incident)
    assert not sees(world.health_staff, incident)


def test_an_agency_keeps_a_case_it_declined_or_resolved(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_decline(dispatch=dispatch, actor=world.police_staff, reason="Bukan kewenangan")
    assert sees(world.police_staff, incident)


def test_cancelling_the_dispatch_withdraws_access(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")
    assert not sees(world.police_staff, incident)
    assert not IncidentGroupObjectPermission.objects.filter(content_object=incident).exists()


def test_cancelling_the_case_withdraws_every_agency(world):
    incident, _ = make_dispatched_incident(world.operator, [world.police, world.health])
    incident_cancel(incident=incident, actor=world.operator, reason="Laporan ganda")
    assert not sees(world.police_staff, incident)
    assert not sees(world.health_staff, incident)


def test_a_shared_case_stays_visible_after_its_dispatch_is_cancelled(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    incident_share(
        incident=incident, actor=world.supervisor, agency=world.police, reason="Butuh data lokasi"
    )
    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Ditangani Basarnas")
    assert sees(world.police_staff, incident)


def test_supervisor_shares_a_case_with_another_agency_and_revokes_it(world):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    share = incident_share(
        incident=incident,
        actor=world.supervisor,
        agency=world.health,
        reason="Korban luka, Dinkes perlu tahu",
    )
    assert sees(world.health_staff, incident)

    share_revoke(share=share, actor=world.coordinator, reason="Tidak ada korban")
    assert not sees(world.health_staff, incident)
    assert sees(world.police_staff, incident), "the dispatched agency is untouched"
    rows = [(h.history_user, h.history_change_reason) for h in share.history.order_by("history_id")]
    assert rows == [
        (world.supervisor, "shared: Korban luka, Dinkes perlu tahu"),
        (world.coordinator, "revoked: Tidak ada korban"),
    ]


def test_revoking_a_share_keeps_access_the_dispatch_gives(world):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    share = incident_share(
        incident=incident, actor=world.supervisor, agency=world.police, reason="Tambahan"
    )
    share_revoke(share=share, actor=world.supervisor)
    assert sees(world.police_staff, incident)


def test_a_case_shared_with_one_person_is_theirs_alone(world):
    incident = make_incident(world.operator)
    incident_share(
        incident=incident, actor=world.supervisor, user=world.police_head, reason="Audit"
    )
    assert sees(world.police_head, incident)
    assert not sees(world.police_staff, incident), "not the rest of the person's agency"


@pytest.mark.parametrize("persona", ["outsider", "inactive", "operator"])
def test_a_case_is_shared_only_with_someone_in_a_partner_agency(world, persona):
    incident = make_incident(world.operator)
    with pytest.raises(ValidationError) as refused:
        incident_share(
            incident=incident, actor=world.supervisor, user=getattr(world, persona), reason="x"
        )
    assert "user" in refused.value.message_dict
    assert not Share.objects.exists()


@pytest.mark.parametrize("persona", ["operator", "police_head", "health_staff", "outsider"])
def test_only_supervisors_and_coordinators_share(world, persona):
    incident = make_incident(world.operator)
    with pytest.raises(ActionForbidden):
        incident_share(
            incident=incident, actor=getattr(world, persona), agency=world.health, reason="x"
        )
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reason": "x"},
        {"reason": "", "agency": "health"},
        {"reason": "x", "agency": "health", "user": "police_staff"},
        {"reason": "x", "agency": "centre"},
        {"reason": "x", "agency": "health", "expires_at": "past"},
    ],
)
def test_a_share_needs_one_target_a_reason_and_a_future_expiry(world, kwargs):
    incident = make_incident(world.operator)
    kwargs = dict(kwargs)
    if "agency" in kwargs:
        kwargs["agency"] = getattr(world, kwargs["agency"])
    if "user" in kwargs:
        kwargs["user"] = getattr(world, kwargs["user"])
    if kwargs.get("expires_at") == "past":
        kwargs["expires_at"] = timezone.now() - dt.timedelta(minutes=1)
    with pytest.raises(ValidationError):
        incident_share(incident=incident, actor=world.supervisor, **kwargs)
    assert not Share.objects.exists()


def test_a_share_cannot_be_revoked_twice(world):
    incident = make_incident(world.operator)
    share = incident_share(
        incident=incident, actor=world.supervisor, agency=world.health, reason="x"
    )
    share_revoke(share=share, actor=world.supervisor)
    with pytest.raises(DomainError):
        share_revoke(share=share, actor=world.supervisor)


def test_an_expired_share_is_revoked_by_the_sweep_once(world):
    incident = make_incident(world.operator)
    now = timezone.now()
    share = incident_share(
        incident=incident,
        actor=world.supervisor,
        agency=world.health,
        reason="Sampai pagi",
        expires_at=now + dt.timedelta(hours=1),
    )
    assert shares_expire_due(now=now) == 0
    assert sees(world.health_staff, incident)

    with time_machine.travel(now + dt.timedelta(hours=1, seconds=1), tick=False):
        assert shares_expire_due() == 1
        assert shares_expire_due() == 0, "a second sweep finds nothing left to do"
    share.refresh_from_db()
    assert share.revoked_by.username == "system"
    assert share.revoke_reason == "expired"
    assert not sees(world.health_staff, incident)


def test_a_redispatch_after_cancel_grants_again(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Keliru")
    incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
    assert sees(world.police_staff, incident)
