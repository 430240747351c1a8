"""Two writers on one case at the same moment never leave access the facts do not justify.

On PostgreSQL: each pair is held at the point where both have written and neither has
committed; the case lock makes the second wait for the first instead.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

import incidents.services.access as access_mod
import incidents.services.dispatch as dispatch_mod
from incidents.models import IncidentGroupObjectPermission, Share
from incidents.services import dispatch_cancel, incident_share, share_revoke, shares_expire_due
from tests.factories import make_dispatched_incident, make_incident
from tests.servers import require_postgres


def _run_pair(monkeypatch, first, second):
    barrier = threading.Barrier(2, timeout=5)
    broken = []
    real = access_mod.access_sync_agency

    def gated(**kw):
        try:
            barrier.wait()  # both writers have written, neither has committed
        except threading.BrokenBarrierError:
            broken.append(threading.current_thread().name)
        return real(**kw)

    monkeypatch.setattr(access_mod, "access_sync_agency", gated)
    monkeypatch.setattr(dispatch_mod, "access_sync_agency", gated)
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:
                errors.append(e)
            finally:
                connection.close()

        return run

    ts = [threading.Thread(target=wrap(f)) for f in (first, second)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("BROKEN", broken)
    return errors


@pytest.mark.django_db(transaction=True)
def test_revoke_and_cancel_at_once_leave_no_stale_grant(world, monkeypatch):
    require_postgres()
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    share = incident_share(
        incident=incident, actor=world.supervisor, reason="x", agency=world.police
    )
    errors = _run_pair(
        monkeypatch,
        lambda: share_revoke(share=share, actor=world.supervisor, reason="done"),
        lambda: dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="wrong"),
    )
    assert errors == []
    dispatch.refresh_from_db()
    assert dispatch.status == "cancelled"
    assert not Share.objects.active().filter(incident=incident, agency=world.police).exists()
    # Facts justify no access, yet the grant is still there:
    assert not IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group=world.police.group
    ).exists(), "police keeps the case: no dispatch in play, no active share"


@pytest.mark.django_db(transaction=True)
def test_revoke_and_a_new_share_at_once_keep_the_grant(world, monkeypatch):
    require_postgres()
    incident = make_incident(world.operator)
    old = incident_share(incident=incident, actor=world.supervisor, reason="a", agency=world.police)
    errors = _run_pair(
        monkeypatch,
        lambda: share_revoke(share=old, actor=world.supervisor, reason="done"),
        lambda: incident_share(
            incident=incident, actor=world.coordinator, reason="b", agency=world.police
        ),
    )
    assert errors == []
    assert Share.objects.active().filter(incident=incident, agency=world.police).exists()
    assert IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group=world.police.group
    ).exists(), "police has an active share but no grant"


@pytest.mark.django_db(transaction=True)
def test_expiry_sweep_and_a_cancelled_dispatch_leave_no_stale_grant(world, monkeypatch):
    require_postgres()
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    share = incident_share(
        incident=incident,
        actor=world.supervisor,
        reason="x",
        agency=world.police,
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    later = timezone.now() + dt.timedelta(minutes=10)
    errors = _run_pair(
        monkeypatch,
        lambda: shares_expire_due(now=later),
        lambda: dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="wrong"),
    )
    assert errors == []
    share.refresh_from_db()
    dispatch.refresh_from_db()
    assert share.revoked_at is not None and dispatch.status == "cancelled"
    assert not IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group=world.police.group
    ).exists(), "police keeps the case: no dispatch in play, no active share"


@pytest.mark.django_db(transaction=True)
def test_expiry_sweep_does_not_remove_a_grant_a_new_share_needs(world, monkeypatch):
    require_postgres()
    incident = make_incident(world.operator)
    incident_share(
        incident=incident,
        actor=world.supervisor,
        reason="a",
        agency=world.police,
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    later = timezone.now() + dt.timedelta(minutes=10)
    errors = _run_pair(
        monkeypatch,
        lambda: shares_expire_due(now=later),
        lambda: incident_share(
            incident=incident, actor=world.coordinator, reason="b", agency=world.police
        ),
    )
    assert errors == []
    assert Share.objects.active().filter(incident=incident, agency=world.police).exists()
    assert IncidentGroupObjectPermission.objects.filter(
        content_object=incident, group=world.police.group
    ).exists(), "police has an active share but no grant"
