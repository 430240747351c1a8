from incidents.models import IncidentStatus
from tests.factories import make_dispatched_incident


def test_operator_dispatches_a_case_to_police(world):
    incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    assert incident.status == IncidentStatus.DISPATCHED
    assert dispatch.agency == world.police
