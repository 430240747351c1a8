"""Every allowed and every refused status change, through the services that make them."""

from __future__ import annotations

import itertools

import pytest

from cc112.errors import DomainError, TransitionRefused
from incidents.models import Dispatch, DispatchStatus, IncidentStatus
from incidents.services import (
    dispatch_acknowledge,
    dispatch_cancel,
    dispatch_decline,
    dispatch_mark_en_route,
    dispatch_mark_on_scene,
    dispatch_resolve,
    incident_cancel,
    incident_close,
    incident_dispatch,
    incident_reopen,
)
from incidents.transitions import (
    DISPATCH_TRANSITIONS,
    INCIDENT_TRANSITIONS,
    check_dispatch_transition,
    check_incident_transition,
    status_from_dispatches,
)
from tests.factories import make_dispatched_incident, make_incident

D = DispatchStatus
S = IncidentStatus


def _do(step: str, dispatch: Dispatch, world) -> Dispatch:  # type: ignore[no-untyped-def]
    """Take one step on a dispatch the way its agency (or, to cancel, the centre) would."""
    staff = world.police_staff
    if step == D.ACKNOWLEDGED:
        return dispatch_acknowledge(dispatch=dispatch, actor=staff)
    if step == D.EN_ROUTE:
        return dispatch_mark_en_route(dispatch=dispatch, actor=staff)
    if step == D.ON_SCENE:
        return dispatch_mark_on_scene(dispatch=dispatch, actor=staff)
    if step == D.RESOLVED:
        return dispatch_resolve(dispatch=dispatch, actor=staff, resolution="Pelaku diamankan")
    if step == D.DECLINED:
        return dispatch_decline(dispatch=dispatch, actor=staff, reason="Bukan wilayah kami")
    if step == D.CANCELLED:
        return dispatch_cancel(dispatch=dispatch, actor=world.operator, reason="Salah instansi")
    raise AssertionError(step)


PATH_TO = {
    D.PENDING: [],
    D.ACKNOWLEDGED: [D.ACKNOWLEDGED],
    D.EN_ROUTE: [D.ACKNOWLEDGED, D.EN_ROUTE],
    D.ON_SCENE: [D.ACKNOWLEDGED, D.ON_SCENE],
    D.RESOLVED: [D.ACKNOWLEDGED, D.RESOLVED],
    D.DECLINED: [D.DECLINED],
    D.CANCELLED: [D.CANCELLED],
}
STEPPABLE = [s for s in D if s != D.PENDING]


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(list(D), STEPPABLE)), ids=lambda s: str(s)
)
def test_dispatch_step_is_taken_exactly_when_the_table_allows_it(world, current, target):
    _incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
    for step in PATH_TO[current]:
        dispatch = _do(step, dispatch, world)
    assert dispatch.status == current
    history_before = dispatch.history.count()

    if target in DISPATCH_TRANSITIONS[current]:
        dispatch = _do(target, dispatch, world)
        assert dispatch.status == target
        assert dispatch.history.count() == history_before + 1
    else:
        with pytest.raises(TransitionRefused) as refused:
            _do(target, dispatch, world)
        assert refused.value.current == current
        assert refused.value.target == target
        dispatch.refresh_from_db()
        assert dispatch.status == current
        assert dispatch.history.count() == history_before


def test_no_dispatch_ever_returns_to_pending():
    for current in D:
        with pytest.raises(TransitionRefused):
            check_dispatch_transition(current, D.PENDING)


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(list(S), list(S))), ids=lambda s: str(s)
)
def test_incident_table_is_the_only_judge(current, target):
    if target in INCIDENT_TRANSITIONS[current]:
        check_incident_transition(current, target)
    else:
        with pytest.raises(TransitionRefused):
            check_incident_transition(current, target)


def test_refused_transition_names_both_states_in_the_users_language():
    with pytest.raises(TransitionRefused) as refused:
        check_dispatch_transition(D.RESOLVED, D.ACKNOWLEDGED)
    assert "Resolved" in refused.value.message or "Selesai" in refused.value.message


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], S.RECEIVED),
        ([D.PENDING], S.DISPATCHED),
        ([D.PENDING, D.ACKNOWLEDGED], S.IN_PROGRESS),
        ([D.RESOLVED, D.PENDING], S.IN_PROGRESS),
        ([D.RESOLVED, D.DECLINED], S.RESOLVED),
        ([D.RESOLVED, D.CANCELLED, D.RESOLVED], S.RESOLVED),
        ([D.DECLINED, D.CANCELLED], S.RECEIVED),
        ([D.ON_SCENE], S.IN_PROGRESS),
    ],
)
def test_case_status_follows_its_dispatches(statuses, expected):
    assert status_from_dispatches(statuses) == expected


