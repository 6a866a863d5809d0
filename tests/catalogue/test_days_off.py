"""The statutory holidays (Labour Code 2019 art. 112, compensation art. 111(3)) and the shipped
government decisions, checked against the days civil servants were really off in 2024-2026."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from motcua_catalogue import CatalogueError, WorkingCalendar
from motcua_catalogue.days_off import statutory_days_off
from motcua_catalogue.year_calendar import exceptional_days, government_days, load_government_days

CALENDAR = WorkingCalendar()


def days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


# What the government's notices gave civil servants, and the working days around the breaks.
OFF = [
    "2024-01-01", *days("2024-02-08", "2024-02-14"), "2024-04-18",
    *days("2024-04-27", "2024-05-01"),
    *days("2024-08-31", "2024-09-03"),
    "2025-01-01", *days("2025-01-25", "2025-02-02"), "2025-04-07",
    *days("2025-04-30", "2025-05-04"),
    *days("2025-08-30", "2025-09-02"),
    "2026-01-01", *days("2026-02-14", "2026-02-22"), *days("2026-04-25", "2026-04-27"),
    *days("2026-04-30", "2026-05-03"), *days("2026-08-29", "2026-09-02"), "2026-11-24",
]
WORKING = [
    "2024-02-07", "2024-02-15", "2024-04-26", "2024-05-02", "2024-05-04", "2024-09-04",
    "2025-01-24", "2025-02-03", "2025-04-26", "2025-04-29", "2025-05-05", "2025-09-03",
    "2026-02-13", "2026-02-23", "2026-04-28", "2026-08-22", "2026-08-28", "2026-09-03",
]


@pytest.mark.parametrize("day", OFF)
def test_a_day_civil_servants_were_off_is_not_a_working_day(day: str):
    assert not CALENDAR.is_working_day(date.fromisoformat(day))


@pytest.mark.parametrize("day", WORKING)
def test_a_working_day_next_to_a_break_is_a_working_day(day: str):
    assert CALENDAR.is_working_day(date.fromisoformat(day))


@pytest.mark.parametrize("year, hung_kings", [(2024, "2024-04-18"), (2025, "2025-04-07"),
                                              (2026, "2026-04-26")])
def test_hung_kings_day_is_the_10th_of_the_3rd_lunar_month(year: int, hung_kings: str):
    assert statutory_days_off(year)[date.fromisoformat(hung_kings)].startswith("Giỗ Tổ")


@pytest.mark.parametrize("year, first, last", [(2024, "2024-02-08", "2024-02-14"),
                                               (2025, "2025-01-27", "2025-01-31"),
                                               (2026, "2026-02-16", "2026-02-20")])
def test_tet_is_five_weekdays_off_with_weekends_compensated(year: int, first: str, last: str):
    tet = [d for d, name in statutory_days_off(year).items() if "Tết Nguyên đán" in name]
    weekdays = sorted(d.isoformat() for d in tet if d.weekday() < 5)
    assert weekdays[0] == first and weekdays[-1] == last and len(weekdays) == 5


@pytest.mark.parametrize("year", range(2021, 2100))
def test_the_rule_and_the_shipped_decisions_agree_with_the_holidays_library(year: int):
    library = set(holidays.country_holidays("VN", years=year))
    decided_off = {d for d, decision in government_days().items()
                   if d.year == year and not decision.working}
    assert set(statutory_days_off(year)) | decided_off == library


def test_a_year_without_lunar_tables_is_refused():
    with pytest.raises(ValueError, match="2101"):
        statutory_days_off(2101)


def test_a_years_exceptional_days_name_their_layer():
    entries = {e.day.isoformat(): e for e in exceptional_days(2026, {})}

    assert entries["2026-02-17"].source == "statutory" and not entries["2026-02-17"].working
    assert entries["2026-08-22"].source == "government" and entries["2026-08-22"].working
    assert "2026-02-14" not in entries  # a plain Saturday is no exception


def test_a_bad_government_days_file_names_file_line_and_reason(tmp_path: Path):
    path = tmp_path / "government_days.csv"
    path.write_text("date,working,reason\n2026-08-31,off,swap\n2026-08-22,maybe,swap\n")
    with pytest.raises(CatalogueError, match=rf"{path}:3: working: .*`working` or `off`"):
        load_government_days(path)
    path.write_text("date,working,reason\n2026-08-31,off,swap\n2026-08-31,working,again\n")
    with pytest.raises(CatalogueError, match=rf"{path}:3: 2026-08-31 appears twice"):
        load_government_days(path)
