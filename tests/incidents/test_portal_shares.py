"""A supervisor shares a case with another agency from the case page, then revokes it."""

from __future__ import annotations

from django.urls import reverse

from incidents.models import Share
from tests.factories import make_dispatched_incident


def test_supervisor_shares_a_case_and_the_agency_sees_it_until_revoked(world, client):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    case_url = reverse("admin:incidents_incident_change", args=[incident.pk])

    client.force_login(world.health_staff)
    assert client.get(case_url).status_code == 404

    client.force_login(world.supervisor)
    response = client.post(
        reverse("admin:incidents_incident_share_case", args=[incident.pk]),
        {"agency": world.health.pk, "reason": "Korban perlu ambulans"},
    )
    assert response.status_code == 302
    share = Share.objects.get()
    assert share.agency == world.health
    assert "Korban perlu ambulans" in client.get(case_url).content.decode()

    client.force_login(world.health_staff)
    assert client.get(case_url).status_code == 200

    client.force_login(world.coordinator)
    response = client.post(
        reverse("admin:incidents_share_revoke_share", args=[share.pk]), {"reason": "Selesai"}
    )
    assert response.status_code == 302
    client.force_login(world.health_staff)
    assert client.get(case_url).status_code == 404

    client.force_login(world.supervisor)
    history = client.get(reverse("admin:incidents_incident_history", args=[incident.pk]))
    assert "shared: Korban perlu ambulans" in history.content.decode()
    assert "revoked: Selesai" in history.content.decode()


def test_a_share_without_reason_or_target_is_a_form_error(world, client):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    client.force_login(world.supervisor)
    url = reverse("admin:incidents_incident_share_case", args=[incident.pk])
    assert client.post(url, {"agency": world.health.pk}).status_code == 200
    assert client.post(url, {"reason": "Tanpa tujuan"}).status_code == 200
    assert not Share.objects.exists()


def test_an_operator_cannot_share(world, client):
    incident, _ = make_dispatched_incident(world.operator, [world.police])
    client.force_login(world.operator)
    response = client.post(
        reverse("admin:incidents_incident_share_case", args=[incident.pk]),
        {"agency": world.health.pk, "reason": "x"},
    )
    assert response.status_code == 403
    assert not Share.objects.exists()
