"""Working time: office hours, days off, and the appointment a procedure's time limit gives.

Real systems count in working hours: one working day is 8 hours, office hours 07:00-11:30 and
13:30-17:00, Monday to Friday (per agency: see office_hours). A dossier received outside office
hours counts from the next opening. Same-day procedures have a 15:00 cut-off. Vietnam keeps one
offset all year (+07:00). Days off: weekends, the statutory holidays (days_off), the
government's yearly decisions and the administrator's overrides (year_calendar).

A WorkingCalendar is a plain value: handlers take one and do no I/O; a CalendarSource gives
services a fresh one with the overrides of the moment."""

from __future__ import annotations

from abc import abstractmethod
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
_ONE_DAY = timedelta(days=1)
Opening = tuple[datetime, datetime]  # an office interval of one day, in +07:00


class ChangingOverrides(Mapping[date, bool]):
    """Overrides that change while a calendar lives (calendar_source's live mapping): they say
    which mapping they are at the moment, and the days computed from one are kept until it is
    replaced. Any other mapping is taken as a value that does not change."""

    @abstractmethod
    def snapshot(self) -> Mapping[date, bool]: ...


@dataclass
class _Days:
    """A calendar's openings of each day it was asked about, as computed from `overrides`."""

    overrides: object = None
    openings: dict[date, tuple[tuple[Opening, ...], timedelta]] = field(default_factory=dict)


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
    # Each day's openings, computed once (day by day through the three layers, they were most of
    # an appointment's cost: 34 µs an add_working_hours, issue 15). Not part of the value.
    _days: _Days = field(default_factory=_Days, init=False, repr=False, compare=False)

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

    def _known_days(self) -> dict[date, tuple[tuple[Opening, ...], timedelta]]:
        """The days computed so far, for the overrides of the moment (a live calendar's
        refresh starts afresh)."""
        source = self.overrides
        current = source.snapshot() if isinstance(source, ChangingOverrides) else source
        days = self._days
        if days.overrides is not current:
            days.overrides, days.openings = current, {}
        return days.openings

    def _day(self, day: date, known: dict[date, tuple[tuple[Opening, ...], timedelta]]
             ) -> tuple[tuple[Opening, ...], timedelta]:
        """`hours_on(day)` as moments in +07:00, with their total, computed once."""
        found = known.get(day)
        if found is None:
            openings = tuple((datetime.combine(day, start, VIETNAM),
                              datetime.combine(day, end, VIETNAM))
                             for start, end in self.hours_on(day))
            found = known[day] = (openings, sum((end - start for start, end in openings),
                                                timedelta()))
        return found

    def _openings(self, moment: datetime) -> Iterator[Opening]:
        """Office intervals in +07:00 from `moment` on, the first one clipped to start there."""
        local = moment.astimezone(VIETNAM)
        day, last_open = local.date(), local.date()
        known = self._known_days()
        while day - last_open < _HORIZON:
            for opens, closes in self._day(day, known)[0]:
                if closes > local:
                    last_open = day
                    yield max(opens, local), closes
            day += _ONE_DAY
        raise ValueError(f"the office does not open within {_HORIZON.days} days of {moment}")

    def next_opening(self, moment: datetime) -> datetime:
        """The moment itself if the office is open then, else the next time it opens."""
        return next(self._openings(moment))[0]

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (counted from the next opening)."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(VIETNAM)
        day = last_open = local.date()
        known = self._known_days()
        for opens, closes in self._day(day, known)[0]:  # the first day: from `start` on
            if closes > local:
                opens = max(opens, local)
                if remaining <= closes - opens:
                    return opens + remaining
                remaining -= closes - opens
        day += _ONE_DAY
        while day - last_open < _HORIZON:
            openings, total = self._day(day, known)
            if openings:
                last_open = day
                if remaining > total:  # the whole day goes by, interval after interval
                    remaining -= total
                else:
                    for opens, closes in openings:
                        if remaining <= closes - opens:
                            return opens + remaining
                        remaining -= closes - opens
            day += _ONE_DAY
        raise ValueError(f"the office does not open within {_HORIZON.days} days of {start}")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end): the time a step used, for the control sheet (form 06).
        Zero when `end` is not after `start`."""
        total = timedelta()
        if end <= start:
            return 0.0
        local = start.astimezone(VIETNAM)
        day = last_open = local.date()
        known = self._known_days()
        while day - last_open < _HORIZON:
            openings, whole = self._day(day, known)
            if openings and local <= openings[0][0] and openings[-1][1] <= end:
                last_open, total = day, total + whole  # a whole working day within
            else:
                for opens, closes in openings:
                    if closes > local:
                        last_open, opens = day, max(opens, local)
                        if opens >= end:
                            return total / timedelta(hours=1)
                        total += min(closes, end) - opens
            day += _ONE_DAY
        raise ValueError(f"the office does not open within {_HORIZON.days} days of {start}")

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
