"""Mẫu II.06a: the figures of the report on the handling of administrative procedures, per
agency, receiving unit, procedure or field over a period (plus the progress and satisfaction
figures of the national service index), and the verdict on one dossier against its first
appointment that the report and the control sheet (form 06) share. Pure over rows: intake
compiles it from its own tables (motcua_intake.tracking.reports, for the managers), the
operations centre from its read model (motcua_operations.report_06a, for the wallboard).

Definitions:
- The period runs from 00:00 of its first day to 24:00 of its last day, Vietnam time; figures
  "at the end" are taken at the period's end, or now if that is still to come.
- Received: carried over (received before the period and unfinished at its start) plus those
  received in it, by channel (online, counter, postal). Every received dossier ends up in exactly
  one of: resolved, refused, stopped (withdrawn), in progress at the end.
- Resolved: a result came out (status 9) in the period; early / on time / late against the
  first appointment (`judge_end`; the control sheet's definitions). In progress: late if its
  first appointment has passed, it was rescheduled, or it had a second supplement request.
- Average processing time: working days (8 working hours) from intake to result, less the time
  waiting on the applicant, over the resolved dossiers.
- Online share: online among those received in the period, in percent.
- Receiving unit and competent agency: a dossier is counted under the competent agency (`by`
  agency) or under the unit that received it (`by` receiving_unit: the provincial centre, a
  commune centre, the agency's own desk); `received.other_unit` counts, in either grouping,
  the dossiers received by a unit other than the competent agency (intake regardless of
  administrative boundary). A manager's report covers the dossiers their agency handled or
  received; the wallboard's, the dossiers of its filters.
- Satisfaction score of a rating: its 9 indicators (0-2 each) summed and scaled to 100
  (sum / 18 x 100); the group's score is the mean over ratings given in the period."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import HOURS_PER_DAY, VIETNAM

EARLY, ON_TIME, LATE = "early", "on_time", "late"


def aware(value: Any) -> datetime | None:
    """A datetime from a facts JSON value (ISO text) or a datetime; None stays None."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def judge_end(ended_at: datetime, first_due: datetime | None, *, rescheduled: bool,
              supplements: int, on_time: bool | None = None) -> str | None:
    """early / on_time / late for a dossier that ended; None without an appointment."""
    if first_due is None:
        return None
    late = (not on_time) if on_time is not None else (
        ended_at > first_due or rescheduled or supplements >= 2)
    if late:
        return LATE
    ended_day = ended_at.astimezone(VIETNAM).date()
    return EARLY if ended_day < first_due.astimezone(VIETNAM).date() else ON_TIME


def running_late(at: datetime, first_due: datetime | None, *, rescheduled: bool,
                 supplements: int, overdue: bool = False) -> bool:
    """Whether an unfinished dossier counts as late at `at` (it will, whatever happens next)."""
    if first_due is None:
        return False
    return at > first_due or rescheduled or supplements >= 2 or overdue


def working_waits(calendar: WorkingCalendar, waits: Sequence[tuple[datetime, datetime | None]],
                  start: datetime, end: datetime) -> float:
    """Working hours of the waits that fall between `start` and `end`."""
    total = 0.0
    for since, until in waits:
        lower, upper = max(since, start), min(until or end, end)
        if upper > lower:
            total += calendar.working_hours_between(lower, upper)
    return total


GroupBy = Literal["agency", "receiving_unit", "procedure", "field"]
RESULT_READY, DELIVERED, REFUSED, STOPPED = 9, 10, 3, 8
CHANNELS = ("online", "counter", "postal")
OVERALL = ("very_satisfied", "satisfied", "not_satisfied")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), VIETNAM)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), VIETNAM)

    def cutoff(self, now: datetime) -> datetime:
        return min(self.end, now)


@dataclass(frozen=True)
class DossierRow:
    procedure_code: str
    agency: str
    channel: str
    received_at: datetime
    status_code: int
    first_due_at: datetime | None = None
    ended_at: datetime | None = None
    on_time: bool | None = None
    rescheduled: bool = False
    supplements: int = 0
    overdue: bool = False
    # When it waited on the applicant: (from, until or None), excluded from processing time.
    waits: tuple[tuple[datetime, datetime | None], ...] = ()
    # The unit that received it (None: the competent agency's own desk).
    receiving_unit: str | None = None


@dataclass(frozen=True)
class RatingRow:
    procedure_code: str
    agency: str
    indicators: Sequence[int]
    overall: str
    receiving_unit: str | None = None


def satisfaction_score(indicators: Sequence[int]) -> float:
    return sum(indicators) / (2 * len(indicators)) * 100 if indicators else 0.0


