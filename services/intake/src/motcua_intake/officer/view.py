"""A dossier as an officer of an agency that took part in it sees it: what the citizen's view
shows (status, appointments, timeline, control sheet) and what only officers read: the applicant
opened from its seal, the form data, the documents with their download paths, the supplements
asked for and given. Built on the citizen's view (motcua_intake.tracking.views), not beside it."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from motcua_catalogue import Catalogue
from motcua_contracts import STATUS_NAMES, Status
from motcua_intake.orm import Dossier
from motcua_intake.tracking.views import DossierView, SheetRowView, TimelineItem

# The timeline's events that ask the applicant for a supplement, and those that end the wait.
SUPPLEMENT_EVENTS = {"SupplementRequested": "requested", "SupplementProvided": "provided",
                     "SupplementExpired": "expired"}


class StatusLabel(BaseModel):
    code: int = Field(description="The national status code, 1 to 10")
    label: str = Field(description="Its name in Vietnamese")


class OfficerApplicant(BaseModel):
    full_name: str
    id_number: str
    phone: str
    email: str | None
    address: str
    delivery_address: str | None = Field(description="The postal address for the result, "
                                                     "when it goes by post")


class OfficerDocument(BaseModel):
    name: str
    sha256: str
    size: int
    media_type: str | None
    url: str = Field(description="The officer's download (the read is recorded)")


class OfficerTimelineItem(BaseModel):
    type: str
    occurred_at: datetime
    agency: str | None
    stage: str
    actor: str
    status: StatusLabel | None = Field(description="The status after the event")
    holder: str | None = Field(description="The stage holding the dossier afterwards")
    note: str | None


class SupplementItem(BaseModel):
    kind: str = Field(description="requested, provided (the applicant's answer) or expired")
    occurred_at: datetime
    stage: str = Field(description="Who asked (intake or appraisal), or the applicant's answer")
    actor: str
    note: str | None = Field(description="The reason, the missing documents, the deadline")


class OfficerDossierView(BaseModel):
    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    procedure_name: str | None
    agency: str = Field(description="The competent agency's code")
    agency_name: str | None
    receiving_unit: str | None = Field(description="The agency whose one-stop desk received "
                                                   "the dossier: its e-ID prefixes the code")
    receiving_unit_name: str | None
    channel: str
    status: StatusLabel
    stage: str | None = Field(description="The stage holding the dossier")
    received_at: datetime
    due_at: datetime | None = Field(description="The current appointment")
    first_due_at: datetime | None
    ended_at: datetime | None
    overdue: bool
    verdict: str | None
    applicant: OfficerApplicant | None = Field(description="None once erased")
    personal_data_erased: bool
    personal_data_erased_at: datetime | None
    delivery_channel: str | None = Field(description="How the result is handed over")
    fees_paid: int
    data: dict[str, Any] | None = Field(description="The form's data, as filed (opened from "
                                                    "its seal); null once erased")
    documents: list[OfficerDocument]
    timeline: list[OfficerTimelineItem]
    supplements: list[SupplementItem]
    supplement_due_at: datetime | None = Field(description="When a supplement asked for is due")
    supplement_documents: list[str] = Field(
        default_factory=list, description="The documents the supplement waited for asks for, "
        "one by one (empty when not waiting, or when the request named none)")
    control_sheet: list[SheetRowView]


def status_label(code: int) -> StatusLabel:
    return StatusLabel(code=code, label=STATUS_NAMES[Status(code)])


def document_url(code: str, sha256: str) -> str:
    return f"/api/officer/dossiers/{code}/files/{sha256}"


def _timeline_item(item: TimelineItem) -> OfficerTimelineItem:
    return OfficerTimelineItem(
        type=item.type, occurred_at=item.at, agency=item.agency, stage=item.stage,
        actor=item.actor, holder=item.holder, note=item.note,
        status=None if item.status_code is None else status_label(item.status_code))


def officer_view(dossier: Dossier, view: DossierView, catalogue: Catalogue,
                 person: dict[str, Any] | None,
                 form: dict[str, Any] | None) -> OfficerDossierView:
    """`view`: the citizen's view of the dossier; `person`: its applicant opened, `form` its
    form data opened (each None once erased: motcua_intake.personal)."""
    procedure = catalogue.procedures.get(dossier.procedure_code)
    agency = catalogue.agencies.get(dossier.agency)
    unit = view.receiving_unit
    timeline = [_timeline_item(item) for item in view.timeline]
    return OfficerDossierView(
        dossier_id=dossier.id, code=dossier.code, procedure_code=dossier.procedure_code,
        procedure_name=procedure.name if procedure else None, agency=dossier.agency,
        agency_name=agency.name if agency else None, receiving_unit=unit,
        receiving_unit_name=catalogue.agencies[unit].name
        if unit in catalogue.agencies else None,
        channel=dossier.channel, status=status_label(view.status.code), stage=view.stage,
        received_at=view.received_at, due_at=view.due_at, first_due_at=view.first_due_at,
        ended_at=view.ended_at, overdue=view.overdue, verdict=view.verdict,
        applicant=None if person is None else OfficerApplicant.model_validate(
            {"delivery_address": None, "email": None, **person}),
        personal_data_erased=view.personal_data_erased_at is not None,
        personal_data_erased_at=view.personal_data_erased_at,
        delivery_channel=(dossier.delivery or {}).get("channel"), fees_paid=dossier.fees_paid,
        data=form,
        documents=[OfficerDocument(name=d["name"], sha256=d["sha256"], size=d["size"],
                                   media_type=d.get("media_type"),
                                   url=document_url(dossier.code, d["sha256"]))
                   for d in dossier.documents or []],
        timeline=timeline,
        supplements=[SupplementItem(kind=SUPPLEMENT_EVENTS[t.type], occurred_at=t.occurred_at,
                                    stage=t.stage, actor=t.actor, note=t.note)
                     for t in timeline if t.type in SUPPLEMENT_EVENTS],
        supplement_due_at=dossier.supplement_due_at,
        supplement_documents=list(dossier.supplement_documents or []),
        control_sheet=view.control_sheet)
