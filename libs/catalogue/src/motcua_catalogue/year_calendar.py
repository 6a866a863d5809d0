"""The three layers of days off, and a year's exceptional days as people read them.

1. statutory: computed by `days_off.statutory_days_off` (the law, any year);
2. government: the yearly decisions swapping days (a bridge day off for a Saturday worked),
   shipped in `data/government_days.csv` because no rule predicts them;
3. override: what an administrator sets over the API or `motcua calendar set` (in Postgres).
A later layer wins over an earlier one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from motcua_catalogue.catalogue import CatalogueError, _read_rows
from motcua_catalogue.days_off import statutory_days_off

Source = Literal["statutory", "government", "override"]


@dataclass(frozen=True)
class Decision:
    """A day whose status someone decided: a working day (True) or a day off (False)."""

    day: date
    working: bool
    reason: str


class _DecisionRow(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    date: date
    working: bool = Field(description="`working` or `off`")
    reason: str = Field(min_length=1)

    @field_validator("working", mode="before")
    @classmethod
    def _word(cls, value: object) -> object:
        if value not in ("working", "off"):
            raise ValueError("expected `working` or `off`")
        return value == "working"


def load_government_days(path: Path | None = None) -> dict[date, Decision]:
    """The shipped decisions file, validated: a bad row names the file, line and reason."""
    path = Path(path or str(resources.files("motcua_catalogue") / "data" / "government_days.csv"))
    decisions: dict[date, Decision] = {}
    for line, row in _read_rows(path, _DecisionRow):
        if row.date in decisions:
            raise CatalogueError(f"{path}:{line}: {row.date} appears twice")
        decisions[row.date] = Decision(row.date, row.working, row.reason)
    return decisions


@cache
def government_days() -> Mapping[date, Decision]:
    return load_government_days()


@dataclass(frozen=True)
class ExceptionalDay:
    """A day that is not what a plain Monday-Friday week makes it, or that an admin set."""

    day: date
    working: bool
    reason: str
    source: Source


def exceptional_days(year: int, overrides: Mapping[date, Decision]) -> list[ExceptionalDay]:
    """Every day of `year` that differs from the plain week, with the layer that decided it."""
    days: dict[date, ExceptionalDay] = {
        day: ExceptionalDay(day, False, name, "statutory")
        for day, name in statutory_days_off(year).items()}
    layers: list[tuple[Source, Mapping[date, Decision]]] = [
        ("government", government_days()), ("override", overrides)]
    for source, decisions in layers:
        for day, decision in decisions.items():
            if day.year == year:
                days[day] = ExceptionalDay(day, decision.working, decision.reason, source)
    plain_working = {day: day.weekday() < 5 for day in days}
    return [entry for day, entry in sorted(days.items())
            if entry.source == "override" or entry.working != plain_working[day]]


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1) - timedelta(days=1)
