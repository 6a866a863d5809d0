"""Working time: office hours, days off, and the appointment a procedure's time limit gives.

Real systems count in working hours: one working day is 8 hours, office hours 07:00-11:30 and
13:30-17:00, Monday to Friday (per agency: see office_hours). A dossier received outside office
hours counts from the next opening. Same-day procedures have a 15:00 cut-off. Vietnam keeps one
offset all year (+07:00). Days off: weekends, the statutory holidays (days_off), the
government's yearly decisions and the administrator's overrides (year_calendar).

A WorkingCalendar is a plain value: handlers take one and do no I/O; a CalendarSource gives
services a fresh one with the overrides of the moment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

from motcua_catalogue.days_off import statutory_days_off
from motcua_catalogue.office_hours import DEFAULT_OFFICE_HOURS, Interval, OfficeHours
from motcua_catalogue.year_calendar import government_days

VIETNAM = timezone(timedelta(hours=7), "ICT")
HOURS_PER_DAY = 8
SAME_DAY_CUTOFF = time(15, 0)
# An office closed for this long is a configuration error, not a calendar: stop looking.
_HORIZON = timedelta(days=400)


class TimeLimited(Protocol):
    """What step_deadlines needs of a procedure (motcua_catalogue.Procedure has it)."""

    # Read-only properties, so that a narrower field (Procedure's Literal unit) satisfies them.
    @property
    def limit_value(self) -> int: ...

    @property
    def limit_unit(self) -> str: ...

    def step_hours(self) -> dict[str, float]: ...


@dataclass(frozen=True)
class WorkingCalendar:
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS
    # date -> True (an extra working day, e.g. a Saturday swapped in) or False (an extra day off).
    # Wins over the government decisions, which win over the statutory holidays.
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def _decided(self, day: date) -> bool | None:
        """True/False when an override, a government decision or the law settles `day`."""
        if day in self.overrides:
            return self.overrides[day]
        if day in government_days():
            return government_days()[day].working
        return False if day in statutory_days_off(day.year) else None

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The office's opening intervals on `day` (none on a day off)."""
        decided, weekday = self._decided(day), day.weekday()
        if decided is False:
            return ()
        if decided and weekday >= 5:
            return self.office_hours.on(0)  # a Saturday worked in exchange is a full weekday
        if weekday >= 5 and self.office_hours.on(weekday):
            # Weekend opening (commune police on Saturday mornings) is not kept inside a break:
            # a weekend next to a weekday off belongs to the holiday.
            friday, monday = (day - timedelta(days=weekday - 4),
                              day + timedelta(days=7 - weekday))
            if self._decided(friday) is False or self._decided(monday) is False:
                return ()
        return self.office_hours.on(weekday)

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours_on(day))

    def _openings(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office intervals in +07:00 from `moment` on, the first one clipped to start there."""
        local = moment.astimezone(VIETNAM)
        day, last_open = local.date(), local.date()
        while day - last_open < _HORIZON:
            for start, end in self.hours_on(day):
                opens, closes = (datetime.combine(day, start, VIETNAM),
                                 datetime.combine(day, end, VIETNAM))
                if closes > local:
                    last_open = day
                    yield max(opens, local), closes
            day += timedelta(days=1)
        raise ValueError(f"the office does not open within {_HORIZON.days} days of {moment}")

    def next_opening(self, moment: datetime) -> datetime:
        """The moment itself if the office is open then, else the next time it opens."""
        return next(self._openings(moment))[0]

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (counted from the next opening)."""
        remaining = timedelta(hours=hours)
        for opens, closes in self._openings(start):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable: _openings ends by raising")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end): the time a step used, for the control sheet (form 06).
        Zero when `end` is not after `start`."""
        total = timedelta()
        if end > start:
            for opens, closes in self._openings(start):
                if opens >= end:
                    break
                total += min(closes, end) - opens
        return total / timedelta(hours=1)

    def closing_time(self, day: date) -> datetime:
        """When the office closes on working day `day`."""
        return datetime.combine(day, self.hours_on(day)[-1][1], VIETNAM)

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
            if (not self.is_working_day(day) or local.time() >= SAME_DAY_CUTOFF
                    or local >= self.closing_time(day)):
                day = self.next_working_day(day)
            return self.closing_time(day)
        if limit_unit == "working_days":
            return self.add_working_hours(received_at, limit_value * HOURS_PER_DAY)
        if limit_unit == "working_hours":
            return self.add_working_hours(received_at, limit_value)
        if limit_unit == "calendar_days":
            # Calendar days skip nothing, but an appointment never falls on a day off: it moves
            # to the closing time of the next working day.
            day = local.date() + timedelta(days=limit_value)
            while not self.is_working_day(day) or self.closing_time(day) < local:
                day += timedelta(days=1)  # (a 0-day limit after closing: the next working day)
            return self.closing_time(day)
        raise ValueError(f"unknown limit unit {limit_unit!r}")

    def step_deadlines(self, procedure: TimeLimited, received_at: datetime) -> dict[str, datetime]:
        """Each stage's deadline: the working hours allotted to it and to the stages before it,
        counted from intake. For same-day and calendar-day limits the plan is in proportion to
        the working time up to the appointment, so the last stage ends on the appointment."""
        plan = procedure.step_hours()
        due = self.due_at(received_at, procedure.limit_value, procedure.limit_unit)
        total = sum(plan.values())
        available = self.working_hours_between(received_at, due)
        scale = 1.0 if procedure.limit_unit in ("working_days", "working_hours") else (
            available / total if total else 0.0)
        deadlines, used = {}, 0.0
        for stage, hours in plan.items():
            used += hours
            deadlines[stage] = min(due, self.add_working_hours(received_at, used * scale))
        if deadlines:  # no rounding drift: the last stage ends on the appointment itself
            deadlines[list(plan)[-1]] = due
        return deadlines
