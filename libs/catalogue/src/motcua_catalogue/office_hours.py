"""An agency's office hours per weekday, written in the agencies file as e.g.
`mon-fri 07:00-11:30 13:30-17:00; sat 07:00-11:30` (commune police also open Saturday mornings).
Empty means the default: 07:00-11:30 and 13:30-17:00, Monday to Friday."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[time, time]
_STANDARD: tuple[Interval, ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
_GROUP = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<intervals>.+)$")


class OfficeHours(BaseModel):
    """`days[0]` is Monday; each day's intervals are sorted and do not overlap."""

    model_config = ConfigDict(frozen=True)

    days: tuple[tuple[Interval, ...], ...] = (_STANDARD,) * 5 + ((), ())

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"days": parse(value)} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> OfficeHours:
        if len(self.days) != 7:
            raise ValueError("office hours need one entry per weekday")
        if not any(self.days):
            raise ValueError("office hours open on no day of the week")
        for name, intervals in zip(DAY_NAMES, self.days, strict=True):
            ends = [moment for interval in intervals for moment in interval]
            if ends != sorted(ends) or any(start >= end for start, end in intervals):
                raise ValueError(f"{name}: intervals must be increasing and not overlap")
        return self

    def on(self, weekday: int) -> tuple[Interval, ...]:
        return self.days[weekday]

    def as_dict(self) -> dict[str, list[list[str]]]:
        return {name: [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in day]
                for name, day in zip(DAY_NAMES, self.days, strict=True)}


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 07:30") from None


def parse(text: str) -> tuple[tuple[Interval, ...], ...]:
    """`mon-fri 07:00-11:30 13:30-17:00; sat 07:00-11:30` -> one tuple of intervals per day."""
    if not text.strip():
        return OfficeHours().days
    days: list[tuple[Interval, ...] | None] = [None] * 7
    for group in filter(None, (part.strip().lower() for part in text.split(";"))):
        match = _GROUP.match(group)
        if not match or not {match["first"], match["last"] or "mon"} <= set(DAY_NAMES):
            raise ValueError(f"{group!r}: expected days and intervals, e.g. 'mon-fri 07:00-11:30'")
        first = DAY_NAMES.index(match["first"])
        last = DAY_NAMES.index(match["last"] or match["first"])
        intervals = []
        for span in match["intervals"].split():
            start, dash, end = span.partition("-")
            if not dash:
                raise ValueError(f"{span!r}: expected an interval like 07:00-11:30")
            intervals.append((_clock(start), _clock(end)))
        for weekday in range(first, last + 1):
            if days[weekday] is not None:
                raise ValueError(f"{DAY_NAMES[weekday]} is given twice")
            days[weekday] = tuple(intervals)
        if last < first:
            raise ValueError(f"{group!r}: the day range runs backwards")
    return tuple(day or () for day in days)


DEFAULT_OFFICE_HOURS = OfficeHours()
