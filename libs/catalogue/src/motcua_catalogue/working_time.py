"""Working time: office hours, days off, and the appointment a procedure's time limit gives.

Real systems count in working hours: one working day is 8 hours, office hours 07:00-11:30 and
13:30-17:00, Monday to Friday. A dossier received outside office hours counts from the next
opening. Same-day procedures have a 15:00 cut-off. Vietnam keeps one offset all year (+07:00).

Days off here: weekends and the solar statutory holidays (1 January, 30 April, 1 May,
2 September and the day after it), moved to the next working day when they fall on a weekend,
plus administrator overrides. The lunar holidays (Tết, Hùng Kings' day) come with the calendar
work that computes them; until then an administrator enters them as overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
HOURS_PER_DAY = 8
SAME_DAY_CUTOFF = time(15, 0)
DEFAULT_OFFICE_HOURS = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))


@dataclass(frozen=True)
class WorkingCalendar:
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    # date -> True (an extra working day, e.g. a Saturday swapped in) or False (an extra day off).
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5 and day not in statutory_days_off(day.year)

    def next_opening(self, moment: datetime) -> datetime:
        """The moment itself if the office is open then, else the next time it opens."""
        local = moment.astimezone(VIETNAM)
        day = local.date()
        while True:
            if self.is_working_day(day):
                for start, end in self.office_hours:
                    opens = datetime.combine(day, start, VIETNAM)
                    closes = datetime.combine(day, end, VIETNAM)
                    if local < closes:
                        return max(local, opens)
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), VIETNAM)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (counted from the next opening)."""
        remaining = timedelta(hours=hours)
        moment = self.next_opening(start)
        while True:
            closes = next(datetime.combine(moment.date(), end, VIETNAM)
                          for begin, end in self.office_hours
                          if datetime.combine(moment.date(), begin, VIETNAM) <= moment
                          < datetime.combine(moment.date(), end, VIETNAM))
            available = closes - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            moment = self.next_opening(closes)

    def closing_time(self, day: date) -> datetime:
        return datetime.combine(day, self.office_hours[-1][1], VIETNAM)

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def due_at(self, received_at: datetime, limit_value: int, limit_unit: str) -> datetime:
        """The appointment (form 01) for a dossier received at `received_at`."""
        local = received_at.astimezone(VIETNAM)
        if limit_unit == "same_day":
            day = local.date()
            if not self.is_working_day(day) or local.time() >= SAME_DAY_CUTOFF:
                day = self.next_working_day(day)
            return self.closing_time(day)
        if limit_unit == "working_days":
            return self.add_working_hours(received_at, limit_value * HOURS_PER_DAY)
        if limit_unit == "working_hours":
            return self.add_working_hours(received_at, limit_value)
        if limit_unit == "calendar_days":
            # Calendar days skip nothing, but an appointment never falls on a day off.
            day = local.date() + timedelta(days=limit_value)
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return self.closing_time(day)
        raise ValueError(f"unknown limit unit {limit_unit!r}")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours between two moments (negative when `end` comes first)."""
        if end < start:
            return -self.working_hours_between(end, start)
        total = timedelta()
        day = start.astimezone(VIETNAM).date()
        last = end.astimezone(VIETNAM).date()
        while day <= last:
            if self.is_working_day(day):
                for begin, finish in self.office_hours:
                    opens = max(datetime.combine(day, begin, VIETNAM), start)
                    closes = min(datetime.combine(day, finish, VIETNAM), end)
                    if closes > opens:
                        total += closes - opens
            day += timedelta(days=1)
        return total.total_seconds() / 3600


def statutory_days_off(year: int) -> frozenset[date]:
    """Solar statutory holidays (Labour Code 2019, art. 112) with weekend compensation."""
    fixed = [date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2),
             date(year, 9, 3) if date(year, 9, 3).weekday() < 5 else date(year, 9, 1)]
    days: set[date] = set()
    for holiday in sorted(fixed):
        days.add(holiday)
    for holiday in sorted(fixed):
        if holiday.weekday() >= 5:  # compensatory day: the next working day not already off
            compensation = holiday + timedelta(days=1)
            while compensation.weekday() >= 5 or compensation in days:
                compensation += timedelta(days=1)
            days.add(compensation)
    return frozenset(days)
