"""Days off by law, for any year: the statutory holidays of the Labour Code and their
compensatory days, with the lunar dates (Tết, Hùng Kings' day) converted by the `holidays`
library's Vietnamese lunisolar calendar (Vietnam's lunar calendar is reckoned at UTC+7 and
differs from the Chinese one in some years, so a Chinese-calendar library would be wrong)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

# The lunar tables of the `holidays` library end in 2100; the Labour Code 2019 is in force since
# 1 January 2021 (earlier years are computed by its rules too, as an approximation).
LAST_YEAR = 2099
SATURDAY, SUNDAY = 5, 6


def _weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


@cache
def _lunar_dates(year: int) -> tuple[date, date]:
    """(Lunar New Year's day, Hùng Kings' day = 10th of the 3rd lunar month) in `year`."""
    if not 1901 <= year <= LAST_YEAR:
        raise ValueError(f"no lunar calendar for {year}: supported up to {LAST_YEAR}")
    table = holidays.country_holidays("VN", years=year, observed=False, language="en_US")
    eve = table.get_named("Lunar New Year's Eve", lookup="startswith")
    hung_kings = table.get_named("Hung Kings' Commemoration Day", lookup="startswith")
    return eve[0] + timedelta(days=1), hung_kings[0]


def _national_day_adjacent(year: int) -> date:
    """The day next to 2 September that the Prime Minister gives (art. 112(3)): the one joining
    the weekend. Decisions 2022 (Fri: 1 Sep), 2023 (Sat: 1 Sep), 2024 (Mon: 3 Sep), 2025 (Tue:
    1 Sep) and 2026 (Wed: 1 Sep) all follow this (verify each year; override otherwise)."""
    second = date(year, 9, 2)
    return second - timedelta(days=1) if second.weekday() in (1, 2, 4, 5) else second + \
        timedelta(days=1)


@cache
def statutory_days_off(year: int) -> dict[date, str]:
    """Paid public holidays of `year` with their names, compensatory days included.

    Labour Code 2019, art. 112(1): 1 January (1 day); Lunar New Year (5 days); Hùng Kings'
    day, 10th of the 3rd lunar month (1 day); 30 April (1); 1 May (1); 2 September and one day
    next to it (2, since 2021). Art. 111(3): a holiday on the weekly rest day is compensated on
    the next working day. Art. 112(3) lets the Prime Minister fix the Tết days: every decision
    since 2014 gives the last day of the old year and the first four of the new one, a Saturday
    among them moved to the working day before the break and a Sunday to the day after it.
    Since 2026 Resolution 80-NQ/TW adds Vietnam Culture Day, 24 November (verify)."""
    new_year, hung_kings = _lunar_dates(year)
    days: dict[date, str] = {date(year, 1, 1): "Tết Dương lịch",
                             hung_kings: "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
                             date(year, 4, 30): "Ngày Chiến thắng (30/4)",
                             date(year, 5, 1): "Ngày Quốc tế Lao động (1/5)",
                             date(year, 9, 2): "Quốc khánh (2/9)"}
    if year >= 2021:
        days[_national_day_adjacent(year)] = "Quốc khánh (ngày liền kề)"
    if year >= 2026:
        days[date(year, 11, 24)] = "Ngày Văn hóa Việt Nam (24/11)"
    tet = [new_year + timedelta(days=n) for n in range(-1, 4)]
    days.update({day: "Tết Nguyên đán" for day in tet})

    for holiday in sorted(days):
        if not _weekend(holiday):
            continue
        step = -1 if holiday in tet and holiday.weekday() == SATURDAY else 1
        compensation = holiday
        while _weekend(compensation) or compensation in days:
            compensation += timedelta(days=step)
        days[compensation] = f"Nghỉ bù {days[holiday]}"
    return days