def _group(by: GroupBy, row: DossierRow | RatingRow, catalogue: Catalogue) -> tuple[str, str]:
    procedure = catalogue.procedures.get(row.procedure_code)
    procedure_code = row.procedure_code
    if by in ("agency", "receiving_unit"):
        agency = row.agency if by == "agency" else row.receiving_unit or row.agency
        known = catalogue.agencies.get(agency)
        return agency, known.name if known else agency
    if by == "procedure":
        return procedure_code, procedure.name if procedure else procedure_code
    field = procedure.field if procedure else "(không rõ lĩnh vực)"
    return field, field


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.processing_days: list[float] = []
        self.scores: list[float] = []

    def figures(self, key: str, name: str) -> dict[str, Any]:
        c = self.counts
        new = sum(c[channel] for channel in CHANNELS)
        resolved = c[EARLY] + c[ON_TIME] + c[LATE]
        return {
            "key": key, "name": name,
            "received": {"total": c["carried_over"] + new, "carried_over": c["carried_over"],
                         **{channel: c[channel] for channel in CHANNELS},
                         "other_unit": c["other_unit"]},
            "resolved": {"total": resolved, "early": c[EARLY], "on_time": c[ON_TIME],
                         "late": c[LATE],
                         "on_time_share": _share(c[EARLY] + c[ON_TIME], resolved)},
            "refused": c["refused"], "stopped": c["stopped"],
            "in_progress": {"total": c["within_deadline"] + c["running_late"],
                            "within_deadline": c["within_deadline"], "late": c["running_late"]},
            "average_processing_days": (round(sum(self.processing_days)
                                              / len(self.processing_days), 2)
                                        if self.processing_days else None),
            "online_share": _share(c["online"], new),
            "satisfaction": {"ratings": len(self.scores),
                             "average_score": (round(sum(self.scores) / len(self.scores), 1)
                                               if self.scores else None),
                             **{overall: c[overall] for overall in OVERALL}},
        }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _count(tally: _Tally, row: DossierRow, period: Period, cutoff: datetime,
           calendar: WorkingCalendar) -> None:
    if row.receiving_unit not in (None, row.agency):
        tally.counts["other_unit"] += 1
    if row.received_at < period.start:
        tally.counts["carried_over"] += 1
    else:
        tally.counts[row.channel if row.channel in CHANNELS else "counter"] += 1
    if row.ended_at is not None and row.ended_at < cutoff:
        if row.status_code in (RESULT_READY, DELIVERED):
            verdict = judge_end(row.ended_at, row.first_due_at, rescheduled=row.rescheduled,
                                supplements=row.supplements, on_time=row.on_time)
            tally.counts[verdict or ON_TIME] += 1
            hours = calendar.working_hours_between(row.received_at, row.ended_at)
            waited = working_waits(calendar, row.waits, row.received_at, row.ended_at)
            tally.processing_days.append(max(hours - waited, 0) / HOURS_PER_DAY)
        else:
            tally.counts["refused" if row.status_code == REFUSED else "stopped"] += 1
    elif running_late(cutoff, row.first_due_at, rescheduled=row.rescheduled,
                      supplements=row.supplements, overdue=row.overdue):
        tally.counts["running_late"] += 1
    else:
        tally.counts["within_deadline"] += 1


def compile_report(dossiers: Iterable[DossierRow], ratings: Iterable[RatingRow], *,
                   period: Period, by: GroupBy, catalogue: Catalogue,
                   calendar: WorkingCalendar, now: datetime) -> dict[str, Any]:
    """The report over rows of dossiers received before the period's end and not ended before
    its start, and of ratings given in the period."""
    cutoff = period.cutoff(now)
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    names: dict[str, str] = {}
    total = _Tally()
    for row in dossiers:
        if row.received_at >= cutoff or (row.ended_at is not None and row.ended_at < period.start):
            continue
        key, names[key] = _group(by, row, catalogue)
        for tally in (tallies[key], total):
            _count(tally, row, period, cutoff, calendar)
    for rating in ratings:
        key, names[key] = _group(by, rating, catalogue)
        for tally in (tallies[key], total):
            tally.scores.append(satisfaction_score(rating.indicators))
            if rating.overall in OVERALL:
                tally.counts[rating.overall] += 1
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "by": by,
            "at": cutoff.astimezone(VIETNAM).isoformat(),
            "groups": [tallies[key].figures(key, names[key]) for key in sorted(tallies)],
            "total": total.figures("*", "Tổng cộng")}


CSV_COLUMNS = ("key", "name", "received.total", "received.carried_over", "received.online",
               "received.counter", "received.postal", "received.other_unit", "resolved.total",
               "resolved.early",
               "resolved.on_time", "resolved.late", "resolved.on_time_share", "refused",
               "stopped", "in_progress.total", "in_progress.within_deadline", "in_progress.late",
               "average_processing_days", "online_share", "satisfaction.ratings",
               "satisfaction.average_score", "satisfaction.very_satisfied",
               "satisfaction.satisfied", "satisfaction.not_satisfied")


def to_csv(report: dict[str, Any]) -> str:
    """One line per group then the total (key "*"), under a header of dotted field names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in [*report["groups"], report["total"]]:
        writer.writerow(["" if (v := _dig(group, column)) is None else v
                         for column in CSV_COLUMNS])
    return out.getvalue()


def _dig(document: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        document = document[part]
    return document
