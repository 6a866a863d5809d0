"""Appointments (form 01): a procedure's time limit counted in working time, in +07:00."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue

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
    pytest.param("2025-08-29 16:00", 1, "working_days", "2025-09-03 16:00",
                 id="2_september_2025_and_1_september_before_it_are_days_off"),
    pytest.param("2026-09-01 16:00", 1, "working_days", "2026-09-03 17:00",
                 id="intake_on_1_september_2026_counts_from_the_next_opening"),
    pytest.param("2026-08-28 16:00", 1, "working_days", "2026-09-03 16:00",
                 id="2026_national_day_break_runs_31_august_to_2_september"),
    pytest.param("2026-02-13 10:00", 1, "working_days", "2026-02-23 10:00",
                 id="tet_2026_civil_servants_off_14_to_22_february"),
    pytest.param("2026-02-13 15:30", 0, "same_day", "2026-02-23 17:00",
                 id="same_day_after_the_cutoff_before_tet_is_due_after_tet"),
    pytest.param("2026-02-18 09:00", 2, "working_hours", "2026-02-23 09:00",
                 id="intake_during_tet_counts_from_the_first_morning_after_it"),
    pytest.param("2026-04-24 16:00", 1, "working_days", "2026-04-28 16:00",
                 id="hung_kings_day_on_sunday_26_april_2026_gives_monday_off"),
    pytest.param("2025-04-25 16:00", 1, "working_days", "2025-04-26 16:00",
                 id="the_shipped_working_saturday_26_april_2025_counts"),
    pytest.param("2026-02-10 10:00", 10, "calendar_days", "2026-02-23 17:00",
                 id="calendar_days_ending_in_tet_move_to_the_first_day_after_it"),
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
    # Tuesday 29 April; 30 April, 1 May (holidays), 2 May (swapped) and the weekend are off.
    due = CALENDAR.due_at(at("2025-04-29", "16:00"), 1, "working_days")

    assert due == at("2025-05-05", "16:00")
    undone = WorkingCalendar(overrides={date(2025, 5, 2): True})
    assert undone.due_at(at("2025-04-29", "16:00"), 1, "working_days") == at("2025-05-02", "16:00")


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
                                 "2026-09-01", "2027-05-03", "2026-03-14", "2026-03-15"])
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
            and any(start <= moment.time() <= end
                    for start, end in calendar.hours_on(moment.date())))


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


# Working hours between two moments (the control sheet's used time) and per-step deadlines.

@pytest.mark.parametrize("start, end, hours", [
    ("2026-03-10 09:00", "2026-03-10 14:00", 3.0),
    ("2026-03-13 16:00", "2026-03-16 08:00", 2.0),
    ("2026-02-13 16:00", "2026-02-23 07:30", 1.5),
    ("2026-03-10 18:00", "2026-03-10 20:00", 0.0),
    ("2026-03-10 14:00", "2026-03-10 09:00", 0.0),
])
def test_working_hours_between(start: str, end: str, hours: float):
    assert CALENDAR.working_hours_between(at(*start.split()), at(*end.split())) == hours


def test_step_deadlines_add_each_stages_hours_from_intake():
    # Land-use certificate already registered: 15 working days = 4 + 96 + 16 + 0 + 4 hours.
    procedure = default_catalogue().procedures["1.012790"]

    deadlines = CALENDAR.step_deadlines(procedure, at("2026-03-09", "07:00"))

    assert deadlines == {
        "intake": at("2026-03-09", "11:00"), "appraisal": at("2026-03-25", "11:00"),
        "approval": at("2026-03-27", "11:00"), "signing": at("2026-03-27", "11:00"),
        "delivery": at("2026-03-27", "17:00")}
    assert deadlines["delivery"] == CALENDAR.due_at(at("2026-03-09", "07:00"), 15, "working_days")


def test_same_day_step_deadlines_share_out_the_time_left_and_end_on_the_appointment():
    procedure = default_catalogue().procedures["1.001193"]  # birth registration, 1+4+1+1+1 hours

    deadlines = CALENDAR.step_deadlines(procedure, at("2026-03-10", "13:00"))

    # 13:30-17:00 is 3.5 working hours, shared 1/8, 4/8, 1/8, 1/8, 1/8.
    assert list(deadlines.values()) == [at("2026-03-10", t) for t in
                                        ("13:56:15", "15:41:15", "16:07:30", "16:33:45", "17:00")]


@settings(database=None, deadline=None, max_examples=60)
@given(received=MOMENTS, hours=st.floats(min_value=0, max_value=200, allow_nan=False))
def test_working_hours_between_undoes_add_working_hours(received, hours):
    due = CALENDAR.add_working_hours(received, hours)

    assert CALENDAR.working_hours_between(received, due) == pytest.approx(hours, abs=1e-6)


OVERRIDES = st.dictionaries(st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 3, 1)),
                            st.booleans(), max_size=40)
UNITS = st.sampled_from([("working_days", 30), ("working_hours", 200), ("calendar_days", 60),
                         ("same_day", 0)])


@settings(database=None, deadline=None, max_examples=150)
@given(received=MOMENTS, unit=UNITS, limit=st.integers(min_value=0, max_value=200),
       overrides=OVERRIDES, police=st.booleans())
def test_a_due_date_is_never_on_a_day_off_nor_before_intake(received, unit, limit, overrides,
                                                             police):
    hours = default_catalogue().agencies["CAPCL" if police else "STP"].office_hours
    calendar = WorkingCalendar(office_hours=hours, overrides=overrides)
    name, most = unit

    due = calendar.due_at(received, min(limit, most), name)

    assert calendar.is_working_day(due.astimezone(VN).date())
    assert in_office_hours(due, calendar)
    assert due >= received
