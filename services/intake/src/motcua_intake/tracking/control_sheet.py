"""Phiếu kiểm soát quá trình giải quyết hồ sơ (form 06, the control sheet): one row per hand-off
of a dossier, folded from its timeline, with the time allotted and used and whether the step was
early, on time or late; and the dossier's verdict against its first appointment. Pure, no I/O.

Definitions (the reports use the same ones):
- A step's used time is the working time (office hours of the calendar) between receiving the
  dossier and handing it on, less the time the dossier waited on the applicant (a supplement or
  fees; those waits get their own rows, not judged).
- A step's allotted time is the procedure's step plan for that stage; a stage visited again (an
  approval that sends the dossier back to appraisal) gets what is left of its allotment. A
  consultation (liên thông) sub-task gets the time to its respond-by when the timeline says it.
- Left over by more than TOLERANCE = early, within TOLERANCE = on time, overrun = late.
- A dossier is late when it ended after its first appointment, or was rescheduled (form 04), or
  had a second supplement request; else early when it ended on a day before the appointment's
  day, else on time (on the appointment's day)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from motcua_catalogue import Procedure, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_documents.report_06a import (  # noqa: F401  (the verdict, shared with the reports)
    EARLY,
    LATE,
    ON_TIME,
    aware,
    judge_end,
    running_late,
    working_waits,
)

TOLERANCE_HOURS = 1 / 60  # one minute: clocks of different services never agree to the second
IN_PROGRESS = "in_progress"
APPLICANT = "applicant"

# The holder after an event, for timeline rows written before `holder` was recorded.
_HOLDER_AFTER = {"DossierSubmitted": "intake", "DossierAccepted": "appraisal",
                 "SupplementRequested": APPLICANT, "FeesRequested": APPLICANT,
                 "FeesPaid": "appraisal",
                 "DossierAppraised": "approval", "DossierReturned": "appraisal",
                 "DossierApproved": "signing", "DossierDenied": "signing",
                 "ResultSigned": "delivery"}
ENDING_EVENTS = frozenset({"DossierRefused", "DossierStopped", "ResultDelivered"})
WAIT_ENDS = frozenset({"SupplementProvided", "FeesPaid", "SupplementExpired"})
_RESPOND_BY = re.compile(r"hạn trả lời (\d{2}:\d{2} \d{2}/\d{2}/\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
_CONSULTED = re.compile(r"^Lấy ý kiến (\S+):")
_ANSWERED_BY = re.compile(r"^(\S+): ")
_POST_OFFICE = re.compile(r"\((\S+)\) tới[: ]")  # older rows wrote the address after "tới:"


class Entry(Protocol):
    """A timeline row (motcua_intake.orm.TimelineEntry has these)."""
    type: str
    at: datetime
    agency: str | None
    stage: str
    actor: str
    holder: str | None
    note: str | None


@dataclass(frozen=True)
class SheetRow:
    step: int
    kind: str  # "stage", "applicant" (a wait, not judged), "consultation" (liên thông) or
    # "postal" (the post office carrying the result, not judged)
    stage: str  # the stage holding the dossier in this row (the applicant while waiting)
    agency: str | None
    giver: str  # the stage (or "applicant") that handed the dossier over
    giver_actor: str | None
    receiver: str
    receiver_actor: str | None  # who acted before handing it on; None while still held
    received_at: datetime
    handed_on_at: datetime | None
    allotted_hours: float | None
    used_hours: float
    waiting_hours: float
    result: str | None  # early, on_time, late, in_progress; None when not judged


@dataclass
class _Visit:
    kind: str
    stage: str
    agency: str | None
    giver: str
    giver_actor: str | None
    received_at: datetime
    order: int
    receiver_actor: str | None = None
    handed_on_at: datetime | None = None
    waits: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    respond_by: datetime | None = None


def first_appointment(facts: Mapping[str, Any] | None, due_at: datetime | None) -> datetime | None:
    """The appointment on the receipt (form 01): the one before an apology moved it."""
    facts = facts or {}
    return aware(facts.get("rescheduled_from")) or aware(facts.get("due_at")) or due_at


def judge_step(allotted: float | None, used: float, finished: bool) -> str | None:
    if allotted is None:
        return None
    if used > allotted + TOLERANCE_HOURS:
        return LATE
    if not finished:
        return IN_PROGRESS
    return EARLY if used < allotted - TOLERANCE_HOURS else ON_TIME


def waiting_intervals(entries: Iterable[Entry]) -> list[tuple[datetime, datetime | None]]:
    """When the dossier waited on the applicant (a supplement or fees): (from, until or None)."""
    intervals: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    for entry in entries:
        holder = _holder(entry, None)
        if holder == APPLICANT and since is None:
            since = entry.at
        elif since is not None and holder != APPLICANT:
            intervals.append((since, entry.at))
            since = None
    if since is not None:
        intervals.append((since, None))
    return intervals


def _holder(entry: Entry, previous: str | None) -> str | None:
    """The stage holding the dossier after `entry`; None once it has ended."""
    if entry.type in ENDING_EVENTS:
        return None
    if entry.holder is not None:
        return entry.holder  # an expired supplement of schema version 1 went back to appraisal
    if entry.type == "SupplementExpired":
        return None  # since schema version 2 an expired supplement ends the dossier (status 8)
    return _HOLDER_AFTER.get(entry.type, previous)


def _respond_by(entry: Entry) -> datetime | None:
    explicit = getattr(entry, "respond_by", None)
    if isinstance(explicit, datetime):
        return explicit
    note = entry.note or ""
    if match := _RESPOND_BY.search(note):
        return datetime.strptime(match.group(1), "%H:%M %d/%m/%Y").replace(tzinfo=VIETNAM)
    if match := _ISO.search(note):
        return datetime.fromisoformat(match.group(0))
    return None


def _consulted_agency(entry: Entry) -> str | None:
    match = _CONSULTED.match(entry.note or "")
    return match.group(1) if match else entry.agency


def _post_office(entry: Entry) -> str | None:
    match = _POST_OFFICE.search(entry.note or "")
    return match.group(1) if match else None


def _answered_by(entry: Entry) -> str | None:
    match = _ANSWERED_BY.match(entry.note or "")
    return match.group(1) if match else None


def control_sheet(entries: Sequence[Entry], *, procedure: Procedure | None,
                  calendar: WorkingCalendar, lead_agency: str | None,
                  now: datetime, receiving_unit: str | None = None,
                  plan: Mapping[str, float] | None = None) -> list[SheetRow]:
    """The rows of form 06 for a dossier's timeline (in order of time). The intake row is the
    receiving unit's (the desk that received it, which may be another agency's than the lead
    one: intake regardless of administrative boundary); the others the agency holding it.
    `plan`: the stages' allotted hours the dossier was accepted under (its facts' step plan);
    None: the procedure's."""
    visits: list[_Visit] = []
    current: _Visit | None = None  # the stage visit holding the dossier
    wait: _Visit | None = None  # the applicant's row while a supplement or fees are awaited
    consultations: list[_Visit] = []  # open liên thông sub-tasks
    holder: str | None = None

    def open_visit(kind: str, stage: str, agency: str | None, giver: str, entry: Entry) -> _Visit:
        visit = _Visit(kind, stage, agency, giver, entry.actor, entry.at, len(visits))
        visits.append(visit)
        return visit

    for entry in sorted(entries, key=lambda e: e.at):
        if entry.type == "ConsultationRequested":
            consultation = open_visit("consultation", "appraisal", _consulted_agency(entry),
                                      "appraisal", entry)
            consultation.respond_by = _respond_by(entry)
            consultations.append(consultation)
        elif entry.type == "ConsultationAnswered" and consultations:
            by = _answered_by(entry)
            answered = next((c for c in consultations if c.agency == by), consultations[0])
            consultations.remove(answered)
            answered.handed_on_at, answered.receiver_actor = entry.at, entry.actor
        if entry.type == "ResultHandedToPost" and current is not None:
            # By post the result changes hands between agencies while delivery holds it: the
            # desk's row ends, the post office's begins (its transit is not judged: the
            # dossier's time ended when the result was ready).
            current.handed_on_at, current.receiver_actor = entry.at, entry.actor
            current = open_visit("postal", current.stage, _post_office(entry), current.stage,
                                 entry)
            continue
        new_holder = _holder(entry, holder)
        if new_holder == holder and entry.type not in ENDING_EVENTS:
            continue
        if wait is not None:  # the applicant answered (or the wait ended with the dossier)
            wait.handed_on_at, wait.receiver_actor = entry.at, entry.actor
            if current is not None:
                current.waits.append((wait.received_at, entry.at))
            wait = None
        if new_holder == APPLICANT:
            wait = open_visit("applicant", APPLICANT, lead_agency, holder or "intake", entry)
        elif current is None or new_holder != current.stage:
            if current is not None:
                current.handed_on_at, current.receiver_actor = entry.at, entry.actor
            current = None
            if new_holder is not None:
                giver = "applicant" if entry.type == "DossierSubmitted" else entry.stage
                agency = entry.agency or lead_agency
                if new_holder == "intake" and receiving_unit is not None:
                    agency = receiving_unit
                current = open_visit("stage", new_holder, agency, giver, entry)
        holder = new_holder
    if wait is not None and current is not None:
        current.waits.append((wait.received_at, None))
    if plan is None:
        plan = procedure.step_hours() if procedure is not None else {}
    return _rows(visits, plan, calendar, now)


