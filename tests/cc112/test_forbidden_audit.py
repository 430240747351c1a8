"""A forbidden action on a visible case is answered 403 and logged with who, what and which."""

from __future__ import annotations

import logging

from django.urls import reverse

from tests.factories import make_dispatched_incident


def test_agency_forcing_a_change_to_a_case_is_refused_and_logged(world, client, caplog):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    client.force_login(world.police_staff)
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    with caplog.at_level(logging.WARNING, logger="cc112.access"):
        response = client.post(url, {"priority": 1, "description": "diubah"})
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "cc112.access"]
    line = record.getMessage()
    assert "user=police" in line
    assert "method=POST" in line
    assert "admin:incidents_incident_change" in line
    assert str(incident.pk) in line
    incident.refresh_from_db()
    assert incident.description != "diubah"


def test_an_out_of_scope_case_is_a_quiet_404(world, client, caplog):
    incident, _ = make_dispatched_incident(world.operator, [world.health])
    client.force_login(world.police_staff)
    with caplog.at_level(logging.WARNING, logger="cc112.access"):
        response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert response.status_code == 404
    assert not [r for r in caplog.records if r.name == "cc112.access"]
