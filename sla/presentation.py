"""How clocks and escalations read to people: which step, whose, how late."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cc112.moments import local_moment
from incidents.models import CallOutcome
from sla.models import Clock, ClockKind, Escalation


def duration_text(value: timedelta) -> str:
    """1 j 05 mnt 03 dtk / 1 h 05 min 03 s; seconds matter for one-minute targets."""
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if minutes:
        parts.append(_("%(n)d min") % {"n": minutes})
    if secs or not parts:
        parts.append(_("%(n)d s") % {"n": secs})
    return " ".join(parts)


def step_text(kind: str) -> str:
    return {
        ClockKind.DISPATCH: _("dispatch the case"),
        ClockKind.ACKNOWLEDGE: _("acknowledge the dispatch"),
        ClockKind.ON_SCENE: _("arrive on scene"),
        ClockKind.RESOLVE: _("resolve the case (field report)"),
        ClockKind.HANDLING: _("have every agency's field report"),
        ClockKind.CLOSURE: _("close the case"),
    }[ClockKind(kind)]


def whose(clock: Clock) -> str:
    if clock.kind == ClockKind.HANDLING:
        return _("the case")
    if clock.kind == ClockKind.CLOSURE:
        return _("the 112 centre")
    if clock.agency_id is None:
        operator = clock.operator
        name = (operator.get_full_name() or operator.get_username()) if operator else ""
        return _("112 operator %(name)s") % {"name": name} if name else _("112 operator")
    return clock.agency.short_name


def escalation_headline(escalation: Escalation, clock: Clock) -> str:
    """What a rung tells its people; a rung read after its clock stopped (fired late, or an email
    sent after the step) says what happened since."""
    parts = {
        "level": escalation.level,
        "percent": escalation.percent,
        "whose": whose(clock),
        "step": step_text(clock.kind),
        "target": duration_text(clock.target),
        "due": local_moment(clock.due_at),
        "fell_due": local_moment(escalation.due_at),
    }
    if clock.is_running:
        headline = (
            _(
                "Escalation level %(level)s (%(percent)s%% of target): %(whose)s has yet to "
                "%(step)s; target %(target)s, due %(due)s."
            )
            % parts
        )
    else:
        headline = _(
            "Escalation level %(level)s (%(percent)s%% of target): %(whose)s had yet to "
            "%(step)s when it fell due at %(fell_due)s; target %(target)s. Since then: "
            "%(verdict)s."
        ) % {**parts, "verdict": clock_verdict(clock)}
    late = late_firing(escalation)
    return f"{headline} {late[:1].upper()}{late[1:]}." if late else headline


def dispatch_headline(dispatch: Any) -> str:
    """What an agency's members are told of a new dispatch to it."""
    incident = dispatch.incident
    place = ", ".join(part for part in (incident.kelurahan, incident.kecamatan) if part)
    return _("New case for %(agency)s: %(category)s, %(priority)s%(place)s, sent %(at)s.") % {
        "agency": dispatch.agency.short_name,
        "category": incident.category.name,
        "priority": incident.get_priority_display(),
        "place": f" — {place}" if place else "",
        "at": local_moment(dispatch.dispatched_at),
    }


def late_grace() -> timedelta:
    """How late a rung may fire and still be on time: the sweep runs every few seconds."""
    return max(timedelta(seconds=5), 2 * timedelta(seconds=settings.CC112_SLA_SWEEP_SECONDS))


def late_firing(escalation: Escalation) -> str:
    """'' for a rung fired on time; else how late it fired and why ("fired 41 s late: no sweep
    ran between 10:02:10 and 10:02:51")."""
    late = escalation.fired_at - escalation.due_at
    if late <= late_grace():
        return ""
    parts = {"late": duration_text(late), "due": local_moment(escalation.due_at)}
    previous, started = escalation.previous_sweep_at, escalation.sweep_started_at
    if started is not None and (previous is None or previous < escalation.due_at):
        return _("fired %(late)s late: no sweep ran between %(due)s and %(started)s") % {
            **parts,
            "started": local_moment(started),
        }
    if previous is not None:
        return _(
            "fired %(late)s late: the sweeps were behind (the one before finished at %(previous)s)"
        ) % {**parts, "previous": local_moment(previous)}
    return _("fired %(late)s late") % parts


def clock_verdict(clock: Clock, now=None) -> str:  # type: ignore[no-untyped-def]
    """The state in words: time left, overdue, met, or why it breached."""
    from sla.models import ClockState
    from sla.services.clocks import remaining

    now = now or timezone.now()
    if clock.state == ClockState.RUNNING:
        left = remaining(clock, now)
        # Past due_at is overdue even when no working time has passed since (office closed).
        if now <= clock.due_at:
            return _("%(left)s left (due %(due)s)") % {
                "left": duration_text(left),
                "due": local_moment(clock.due_at),
            }
        return _("Overdue by %(late)s: %(whose)s has yet to %(step)s (due %(due)s)") % {
            "late": duration_text(left),
            "whose": whose(clock),
            "step": step_text(clock.kind),
            "due": local_moment(clock.due_at),
        }
    if clock.state == ClockState.MET:
        return _("Met in %(elapsed)s") % {"elapsed": duration_text(clock.elapsed)}
    if clock.state == ClockState.BREACHED:
        return _(
            "Breached: %(whose)s took %(elapsed)s to %(step)s, %(late)s past the %(target)s target"
        ) % {
            "whose": whose(clock),
            "elapsed": duration_text(clock.elapsed),
            "step": step_text(clock.kind),
            "late": duration_text(clock.lateness or timedelta(0)),
            "target": duration_text(clock.target),
        }
    return _("Withdrawn after %(elapsed)s") % {"elapsed": duration_text(clock.elapsed)}


