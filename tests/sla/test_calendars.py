"""Which moments a clock counts: every second at 24/7 services, opening hours at city offices."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import holidays
import pytest

from agencies.models import AgencyKind, WorkingHours
from sla.calendars import AlwaysOpen, OfficeHours
from sla.models import OfficeDay, Weekday
from sla.services import calendar_for
from tests.factories import AgencyFactory

WIT = zoneinfo.ZoneInfo("Asia/Jayapura")
UTC = dt.UTC


def wit(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIT)


def test_a_24_7_service_counts_every_second_through_the_night():
    calendar = AlwaysOpen()
    late_evening = wit(2025, 12, 20, 23, 50)  # a Saturday

    assert calendar.add(late_evening, dt.timedelta(minutes=15)) == wit(2025, 12, 21, 0, 5)
    assert calendar.elapsed(late_evening, wit(2025, 12, 21, 0, 5)) == dt.timedelta(minutes=15)
    assert calendar.counts_working_time is False


def test_a_24_7_clock_never_counts_backwards():
    calendar = AlwaysOpen()
    assert calendar.elapsed(wit(2025, 12, 20, 10, 0), wit(2025, 12, 20, 9, 0)) == dt.timedelta(0)


def test_an_office_target_started_friday_afternoon_runs_over_the_weekend_into_monday():
    office = OfficeHours()
    friday_four_pm = wit(2025, 12, 19, 16, 0)

    # Friday closes at 16:30: half an hour on Friday, the other ninety minutes on Monday.
    due = office.add(friday_four_pm, dt.timedelta(hours=2))

    assert due == wit(2025, 12, 22, 9, 0)
    assert office.elapsed(friday_four_pm, due) == dt.timedelta(hours=2)
    assert office.elapsed(friday_four_pm, wit(2025, 12, 21, 23, 59)) == dt.timedelta(minutes=30)


def test_a_report_before_opening_starts_counting_when_the_office_opens():
    office = OfficeHours()
    before_dawn = wit(2025, 12, 16, 6, 0)  # Tuesday; the office opens at 07:30

    assert office.add(before_dawn, dt.timedelta(minutes=15)) == wit(2025, 12, 16, 7, 45)
    assert office.elapsed(before_dawn, wit(2025, 12, 16, 8, 0)) == dt.timedelta(minutes=30)


def test_an_indonesian_public_holiday_on_a_weekday_is_not_counted():
    christmas = dt.date(2025, 12, 25)
    assert christmas.weekday() == Weekday.THURSDAY
    assert christmas in holidays.country_holidays("ID", years=2025)
    office = OfficeHours()
    wednesday_afternoon = wit(2025, 12, 24, 15, 30)

    due = office.add(wednesday_afternoon, dt.timedelta(hours=1))

    # 30 minutes on Wednesday, none on Christmas Day, the rest on Friday morning.
    assert due == wit(2025, 12, 26, 8, 0)
    assert office.elapsed(wednesday_afternoon, due) == dt.timedelta(hours=1)
    assert office.elapsed(wit(2025, 12, 25, 0, 0), wit(2025, 12, 26, 0, 0)) == dt.timedelta(0)


def test_elapsed_office_time_skips_the_nights():
    office = OfficeHours()
    monday_three_pm = wit(2025, 12, 15, 15, 0)
    wednesday_half_past_eight = wit(2025, 12, 17, 8, 30)

    # Monday 15:00–16:00, all of Tuesday (07:30–16:00), Wednesday 07:30–08:30.
    expected = dt.timedelta(hours=1) + dt.timedelta(hours=8, minutes=30) + dt.timedelta(hours=1)
    assert office.elapsed(monday_three_pm, wednesday_half_past_eight) == expected


def test_office_times_stored_in_utc_are_counted_on_the_wit_clock():
    office = OfficeHours()
    # 07:45 UTC on Friday is 16:45 WIT: the office has closed, though 07:45 looks like a
    # working morning to a clock on UTC.
    after_closing = dt.datetime(2025, 12, 19, 7, 45, tzinfo=UTC)

    due = office.add(after_closing, dt.timedelta(minutes=10))

    assert due == wit(2025, 12, 22, 7, 40)
    assert due == dt.datetime(2025, 12, 21, 22, 40, tzinfo=UTC)
    # 23:00 UTC on Monday is Tuesday 08:00 WIT: the office is open.
    assert office.add(dt.datetime(2025, 12, 15, 23, 0, tzinfo=UTC), dt.timedelta(minutes=30)) == (
        wit(2025, 12, 16, 8, 30)
    )


def test_a_week_without_any_opening_hour_is_refused():
    with pytest.raises(ValueError):
        OfficeHours(week={0: (dt.time(9, 0), dt.time(9, 0))})


@pytest.fixture
def social_office(db):  # type: ignore[no-untyped-def]
    return AgencyFactory(
        code="dinsos",
        short_name="Dinsos",
        kind=AgencyKind.CITY_OFFICE,
        working_hours=WorkingHours.OFFICE,
    )


def test_the_centre_and_24_7_agencies_count_every_second(world):
    assert isinstance(calendar_for(None), AlwaysOpen)
    assert isinstance(calendar_for(world.police), AlwaysOpen)


def test_an_office_agency_without_its_own_days_keeps_the_civil_service_week(social_office):
    calendar = calendar_for(social_office)

    assert calendar.counts_working_time is True
    assert calendar.add(wit(2025, 12, 19, 16, 0), dt.timedelta(hours=2)) == wit(2025, 12, 22, 9, 0)


def test_an_agencys_own_office_days_replace_the_civil_service_week(social_office):
    # Dinsos keeps a Saturday-morning desk and closes on Fridays.
    for weekday in (Weekday.MONDAY, Weekday.SATURDAY):
        OfficeDay.objects.create(
            agency=social_office, weekday=weekday, opens=dt.time(8, 0), closes=dt.time(12, 0)
        )
    calendar = calendar_for(social_office)
    friday_morning = wit(2025, 12, 19, 10, 0)

    assert calendar.add(friday_morning, dt.timedelta(hours=1)) == wit(2025, 12, 20, 9, 0)
    # Saturday 08:00–12:00, then Monday from 08:00.
    assert calendar.add(friday_morning, dt.timedelta(hours=5)) == wit(2025, 12, 22, 9, 0)
    assert calendar.elapsed(wit(2025, 12, 16, 0, 0), wit(2025, 12, 19, 23, 0)) == dt.timedelta(0)
