"""The national service index (Decision 766/QĐ-TTg) as this system computes it from the
events: pure over the dossiers' facts, which the operations view folds (motcua_operations.
projection) and `load` reads. Each formula is written here once; docs/service-index.md says the
same in words.

A period is a calendar month or quarter, Vietnam time, from 00:00 of its first day to 00:00 of
the next period. For a group of dossiers (the province, one agency, one field):

- **received** = dossiers received in the period (`received_at`).
- **online_share** = received online / received x 100.
- **digitised_share** = received with every document's file uploaded to the file store (the
  filing's documents each carry the stored file's type) / received x 100.
- **resolved** = dossiers whose result came out in the period (`ResultSigned`, status 9: an
  approval or a denial, both a result the agency signed).
- **processing time** of a resolved dossier = working hours from its acceptance
  (`DossierAccepted`) to its result, **less the working hours it waited on the applicant**
  (status 5, supplement requested, or 6, fees requested, until the applicant answered).
- **allotted time** = working hours from its acceptance to the appointment given at acceptance
  (form 01). An apology (form 04) moves the appointment the citizen is told, not this: a dossier
  late after an apology is still late.
- **on time** = processing time <= allotted time (the waits excluded, as the progress
  indicator says), and no second supplement request: a dossier asked twice for a supplement
  counts as late however fast (docs/domain.md's rule for the index); **on_time_share** =
  resolved on time / resolved x 100.
- **average_processing_days** = mean processing time of the resolved / 8 working hours.
- **progress_points** = on_time_share / 100 x 20: the progress group is scored out of 20.
- **delivered** = results delivered in the period; **electronic_result_share** = delivered
  online (the signed file itself, `ResultDelivered.channel` online) / delivered x 100.
- **satisfaction**: the ratings given in the period (`DossierRated`): a rating's score is its 9
  indicators (0-2 each) summed / 18 x 100; **satisfaction_score** = their mean;
  **satisfied_share** = ratings whose overall answer is satisfied or very satisfied / ratings
  x 100.

Shares and averages are rounded to 2 decimals (scores to 1), None when the denominator is 0.
Working hours are the office's (07:00-11:30, 13:30-17:00, Monday to Friday, less the days off:
motcua_catalogue.WorkingCalendar)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.working_time import HOURS_PER_DAY, VIETNAM

GroupBy = Literal["province", "agency", "field"]
PROGRESS_POINTS = 20
SATISFIED = ("very_satisfied", "satisfied")
_ROMAN = ("I", "II", "III", "IV")


# A month (2026-12) or a quarter (2026-Q4) of this century (the year 0 or 9999's last quarter
# has no calendar to count in): what `IndexPeriod.parse` takes, declared in the API's document
# so that the schema says what its 422 enforces.
PERIOD_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2]|[Qq][1-4])$"


class BadPeriod(ValueError):
    """Not a month `YYYY-MM` nor a quarter `YYYY-Qn`."""


@dataclass(frozen=True)
class IndexPeriod:
    kind: Literal["month", "quarter"]
    year: int
    number: int  # the month (1-12) or the quarter (1-4)

    @classmethod
    def parse(cls, text: str) -> IndexPeriod:
        found = re.fullmatch(r"(\d{4})-(?:(\d{2})|Q([1-4]))", text.strip(), flags=re.I)
        if found is None:
            raise BadPeriod(f"period {text!r} is neither a month (2026-12) nor a quarter "
                            "(2026-Q4)")
        year = int(found[1])
        if not 2000 <= year <= 2099:
            raise BadPeriod(f"period {text!r}: year {year} is not 2000 to 2099")
        if found[2] is not None:
            month = int(found[2])
            if not 1 <= month <= 12:
                raise BadPeriod(f"period {text!r}: month {month} is not 01 to 12")
            return cls("month", year, month)
        return cls("quarter", year, int(found[3]))

    @classmethod
    def month_of(cls, moment: datetime) -> IndexPeriod:
        local = moment.astimezone(VIETNAM)
        return cls("month", local.year, local.month)

    @property
    def first_month(self) -> int:
        return self.number if self.kind == "month" else 3 * self.number - 2

    @property
    def start(self) -> datetime:
        return datetime.combine(datetime(self.year, self.first_month, 1).date(), time(0), VIETNAM)

    @property
    def end(self) -> datetime:
        months = 1 if self.kind == "month" else 3
        month = self.first_month + months
        year = self.year + (month - 1) // 12
        return datetime(year, (month - 1) % 12 + 1, 1, tzinfo=VIETNAM)

    @property
    def code(self) -> str:
        return (f"{self.year}-{self.number:02d}" if self.kind == "month"
                else f"{self.year}-Q{self.number}")

    @property
    def label(self) -> str:
        return (f"Tháng {self.number:02d}/{self.year}" if self.kind == "month"
                else f"Quý {_ROMAN[self.number - 1]}/{self.year}")

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


@dataclass(frozen=True)
class IndexDossier:
    """The facts of one dossier the index reads (motcua_operations.orm.DossierView)."""

    agency: str
    field: str
    channel: str
    received_at: datetime
    accepted_at: datetime | None = None
    first_due_at: datetime | None = None
    result_at: datetime | None = None
    waits: tuple[tuple[datetime, datetime | None], ...] = ()
    delivered_at: datetime | None = None
    delivery_channel: str | None = None
    digitised: bool = False
    rated_at: datetime | None = None
    rating_indicators: tuple[int, ...] = ()
    rating_overall: str | None = None
    supplements: int = 0  # supplement requests (the folded lifecycle's count)


def waited_hours(calendar: WorkingCalendar, dossier: IndexDossier, start: datetime,
                 end: datetime) -> float:
    """Working hours the dossier waited on the applicant between `start` and `end`."""
    total = 0.0
    for since, until in dossier.waits:
        lower, upper = max(since, start), min(until or end, end)
        if upper > lower:
            total += calendar.working_hours_between(lower, upper)
    return total


def processing_hours(calendar: WorkingCalendar, dossier: IndexDossier) -> float | None:
    """Working hours from acceptance to the result, less the waits; None if not resolved."""
    if dossier.accepted_at is None or dossier.result_at is None:
        return None
    start, end = dossier.accepted_at, dossier.result_at
    return max(0.0, calendar.working_hours_between(start, end)
               - waited_hours(calendar, dossier, start, end))


def allotted_hours(calendar: WorkingCalendar, dossier: IndexDossier) -> float | None:
    if dossier.accepted_at is None or dossier.first_due_at is None:
        return None
    return calendar.working_hours_between(dossier.accepted_at, dossier.first_due_at)


SECOND_SUPPLEMENT = 2


def resolved_on_time(calendar: WorkingCalendar, dossier: IndexDossier) -> bool | None:
    used, allotted = processing_hours(calendar, dossier), allotted_hours(calendar, dossier)
    if used is None or allotted is None:
        return None
    if dossier.supplements >= SECOND_SUPPLEMENT:
        return False
    return used <= allotted + 1e-9  # float sums of intervals: equal is on time


def rating_score(indicators: Sequence[int]) -> float:
    return sum(indicators) / (2 * len(indicators)) * 100 if indicators else 0.0


def _share(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 2) if whole else None


@dataclass
class _Tally:
    received: int = 0
    online: int = 0
    digitised: int = 0
    resolved: int = 0
    on_time: int = 0
    hours: list[float] = field(default_factory=list)
    delivered: int = 0
    electronic: int = 0
    scores: list[float] = field(default_factory=list)
    satisfied: int = 0

    def add(self, calendar: WorkingCalendar, period: IndexPeriod, d: IndexDossier) -> None:
        if period.holds(d.received_at):
            self.received += 1
            self.online += d.channel == "online"
            self.digitised += d.digitised
        if period.holds(d.result_at):
            used = processing_hours(calendar, d)
            if used is not None:
                self.resolved += 1
                self.hours.append(used)
                self.on_time += bool(resolved_on_time(calendar, d))
        if period.holds(d.delivered_at):
            self.delivered += 1
            self.electronic += d.delivery_channel == "online"
        if period.holds(d.rated_at) and d.rating_indicators:
            self.scores.append(rating_score(d.rating_indicators))
            self.satisfied += d.rating_overall in SATISFIED

    def figures(self, key: str, name: str) -> dict[str, Any]:
        on_time_share = _share(self.on_time, self.resolved)
        return {
            "key": key, "name": name,
            "received": self.received, "online_share": _share(self.online, self.received),
            "digitised_share": _share(self.digitised, self.received),
            "resolved": self.resolved, "on_time": self.on_time, "on_time_share": on_time_share,
            "average_processing_days": (round(sum(self.hours) / len(self.hours)
                                              / HOURS_PER_DAY, 2) if self.hours else None),
            "progress_points": (None if on_time_share is None
                                else round(on_time_share / 100 * PROGRESS_POINTS, 2)),
            "delivered": self.delivered,
            "electronic_result_share": _share(self.electronic, self.delivered),
            "ratings": len(self.scores),
            "satisfaction_score": (round(sum(self.scores) / len(self.scores), 1)
                                   if self.scores else None),
            "satisfied_share": _share(self.satisfied, len(self.scores)),
        }


def compute(dossiers: Iterable[IndexDossier], period: IndexPeriod, by: GroupBy,
            calendar: WorkingCalendar, *, names: Callable[[str], str] = str,
            province: str = "Tỉnh") -> dict[str, Any]:
    """The index of `period` for the province and per `by` (none but the province for
    "province"); `names` names an agency or field for the page."""
    total, groups = _Tally(), dict[str, _Tally]()
    for dossier in dossiers:
        total.add(calendar, period, dossier)
        if by != "province":
            key = dossier.agency if by == "agency" else dossier.field
            groups.setdefault(key, _Tally()).add(calendar, period, dossier)
    return {
        "period": period.code, "label": period.label, "by": by,
        "from": period.start.isoformat(), "until": period.end.isoformat(),
        "province": total.figures("province", province),
        "groups": [tally.figures(key, names(key)) for key, tally in sorted(groups.items())],
    }


CSV_COLUMNS = ("key", "name", "received", "online_share", "digitised_share", "resolved",
               "on_time", "on_time_share", "average_processing_days", "progress_points",
               "delivered", "electronic_result_share", "ratings", "satisfaction_score",
               "satisfied_share")


def as_csv(index: dict[str, Any]) -> str:
    """The province's row first, then the groups'; empty cells where a figure has no base."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", *CSV_COLUMNS])
    for row in (index["province"], *index["groups"]):
        writer.writerow([index["period"], *("" if row[c] is None else row[c]
                                            for c in CSV_COLUMNS)])
    return out.getvalue()


def from_view(view: Any, field_of: Callable[[str], str]) -> IndexDossier:
    """An IndexDossier from an operations.dossiers row (orm.DossierView)."""
    waits = tuple((datetime.fromisoformat(since), datetime.fromisoformat(until) if until else None)
                  for since, until in (view.waits or []))
    return IndexDossier(
        agency=view.agency, field=field_of(view.procedure_code), channel=view.channel,
        received_at=view.received_at, accepted_at=view.accepted_at,
        first_due_at=view.first_due_at, result_at=view.result_at, waits=waits,
        delivered_at=view.delivered_at, delivery_channel=view.delivery_channel,
        digitised=bool(view.digitised), rated_at=view.rated_at,
        rating_indicators=tuple(view.rating_indicators or ()),
        rating_overall=view.rating_overall,
        supplements=int((view.lifecycle or {}).get("supplements") or 0))