def breach_reason_of(user, clock: Clock) -> str:  # type: ignore[no-untyped-def]
    """Why the clock breached, as recorded, if ``user`` may read it ('' otherwise)."""
    from sla.models import BreachReason

    reason = (
        BreachReason.objects.visible_to(user)
        .filter(clock=clock)
        .select_related("recorded_by")
        .first()
    )
    if reason is None:
        return ""
    by = reason.recorded_by.get_full_name() or reason.recorded_by.get_username()
    return _("%(reason)s (%(by)s, %(at)s)") % {
        "reason": reason,
        "by": by,
        "at": local_moment(reason.recorded_at),
    }


CLOCK_STATE_COLOURS = {
    "running": "info",
    "met": "success",
    "breached": "danger",
    "withdrawn": "",
}


def case_clock_rows(user, incident) -> list[dict]:  # type: ignore[no-untyped-def]
    """A case's clocks as its page shows them: whose, which step, state and why; why a breach
    happened (the reason the reader may read), or the way to record it for whoever answers."""
    from sla.models import BreachReason
    from sla.services.breaches import answers_for, is_breached

    now = timezone.now()
    clocks = (
        Clock.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("agency", "operator")
        .prefetch_related("escalations")
        .order_by("started_at", "pk")
    )
    explained = set(BreachReason.objects.filter(clock__in=clocks).values_list("clock", flat=True))
    reasons = {
        reason.clock_id: str(reason)
        for reason in BreachReason.objects.visible_to(user).filter(clock__in=clocks)
    }
    rows = []
    for clock in clocks:
        overdue = clock.overdue_by(now) is not None
        rows.append(
            {
                "clock": clock,
                "whose": whose(clock),
                "target": duration_text(clock.target),
                "colour": "danger" if overdue else CLOCK_STATE_COLOURS.get(clock.state, ""),
                "verdict": clock_verdict(clock, now),
                "escalations": [
                    {"escalation": escalation, "late": late_firing(escalation)}
                    for escalation in clock.escalations.all()
                ],
                "breach_reason": reasons.get(clock.pk, ""),
                "may_explain": clock.pk not in explained
                and is_breached(clock, now)
                and answers_for(user, clock),
            }
        )
    return rows


# --- A scorecard, as a table ----------------------------------------------------------------------


def _count(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return formats.number_format(int(value))
    # number_format cuts the decimals it does not show; round first (2/3 reads 0.7, not 0.6).
    return formats.number_format(round(value, 1), 1)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{formats.number_format(round(value * 100), 0)}%"


def _seconds(value: float | None) -> str:
    return "-" if value is None else duration_text(timedelta(seconds=value))


# (label, key in the scorecard, how it reads); the centre's counts are per operator on duty.
FIGURES: tuple[tuple[Any, str, Any], ...] = (
    (gettext_lazy("Calls answered"), "calls_total", _count),
    *(
        (outcome.label, f"calls.{outcome.value}", _count)
        for outcome in CallOutcome  # type: ignore[attr-defined]
    ),
    (gettext_lazy("Cases created"), "cases_created", _count),
    (gettext_lazy("Median time to dispatch (T0→T1)"), "dispatch_median_seconds", _seconds),
    (gettext_lazy("90th percentile time to dispatch"), "dispatch_p90_seconds", _seconds),
    (gettext_lazy("Dispatched within target"), "dispatch_within_target", _share),
    (gettext_lazy("Dispatch targets missed"), "dispatch_breaches", _count),
    (gettext_lazy("Cases with a location"), "complete_location", _share),
    (gettext_lazy("Cases with a category"), "complete_category", _share),
    (gettext_lazy("Cases with a callback number"), "complete_callback", _share),
    (gettext_lazy("Corrections to their cases"), "corrections", _count),
    (gettext_lazy("Cases corrected"), "cases_corrected", _count),
)


def _figure(side: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        if not isinstance(side, dict):
            return None
        side = side.get(part)  # type: ignore[assignment]
    return side


def figure_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """A scorecard (``operator_scorecard``, or one frozen into an evaluation) as rows: what,
    the operator's figure, the centre's."""
    own, centre = metrics.get("own", {}), metrics.get("centre", {})
    return [
        {
            "label": label,
            "own": show(_figure(own, key)),
            "centre": show(_figure(centre, key)),
        }
        for label, key, show in FIGURES
    ]


# --- Service levels, as a table -------------------------------------------------------------------


def service_level_rows(levels: dict[str, dict[str, Any] | None], labels: dict[str, str]) -> list:
    """Distributions (``sla.scorecards.distribution``) as the reports' rows: what, how many
    were measured, the share within target, the median and 90th percentile as durations."""
    return [
        {
            "kind": kind,
            "label": labels[kind],
            "measured": _count((levels.get(kind) or {}).get("measured") or 0),
            "within": _share((levels.get(kind) or {}).get("within_target")),
            "median": _seconds((levels.get(kind) or {}).get("median_seconds")),
            "p90": _seconds((levels.get(kind) or {}).get("p90_seconds")),
        }
        for kind in labels
    ]