class TestTheLifeOfACase:
    def test_received_case_is_dispatched_then_in_progress_then_resolved(self, world):
        incident, [police, health] = make_dispatched_incident(
            world.operator, [world.police, world.health]
        )
        assert incident.status == S.DISPATCHED
        assert incident.first_dispatched_at == police.dispatched_at

        dispatch_acknowledge(dispatch=police, actor=world.police_staff)
        incident.refresh_from_db()
        assert incident.status == S.IN_PROGRESS

        dispatch_acknowledge(dispatch=health, actor=world.health_staff)
        dispatch_resolve(dispatch=police, actor=world.police_staff, resolution="Aman")
        incident.refresh_from_db()
        assert incident.status == S.IN_PROGRESS, "health is still working on it"

        dispatch_resolve(dispatch=health, actor=world.health_staff, resolution="Dirujuk ke RS")
        incident.refresh_from_db()
        assert incident.status == S.RESOLVED
        assert incident.resolved_at is not None

    def test_case_declined_by_every_agency_goes_back_to_the_operator(self, world):
        incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
        dispatch_decline(dispatch=dispatch, actor=world.police_staff, reason="Bukan kewenangan")
        incident.refresh_from_db()
        assert incident.status == S.RECEIVED

        incident_dispatch(incident=incident, agencies=[world.health], actor=world.operator)
        incident.refresh_from_db()
        assert incident.status == S.DISPATCHED

    def test_declined_agency_can_be_sent_the_case_again(self, world):
        incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
        dispatch_decline(dispatch=dispatch, actor=world.police_staff, reason="Salah alamat")
        [again] = incident_dispatch(
            incident=incident, agencies=[world.police], actor=world.operator
        )
        assert again.status == D.PENDING

    def test_resolved_case_sent_to_another_agency_is_open_again(self, world):
        incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
        dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
        dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Selesai")
        incident_dispatch(incident=incident, agencies=[world.health], actor=world.operator)
        incident.refresh_from_db()
        assert incident.status == S.IN_PROGRESS
        assert incident.resolved_at is None

    def test_supervisor_closes_a_resolved_case_and_reopens_it(self, world):
        incident, [dispatch] = make_dispatched_incident(world.operator, [world.police])
        dispatch_acknowledge(dispatch=dispatch, actor=world.police_staff)
        dispatch_resolve(dispatch=dispatch, actor=world.police_staff, resolution="Selesai")
        incident_close(incident=incident, actor=world.supervisor)
        incident.refresh_from_db()
        assert incident.status == S.CLOSED
        assert incident.closed_by == world.supervisor

        incident_reopen(incident=incident, actor=world.supervisor, reason="Pelapor menelepon lagi")
        incident.refresh_from_db()
        assert incident.status == S.RESOLVED
        assert incident.closed_at is None

    def test_information_case_is_closed_by_the_operator_with_a_note(self, world):
        incident = make_incident(world.operator)
        with pytest.raises(Exception) as missing_note:
            incident_close(incident=incident, actor=world.operator)
        assert "note" in missing_note.value.message_dict
        incident_close(incident=incident, actor=world.operator, note="Informasi diberikan")
        incident.refresh_from_db()
        assert incident.status == S.CLOSED
        assert incident.notes.get().body == "Informasi diberikan"

    def test_case_with_an_agency_still_working_cannot_be_closed(self, world):
        incident, _ = make_dispatched_incident(world.operator, [world.police])
        with pytest.raises(DomainError) as refused:
            incident_close(incident=incident, actor=world.supervisor, note="Tutup")
        assert "Polresta" in refused.value.message
        incident.refresh_from_db()
        assert incident.status == S.DISPATCHED

    def test_cancelling_a_case_cancels_its_open_dispatches(self, world):
        incident, [police, health] = make_dispatched_incident(
            world.operator, [world.police, world.health]
        )
        dispatch_acknowledge(dispatch=health, actor=world.health_staff)
        dispatch_resolve(dispatch=health, actor=world.health_staff, resolution="Selesai")
        incident_cancel(incident=incident, actor=world.operator, reason="Laporan ganda")
        incident.refresh_from_db()
        police.refresh_from_db()
        health.refresh_from_db()
        assert incident.status == S.CANCELLED
        assert police.status == D.CANCELLED
        assert health.status == D.RESOLVED, "finished work stays on record"

    @pytest.mark.parametrize("final", [S.CLOSED, S.CANCELLED])
    def test_a_finished_case_refuses_further_work(self, world, final):
        incident = make_incident(world.operator)
        if final == S.CLOSED:
            incident_close(incident=incident, actor=world.operator, note="Informasi")
        else:
            incident_cancel(incident=incident, actor=world.operator, reason="Iseng")
        with pytest.raises(DomainError):
            incident_dispatch(incident=incident, agencies=[world.police], actor=world.operator)
        with pytest.raises(TransitionRefused):
            incident_cancel(incident=incident, actor=world.operator, reason="lagi")
        with pytest.raises(TransitionRefused):
            incident_close(incident=incident, actor=world.operator, note="lagi")
        assert incident.dispatches.count() == 0

    def test_only_a_closed_case_can_be_reopened(self, world):
        incident = make_incident(world.operator)
        with pytest.raises(TransitionRefused):
            incident_reopen(incident=incident, actor=world.supervisor, reason="?")
        incident_cancel(incident=incident, actor=world.operator, reason="Iseng")
        with pytest.raises(TransitionRefused):
            incident_reopen(incident=incident, actor=world.supervisor, reason="?")
