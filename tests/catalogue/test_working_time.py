"""Appointments (form 01): a procedure's time limit counted in working time, in +07:00."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua_catalogue import WorkingCalendar

VN = timezone(timedelta(hours=7))
CALENDAR = WorkingCalendar()


def at(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), VN)


@pytest.mark.parametrize("received, limit, unit, due", [
    pytest.param("2026-03-10 09:00", 0, "same_day", "2026-03-10 17:00",
                 id="same_day_before_1500_is_due_1700_that_day"),
    pytest.param("2026-03-10 14:59", 0, "same_day", "2026-03-10 17:00",
                 id="same_day_one_minute_before_the_cutoff_is_due_that_day"),
    pytest.param("2026-03-10 15:00", 0, "same_day", "2026-03-11 17:00",
                 id="same_day_at_1500_is_due_next_working_day"),
    pytest.param("2026-03-10 16:30", 0, "same_day", "2026-03-11 17:00",
                 id="same_day_after_1500_is_due_next_working_day"),
    pytest.param("2026-03-13 15:30", 0, "same_day", "2026-03-16 17:00",
                 id="same_day_after_1500_on_friday_is_due_monday"),
    pytest.param("2026-03-14 10:00", 0, "same_day", "2026-03-16 17:00",
                 id="same_day_on_saturday_is_due_monday"),
    pytest.param("2026-03-13 17:30", 3, "working_days", "2026-03-18 17:00",
                 id="friday_1730_with_3_working_days_counts_from_monday_0700"),
    pytest.param("2026-03-10 12:00", 2, "working_hours", "2026-03-10 15:30",
                 id="intake_during_lunch_counts_from_1330"),
    pytest.param("2026-03-10 12:00", 1, "working_days", "2026-03-11 11:30",
                 id="one_working_day_from_lunch_ends_before_the_next_lunch"),
    pytest.param("2026-03-10 10:00", 1, "working_days", "2026-03-11 10:00",
                 id="one_working_day_from_1000_tuesday_is_1000_wednesday"),
    pytest.param("2026-03-10 06:00", 1, "working_days", "2026-03-10 17:00",
                 id="one_working_day_before_opening_ends_at_closing_that_day"),
    pytest.param("2026-03-10 09:00", 0, "working_days", "2026-03-10 09:00",
                 id="zero_working_days_during_office_hours_is_the_intake_time"),
    pytest.param("2026-04-29 16:00", 1, "working_days", "2026-05-04 16:00",
                 id="30_april_and_1_may_are_days_off"),
    pytest.param("2026-09-01 16:00", 1, "working_days", "2026-09-04 16:00",
                 id="2_september_and_the_adjacent_day_are_days_off"),
    pytest.param("2026-12-31 16:00", 1, "working_days", "2027-01-04 16:00",
                 id="1_january_is_a_day_off"),
    pytest.param("2027-04-29 16:00", 1, "working_days", "2027-05-04 16:00",
                 id="1_may_on_a_saturday_gives_monday_off"),
    pytest.param("2026-03-09 10:00", 5, "calendar_days", "2026-03-16 17:00",
                 id="calendar_days_ending_on_saturday_move_to_monday"),
    pytest.param("2026-04-20 10:00", 10, "calendar_days", "2026-05-04 17:00",
                 id="calendar_days_ending_on_30_april_move_past_the_holidays"),
    pytest.param("2026-03-10 10:00", 3, "calendar_days", "2026-03-13 17:00",
                 id="calendar_days_ending_on_a_working_day_end_at_closing"),
])
def test_due_at(received: str, limit: int, unit: str, due: str):
    assert CALENDAR.due_at(at(*received.split()), limit, unit) == at(*due.split())


def test_intake_time_in_another_offset_is_counted_in_vietnam_time():
    # 08:30 UTC on Tuesday is 15:30 in Lào Cai: past the same-day cut-off.
    received = datetime(2026, 3, 10, 8, 30, tzinfo=timezone.utc)

    assert CALENDAR.due_at(received, 0, "same_day") == at("2026-03-11", "17:00")


def test_a_working_saturday_override_counts_as_a_working_day():
    # 2025: Saturday 26 April was worked in exchange for Friday 2 May off.
    calendar = WorkingCalendar(overrides={date(2025, 4, 26): True, date(2025, 5, 2): False})

    due = calendar.due_at(at("2025-04-25", "16:00"), 1, "working_days")

    assert due == at("2025-04-26", "16:00")


def test_a_swapped_day_off_next_to_holidays_extends_the_break():
    calendar = WorkingCalendar(overrides={date(2025, 4, 26): True, date(2025, 5, 2): False})

    # Tuesday 29 April; 30 April, 1 May (holidays), 2 May (swapped) and the weekend are off.
    due = calendar.due_at(at("2025-04-29", "16:00"), 1, "working_days")

    assert due == at("2025-05-05", "16:00")
    without_swap = CALENDAR.due_at(at("2025-04-29", "16:00"), 1, "working_days")
    assert without_swap == at("2025-05-02", "16:00")


def test_an_extra_day_off_override_is_skipped():
    # Civil servants were off 14-22 February 2026 for Tết.
    tet = {date(2026, 2, 16) + timedelta(days=n): False for n in range(5)}
    calendar = WorkingCalendar(overrides=tet)

    one_day = calendar.due_at(at("2026-02-13", "10:00"), 1, "working_days")

    assert one_day == at("2026-02-23", "10:00")
    assert calendar.due_at(at("2026-02-13", "15:30"), 0, "same_day") == at("2026-02-23", "17:00")


def test_overrides_win_over_weekends_and_statutory_holidays():
    calendar = WorkingCalendar(overrides={date(2026, 3, 14): True, date(2026, 4, 30): True})

    assert calendar.is_working_day(date(2026, 3, 14))
    assert calendar.is_working_day(date(2026, 4, 30))
    assert not CALENDAR.is_working_day(date(2026, 3, 14))


@pytest.mark.parametrize("day", ["2026-01-01", "2026-04-30", "2026-05-01", "2026-09-02",
                                 "2026-09-03", "2027-05-03", "2026-03-14", "2026-03-15"])
def test_days_off(day: str):
    assert not CALENDAR.is_working_day(date.fromisoformat(day))


def test_an_unknown_limit_unit_is_refused():
    with pytest.raises(ValueError, match="fortnights"):
        CALENDAR.due_at(at("2026-03-10", "10:00"), 1, "fortnights")


# Properties: for any intake moment and limit, the appointment is a sensible office moment.

OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=OFFSETS)


def in_office_hours(moment: datetime, calendar: WorkingCalendar = CALENDAR) -> bool:
    """On a working day, between an opening and a closing (closing included), in +07:00."""
    return (moment.utcoffset() == timedelta(hours=7)
            and calendar.is_working_day(moment.date())
            and any(start <= moment.time() <= end for start, end in calendar.office_hours))


@settings(database=None, deadline=None)
@given(received=MOMENTS, limit=st.integers(min_value=0, max_value=30))
def test_working_day_appointments_fall_within_office_hours_of_a_working_day(received, limit):
    due = CALENDAR.due_at(received, limit, "working_days")

    assert in_office_hours(due)
    assert due >= received
    if limit:
        assert due > received
        assert due - received >= timedelta(hours=8 * limit)


@settings(database=None, deadline=None)
@given(received=MOMENTS, limit=st.integers(min_value=0, max_value=29))
def test_one_more_working_day_is_a_later_appointment(received, limit):
    assert (CALENDAR.due_at(received, limit + 1, "working_days")
            > CALENDAR.due_at(received, limit, "working_days"))


@settings(database=None, deadline=None)
@given(received=MOMENTS)
def test_same_day_appointments_are_at_closing_of_a_working_day_after_intake(received):
    due = CALENDAR.due_at(received, 0, "same_day")

    assert in_office_hours(due)
    assert due.astimezone(VN).time() == time(17, 0)
    assert due > received


@settings(database=None, deadline=None)
@given(received=MOMENTS, limit=st.integers(min_value=1, max_value=60))
def test_calendar_day_appointments_never_fall_on_a_day_off(received, limit):
    due = CALENDAR.due_at(received, limit, "calendar_days")

    assert in_office_hours(due)
    assert due > received
