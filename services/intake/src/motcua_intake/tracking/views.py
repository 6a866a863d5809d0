"""A dossier as the public sees it: its status, appointments, verdict, timeline and control
sheet (Phiếu kiểm soát, form 06), read from intake's tracking view. No answer carries personal
data: the timeline's notes are shown without the applicant's name, ID number, phone, e-mail or
addresses, whoever wrote them (older rows, an officer's reason, the applicant's own words)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_contracts import STATUS_NAMES, Status
from motcua_intake.domain import receiving_unit
from motcua_intake.orm import Dossier, TimelineEntry
from motcua_intake.tracking.control_sheet import (
    IN_PROGRESS,
    LATE,
    control_sheet,
    first_appointment,
    judge_end,
    running_late,
)
from motcua_runtime.logging import HIDDEN, mask_text


class StatusView(BaseModel):
    code: int
    name: str


class TimelineItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: str
    at: datetime
    agency: str | None
    stage: str
    actor: str
    status_code: int | None = None
    holder: str | None = None
    note: str | None = None
    imported: bool = Field(default=False, description="A step of the system the dossier was "
                                                      "imported from (`motcua import-legacy`)")


class SheetRowView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: int
    kind: str = Field(description="stage, applicant (a wait, not judged), consultation or "
                                  "postal (the post office carrying the result, not judged)")
    stage: str
    agency: str | None
    giver: str
    giver_actor: str | None
    receiver: str
    receiver_actor: str | None
    received_at: datetime
    handed_on_at: datetime | None
    allotted_hours: float | None = Field(description="None when the allotment is unknown")
    used_hours: float = Field(description="Working hours, less waiting on the applicant")
    waiting_hours: float
    result: str | None = Field(description="early, on_time, late, in_progress or None")


class DossierView(BaseModel):
    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    agency: str = Field(description="The competent agency, which handles the dossier")
    receiving_unit: str | None = Field(
        default=None, description="The agency whose one-stop desk received it (a centre, a "
                                  "commune, the competent agency's own desk), whose e-ID "
                                  "prefixes the code")
    channel: str
    status: StatusView
    stage: str | None
    received_at: datetime
    due_at: datetime | None = Field(description="The current appointment")
    first_due_at: datetime | None = Field(description="The appointment on the receipt (form 01)")
    rescheduled_from: datetime | None
    ended_at: datetime | None
    on_time: bool | None
    overdue: bool
    verdict: str | None = Field(description="early, on_time, late; in_progress while unfinished "
                                            "and within its deadline")
    timeline: list[TimelineItem]
    control_sheet: list[SheetRowView]
    personal_data_erased_at: datetime | None = Field(
        default=None, description="When the applicant's personal data was erased (`motcua "
                                  "privacy erase`): the dossier is kept without the person.")
    imported_from: str | None = Field(
        default=None, description="The system the dossier was imported from; its steps there "
                                  "open the timeline, marked `imported`")


_PERSONAL = ("full_name", "id_number", "phone", "email", "address")


def public_note(note: str | None, person: dict[str, Any] | None) -> str | None:
    """`note` without the applicant's details (found by value, when they are not erased: the
    opened applicant, motcua_intake.personal) nor any ID number, phone or e-mail address (found
    by shape)."""
    if not note:
        return note
    values = [str(v) for v in ((person or {}).get(k) for k in _PERSONAL) if v]
    values += [str(v) for v in [(person or {}).get("delivery_address")] if v]
    for value in sorted(values, key=len, reverse=True):
        if len(value.strip()) >= 3:
            note = note.replace(value.strip(), HIDDEN)
    return mask_text(note)


LEGACY_STEP = "LegacyStep"  # a timeline item's type for a step of the old system


def legacy_steps(dossier: Dossier, person: dict[str, Any] | None) -> list[TimelineItem]:
    """The steps the system being replaced recorded, for an imported dossier (none otherwise):
    its dates and actors as they were, before what happened here."""
    imported = dossier.imported or {}
    return [TimelineItem(type=LEGACY_STEP, at=datetime.fromisoformat(step["at"]),
                         agency=None, stage=str(imported.get("source_system") or "legacy"),
                         actor=step["actor"], status_code=step["status"],
                         note=public_note(step.get("note"), person), imported=True)
            for step in imported.get("history") or []]


def received_by(dossier: Dossier, catalogue: Catalogue) -> str | None:
    """The dossier's receiving unit: as recorded, or for a row from before it was, the agency
    whose e-ID prefixes the code."""
    return dossier.receiving_unit or receiving_unit(dossier.code, catalogue.agencies.values())


def dossier_view(dossier: Dossier, entries: Sequence[TimelineEntry], catalogue: Catalogue,
                 calendar: WorkingCalendar, now: datetime, *,
                 person: dict[str, Any] | None = None,
                 erased_at: datetime | None = None) -> DossierView:
    facts, lifecycle = dossier.facts or {}, dossier.lifecycle or {}
    first = first_appointment(facts, dossier.due_at)
    rescheduled_from = facts.get("rescheduled_from")
    rescheduled = bool(rescheduled_from or lifecycle.get("rescheduled"))
    supplements = int(lifecycle.get("supplements") or 0)
    unit = received_by(dossier, catalogue)
    rows = control_sheet(entries, procedure=catalogue.procedures.get(dossier.procedure_code),
                         calendar=calendar, lead_agency=dossier.agency, now=now,
                         receiving_unit=unit, plan=facts.get("step_hours"))
    if dossier.ended_at is not None:
        verdict = judge_end(dossier.ended_at, first, rescheduled=rescheduled,
                            supplements=supplements, on_time=dossier.on_time)
    elif first is not None:
        late = running_late(now, first, rescheduled=rescheduled, supplements=supplements,
                            overdue=bool(lifecycle.get("overdue")))
        verdict = LATE if late else IN_PROGRESS
    else:
        verdict = None
    status = Status(dossier.status_code)
    return DossierView(
        dossier_id=dossier.id, code=dossier.code, procedure_code=dossier.procedure_code,
        agency=dossier.agency, receiving_unit=unit, channel=dossier.channel,
        status=StatusView(code=status, name=STATUS_NAMES[status]), stage=dossier.stage,
        received_at=dossier.received_at, due_at=dossier.due_at, first_due_at=first,
        rescheduled_from=rescheduled_from, ended_at=dossier.ended_at, on_time=dossier.on_time,
        overdue=bool(lifecycle.get("overdue")) or (
            dossier.ended_at is None and dossier.due_at is not None and now > dossier.due_at),
        verdict=verdict, timeline=[*legacy_steps(dossier, person), *(
            # the control sheet reads the notes as stored
            TimelineItem.model_validate(e).model_copy(update={"note": public_note(e.note, person)})
            for e in entries)],
        personal_data_erased_at=erased_at,
        imported_from=(dossier.imported or {}).get("source_system"),
        control_sheet=[SheetRowView.model_validate(row) for row in rows])
