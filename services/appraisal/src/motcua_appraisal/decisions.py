"""What appraisal can decide on a work item: plain functions, no I/O. The automatic policy in
`handlers.py` and the specialists' work queue over HTTP both call them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from motcua_appraisal import STAGE
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.working_time import HOURS_PER_DAY
from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierAppraised,
    FeesRequested,
)
from motcua_contracts.dossier import ProcedureTerms
from motcua_contracts.intake import MAX_DOCUMENTS
from motcua_contracts.shared import DossierStopped, SupplementRequested
from motcua_runtime.request_types import JsonInt
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import close, wait_for


class Recommend(BaseModel):
    recommendation: Literal["approve", "deny"]
    findings: str = Field(min_length=1, max_length=4000,
                          description="The basis of the draft; for a denial, the reason.")


# Bounded like a filing's documents (motcua_contracts.intake): the list travels in the event.
DocumentName = Annotated[str, Field(min_length=1, max_length=300)]


class RequestSupplement(BaseModel):
    missing_documents: list[DocumentName] = Field(default_factory=list,
                                                  max_length=MAX_DOCUMENTS)
    reason: str = Field(min_length=1, max_length=2000)
    respond_within_days: JsonInt = Field(default=5, ge=1, le=30,
                                     description="Working days the applicant has to respond.")


class RequestFees(BaseModel):
    amount: JsonInt = Field(gt=0, le=1_000_000_000)
    reason: str = Field(min_length=1, max_length=500)


class Consult(BaseModel):
    agencies: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=50)
    question: str = Field(min_length=1, max_length=2000)


class Answer(BaseModel):
    agrees: bool
    answer: str = Field(min_length=1, max_length=4000)


class ConfirmWithdrawal(BaseModel):
    reason: str = Field(default="Dừng giải quyết theo đề nghị rút hồ sơ của công dân",
                        min_length=1, max_length=2000)


def recommend(item: Any, emitter: Emitter, *, recommendation: str, findings: str,
              actor: str = "auto", now: datetime | None = None) -> None:
    event = emitter.emit(DossierAppraised, cause=item.cause(), actor=actor,
                         dossier=item.facts(), recommendation=recommendation, findings=findings)
    close(item, outcome=recommendation, reason=findings, by=actor, at=now, emitted=event)


# Keys of the context of a dossier item opened by a return from approval: when the agency first
# received the dossier, and (inherited) when it asked for its one supplement.
ACCEPTED_AT, SUPPLEMENT_ASKED = "accepted_at", "supplement_requested"


def accepted_at(item: Any) -> datetime:
    """When the agency received the dossier from intake: the first item's opening."""
    accepted = (item.context or {}).get(ACCEPTED_AT)
    return datetime.fromisoformat(accepted) if accepted else item.opened_at


def request_supplement(item: Any, emitter: Emitter, *, reason: str, missing: list[str],
                       respond_within_days: int, terms: ProcedureTerms, now: datetime,
                       calendar: WorkingCalendar, window_days: float,
                       actor: str = "auto") -> None:
    """Ask the applicant for a supplement (form 02): once per dossier, within `window_days`
    working days of intake (docs/domain.md, "Supplement after intake"); else Rejected (409)."""
    context = item.context or {}
    if context.get(SUPPLEMENT_ASKED):
        raise Rejected("the agency asks for a supplement only once per dossier; one was asked "
                       f"at {context[SUPPLEMENT_ASKED]}")
    intake = accepted_at(item)
    closes = calendar.add_working_hours(intake, window_days * HOURS_PER_DAY)
    if now > closes:
        raise Rejected(f"a supplement may be asked within {window_days:g} working days of intake "
                       f"({intake.isoformat()}); that window closed at {closes.isoformat()}")
    respond_by = calendar.add_working_hours(now, respond_within_days * HOURS_PER_DAY)
    event = emitter.emit(SupplementRequested, cause=item.cause(), actor=actor,
                         requested_by=STAGE, missing_documents=missing, reason=reason,
                         respond_by=respond_by, clock=terms.supplement_clock)
    item.context = {**context, SUPPLEMENT_ASKED: event.occurred_at.isoformat()}
    wait_for(item, "supplement", [event])


def request_fees(item: Any, emitter: Emitter, *, amount: int, reason: str,
                 actor: str = "auto") -> None:
    event = emitter.emit(FeesRequested, cause=item.cause(), actor=actor, amount=amount,
                         reason=reason)
    wait_for(item, "fees", [event])


def consult(item: Any, emitter: Emitter, *, agencies: list[str], question: str,
            respond_by: datetime, known_agencies: set[str], actor: str = "auto") -> None:
    unknown = sorted(set(agencies) - known_agencies)
    if unknown:
        raise Rejected(f"unknown agencies {unknown}")
    if item.agency in agencies:
        raise Rejected("an agency does not consult itself")
    requests = [emitter.emit(ConsultationRequested, cause=item.cause(), actor=actor,
                             agency=agency, dossier=item.facts(), lead_agency=item.agency,
                             question=question, respond_by=respond_by)
                for agency in dict.fromkeys(agencies)]
    item.context = {**(item.context or {}), "consulted": sorted(set(agencies))}
    wait_for(item, "consultation", requests)


def answer(item: Any, emitter: Emitter, *, agrees: bool, text: str, actor: str = "auto",
           now: datetime | None = None) -> None:
    """The consulted agency's answer to a consultation item, sent back to the lead agency."""
    lead = item.context["lead_agency"]
    event = emitter.emit(ConsultationAnswered, cause=item.cause(), actor=actor, agency=lead,
                         consulted_agency=item.agency, agrees=agrees, answer=text)
    close(item, outcome="agrees" if agrees else "objects", reason=text, by=actor, at=now,
          emitted=event)


def confirm_withdrawal(item: Any, emitter: Emitter, *, reason: str, actor: str = "auto",
                       now: datetime | None = None) -> None:
    event = emitter.emit(DossierStopped, cause=item.cause(), actor=actor, reason=reason)
    close(item, outcome="stopped", reason=reason, by=actor, at=now, emitted=event)

