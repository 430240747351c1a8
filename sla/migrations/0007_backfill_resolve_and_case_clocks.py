"""Backfill the clocks that 0006 introduced, from the record: each dispatch's T1→T4 and each
case's T0→T4 and T0→closed, so the reports measure cases taken before them too.

A backfilled clock that still runs points at its first rung not yet due: rungs that fell due
before the clock existed were never anyone's alert, and firing them now would flood people
with stale escalations.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

from sla.calendars import AlwaysOpen, OfficeHours
from sla.targets import DEFAULT_TARGETS

BATCH = 2000


def backfill(apps, schema_editor):
    Clock = apps.get_model("sla", "Clock")
    Target = apps.get_model("sla", "Target")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    Incident = apps.get_model("incidents", "Incident")
    Dispatch = apps.get_model("incidents", "Dispatch")

    targets = {}
    for row in Target.objects.all():
        targets[(row.kind, row.priority, row.category_id, row.agency_id)] = row.target

    def target_for(kind, priority, category_id, agency_id):
        for key in (
            (kind, priority, category_id, agency_id),
            (kind, priority, None, agency_id),
            (kind, priority, category_id, None),
            (kind, priority, None, None),
        ):
            if key in targets and (key[3] is None or agency_id is not None):
                return targets[key]
        return DEFAULT_TARGETS[kind][priority]

    steps = list(EscalationStep.objects.order_by("level").values_list("level", "percent"))
    now = timezone.now()

    def clock(*, incident, kind, started_at, target, calendar, agency_id=None, dispatch_id=None,
              stop=None, how=None, escalates=False):
        row = Clock(
            incident_id=incident.pk,
            dispatch_id=dispatch_id,
            kind=kind,
            agency_id=agency_id,
            target=target,
            working_time=isinstance(calendar, OfficeHours),
            office_week=calendar.as_json() if isinstance(calendar, OfficeHours) else None,
            started_at=started_at,
            due_at=calendar.add(started_at, target),
        )
        if stop is not None:
            stop = max(stop, started_at)
            row.elapsed = calendar.elapsed(started_at, stop)
            row.stopped_at = stop
            late = row.elapsed > target
            row.state = {
                "answered": "breached" if late else "met",
                "cancelled": "breached" if late else "withdrawn",
                "dropped": "withdrawn",
            }[how]
        elif escalates:
            for level, percent in steps:
                due = calendar.add(started_at, target * percent / 100)
                if due > now:
                    row.next_level, row.next_escalation_at = level, due
                    break
        return row

    # Each dispatch's T1→T4, on the calendar its acknowledge clock kept.
    weeks = dict(
        Clock.objects.filter(kind="acknowledge", office_week__isnull=False).values_list(
            "dispatch_id", "office_week"
        )
    )
    done = set(Clock.objects.filter(kind="resolve").values_list("dispatch_id", flat=True))
    rows = []
    for dispatch in Dispatch.objects.select_related("incident").iterator(chunk_size=BATCH):
        if dispatch.pk in done:
            continue
        case = dispatch.incident
        week = weeks.get(dispatch.pk)
        calendar = OfficeHours.from_json(week) if week else AlwaysOpen()
        stop, how = None, None
        if dispatch.status == "resolved":
            stop, how = dispatch.resolved_at, "answered"
        elif dispatch.status == "declined":
            stop, how = dispatch.closed_at, "dropped"
        elif dispatch.status == "cancelled":
            stop, how = dispatch.closed_at, "cancelled"
        rows.append(
            clock(
                incident=case,
                kind="resolve",
                started_at=dispatch.dispatched_at,
                target=target_for("resolve", case.priority, case.category_id, dispatch.agency_id),
                calendar=calendar,
                agency_id=dispatch.agency_id,
                dispatch_id=dispatch.pk,
                stop=stop,
                how=how,
                escalates=True,
            )
        )
        if len(rows) >= BATCH:
            Clock.objects.bulk_create(rows)
            rows = []

    # Each case's T0→T4 and T0→closed.
    have = set(
        Clock.objects.filter(kind__in=["handling", "closure"]).values_list("incident_id", "kind")
    )
    for case in Incident.objects.iterator(chunk_size=BATCH):
        closed = case.status == "closed"
        cancelled = case.status == "cancelled"
        if case.resolved_at is not None and case.status in ("resolved", "closed"):
            handling = (case.resolved_at, "answered")
        elif closed or cancelled:
            handling = (case.closed_at or case.received_at, "dropped")
        else:
            handling = (None, None)
        if closed:
            closure = (case.closed_at or case.received_at, "answered")
        elif cancelled:
            closure = (case.closed_at or case.received_at, "dropped")
        else:
            closure = (None, None)
        for kind, (stop, how) in (("handling", handling), ("closure", closure)):
            if (case.pk, kind) in have:
                continue
            rows.append(
                clock(
                    incident=case,
                    kind=kind,
                    started_at=case.received_at,
                    target=target_for(kind, case.priority, case.category_id, None),
                    calendar=AlwaysOpen(),
                    stop=stop,
                    how=how,
                )
            )
        if len(rows) >= BATCH:
            Clock.objects.bulk_create(rows)
            rows = []
    Clock.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("sla", "0006_resolve_and_case_clocks")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
