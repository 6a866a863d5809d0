"""Office hours per agency: written in the agencies file, validated at load, counted by the
calendar (commune police also open on Saturday mornings)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from motcua_catalogue import CatalogueError, OfficeHours, WorkingCalendar, load_catalogue
from motcua_catalogue.catalogue import default_catalogue
from tests.catalogue.test_catalogue import PROCEDURES_HEADER, procedure_row, write

VN = timezone(timedelta(hours=7))
POLICE = OfficeHours.model_validate("mon-fri 07:00-11:30 13:30-17:00; sat 07:00-11:30")


def at(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), VN)


def test_empty_office_hours_are_the_default_week():
    hours = OfficeHours.model_validate("")

    assert hours == OfficeHours()
    assert hours.as_dict()["mon"] == [["07:00", "11:30"], ["13:30", "17:00"]]
    assert hours.as_dict()["sat"] == []


def test_the_shipped_commune_police_open_on_saturday_mornings():
    police = default_catalogue().agencies["CAPCL"].office_hours

    assert police == POLICE
    assert default_catalogue().agencies["STP"].office_hours == OfficeHours()


@pytest.mark.parametrize("text, reason", [
    ("mon-fri 07:00-11:30 11:00-17:00", "mon: intervals must be increasing"),
    ("mon-fri 7h-11h", "'7h' is not a time"),
    ("mon-fri 07:00", "expected an interval"),
    ("fri-mon 07:00-11:30", "runs backwards"),
    ("mon-fri 07:00-11:30; fri 13:00-15:00", "fri is given twice"),
    ("someday 07:00-11:30", "expected days and intervals"),
    ("sat 11:00-07:00", "sat: intervals must be increasing"),
])
def test_bad_office_hours_are_refused_with_the_reason(text: str, reason: str):
    with pytest.raises(ValueError, match=reason):
        OfficeHours.model_validate(text)


def test_bad_office_hours_in_the_agencies_file_name_file_line_and_field(tmp_path: Path):
    agencies = write(tmp_path, "agencies.csv", "code,name,electronic_id,stages,office_hours",
                     "STP,Sở Tư pháp,000.00.15.H38,intake,",
                     "CAT,Công an tỉnh,000.00.25.H38,intake,mon-fri 7h-11h")
    procedures = write(tmp_path, "procedures.csv", PROCEDURES_HEADER, procedure_row())

    with pytest.raises(CatalogueError, match=rf"{agencies}:3: office_hours: .*'7h'"):
        load_catalogue(agencies, procedures)


def test_a_saturday_morning_counts_for_the_police_but_not_for_the_others():
    police = WorkingCalendar(office_hours=POLICE)

    # Saturday 14 March 2026, 09:00: 2.5 hours that morning, then 5.5 on Monday.
    assert police.due_at(at("2026-03-14", "09:00"), 1, "working_days") == at("2026-03-16", "14:30")
    assert WorkingCalendar().due_at(at("2026-03-14", "09:00"), 1, "working_days") == \
        at("2026-03-16", "17:00")


def test_same_day_intake_after_a_short_saturday_closes_is_due_the_next_working_day():
    police = WorkingCalendar(office_hours=POLICE)

    assert police.due_at(at("2026-03-14", "10:00"), 0, "same_day") == at("2026-03-14", "11:30")
    assert police.due_at(at("2026-03-14", "12:00"), 0, "same_day") == at("2026-03-16", "17:00")


def test_a_saturday_worked_in_exchange_is_a_full_day_even_for_the_police():
    police = WorkingCalendar(office_hours=POLICE)

    assert police.hours_on(date(2026, 8, 22)) == OfficeHours().on(0)
    assert police.hours_on(date(2026, 2, 14)) == ()  # a Saturday inside Tết stays closed
    assert police.hours_on(date(2026, 5, 2)) == ()  # and so does one after 1 May (Friday)
    assert police.hours_on(date(2026, 5, 9)) == POLICE.on(5)
