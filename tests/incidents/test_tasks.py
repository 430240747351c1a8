"""Beat's periodic work on cases."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.conf import settings
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_share
from incidents.tasks import expire_shares
from tests.factories import make_incident


def test_beat_sweeps_expired_shares_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["expire-shares"]
    assert entry["task"] == expire_shares.name
    assert entry["schedule"] == 60


def test_the_expiry_task_withdraws_an_expired_share(world):
    incident = make_incident(world.operator)
    incident_share(
        incident=incident,
        actor=world.supervisor,
        agency=world.health,
        reason="Koordinasi malam",
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6), tick=False):
        expire_shares.delay()
    assert not Incident.objects.visible_to(world.health_staff).exists()