def _rows(visits: list[_Visit], plan: Mapping[str, float], calendar: WorkingCalendar,
          now: datetime) -> list[SheetRow]:
    spent: dict[str, float] = {}
    rows = []
    for number, visit in enumerate(sorted(visits, key=lambda v: (v.received_at, v.order)), 1):
        end = visit.handed_on_at or max(now, visit.received_at)
        waiting = working_waits(calendar, visit.waits, visit.received_at, end)
        used = max(calendar.working_hours_between(visit.received_at, end) - waiting, 0.0)
        allotted: float | None = None
        if visit.kind == "stage" and visit.stage in plan:
            allotted = max(plan[visit.stage] - spent.get(visit.stage, 0.0), 0.0)
            spent[visit.stage] = spent.get(visit.stage, 0.0) + used
        elif visit.kind == "consultation" and visit.respond_by is not None:
            allotted = max(calendar.working_hours_between(visit.received_at, visit.respond_by), 0)
        result = (judge_step(allotted, used, visit.handed_on_at is not None)
                  if visit.kind != "applicant" else None)
        receiver = visit.stage if visit.kind != "applicant" else APPLICANT
        rows.append(SheetRow(
            step=number, kind=visit.kind, stage=visit.stage, agency=visit.agency,
            giver=visit.giver, giver_actor=visit.giver_actor, receiver=receiver,
            receiver_actor=visit.receiver_actor, received_at=visit.received_at,
            handed_on_at=visit.handed_on_at, allotted_hours=_round(allotted),
            used_hours=round(used, 2), waiting_hours=round(waiting, 2), result=result))
    return rows


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 2)
