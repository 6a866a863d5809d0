"""What the applicant does after filing, at the desk or on the portal: file the supplement asked
for, pay the fees asked for, ask to withdraw. Each is one transaction that checks the applicant
(the dossier code is guessable, so the ID number must match), checks that the dossier is waiting
for exactly this, and writes the event to the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, Procedure, WorkingCalendar
from motcua_contracts import DossierState, Event, Status
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import MAX_DOCUMENTS, FeesPaid, SupplementProvided, WithdrawalRequested
from motcua_intake import domain
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.files.documents import DossierFiles, FiledDocument, stored_documents
from motcua_intake.handlers import cause_of
from motcua_intake.orm import OUTBOX, Dossier
from motcua_intake.personal import keyring, person_of, same_id
from motcua_runtime.keys import Signer
from motcua_runtime.request_types import JsonInt
from motcua_runtime.stage import Emitter, Rejected
from motcua_telemetry import names, spans

APPLICANT = "applicant"  # the actor of what the applicant does themselves


@dataclass(frozen=True)
class Outbox:
    """Where intake's own events go: the topic, signed with intake's key."""

    topic: str
    signer: Signer


class NotFound(LookupError):
    """No dossier with that code and ID number (the two cases look alike on purpose)."""


class NotNow(ValueError):
    """The dossier is not waiting for this (HTTP 409)."""


class Identified(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: str = Field(pattern=r"^[0-9]{9}$|^[0-9]{12}$",
                           description="The applicant's citizen ID (12 digits) or ID card (9).")


class SupplementFiling(Identified):
    documents: list[FiledDocument] = Field(
        min_length=1, max_length=MAX_DOCUMENTS,
        description="The supplement's documents, each naming a file stored before with "
                    "`POST /api/files` by its sha256.")


class Payment(Identified):
    amount: JsonInt = Field(gt=0, le=1_000_000_000, description="Amount paid, in đồng.")
    receipt_number: str = Field(min_length=1, max_length=64)


class WithdrawalRequest(Identified):
    reason: str = Field(min_length=1, max_length=2000)


async def applicant_dossier(session: AsyncSession, code: str, id_number: str) -> Dossier:
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code)
                                   .with_for_update())
    if dossier is None or not same_id(await person_of(session, dossier), id_number):
        raise NotFound(f"no dossier {code!r} for that ID number")
    return dossier


async def file_supplement(session: AsyncSession, catalogue: Catalogue,
                          calendar: WorkingCalendar, outbox: Outbox, code: str,
                          filing: SupplementFiling, files: DossierFiles, *,
                          versions: CatalogueVersions | None = None) -> Event:
    dossier = await applicant_dossier(session, code, filing.id_number)
    return await supplement(session, catalogue, calendar, outbox, dossier, filing.documents,
                            files, actor=APPLICANT, versions=versions)


async def supplement(session: AsyncSession, catalogue: Catalogue, calendar: WorkingCalendar,
                     outbox: Outbox, dossier: Dossier, filed: Sequence[FiledDocument],
                     files: DossierFiles, *, actor: str,
                     versions: CatalogueVersions | None = None) -> Event:
    """The supplement of `dossier` (its row locked by the caller), whoever brings it: the
    applicant on the portal, or a desk officer at the counter (`officer:<name>`), to whom the
    citizen hands the missing papers. The same checks and the same event either way."""
    catalogue = await _catalogue_of(session, dossier, catalogue, versions)
    state = DossierState.from_json(dossier.lifecycle)
    if state.progress != Status.SUPPLEMENT_REQUESTED or state.supplement_from is None:
        raise NotNow(f"dossier {dossier.code} is not waiting for a supplement")
    documents = await stored_documents(session, files, filed, already=dossier.documents)
    facts = None
    if state.supplement_from != "intake":
        facts = _moved(dossier, catalogue, calendar, clock=_clock(dossier, catalogue))
        facts = facts.model_copy(update={"supplements_requested": state.supplements})
    return await _emit(session, outbox, dossier, SupplementProvided, actor=actor,
                       resumes=state.supplement_from, documents=documents, dossier=facts)


async def pay_fees(session: AsyncSession, catalogue: Catalogue, calendar: WorkingCalendar,
                   outbox: Outbox, code: str, payment: Payment) -> Event:
    dossier = await applicant_dossier(session, code, payment.id_number)
    if DossierState.from_json(dossier.lifecycle).progress != Status.AWAITING_FEES:
        raise NotNow(f"dossier {code} has no fees due")
    facts = _moved(dossier, catalogue, calendar, clock="pause")  # waiting time is excluded
    facts = facts.model_copy(update={"fees_paid": facts.fees_paid + payment.amount})
    return await _emit(session, outbox, dossier, FeesPaid, amount=payment.amount,
                       receipt_number=payment.receipt_number, dossier=facts)


async def withdraw(session: AsyncSession, outbox: Outbox, code: str,
                   request: WithdrawalRequest) -> Event:
    dossier = await applicant_dossier(session, code, request.id_number)
    state = DossierState.from_json(dossier.lifecycle)
    if state.ended or state.withdrawal_requested or state.progress == Status.RESULT_READY:
        raise NotNow(f"dossier {code} can no longer be withdrawn (status {dossier.status_code})")
    # Before acceptance the one-stop desk confirms; after, the competent agency does.
    before_acceptance = state.progress == Status.SUBMITTED or state.supplement_from == "intake"
    # The applicant's own words: sealed under the dossier's key, like the rest of the person.
    reason = (await keyring(session, [dossier.id])).seal(dossier.id, request.reason)
    return await _emit(session, outbox, dossier, WithdrawalRequested, reason=reason,
                       confirmed_by="intake" if before_acceptance else "appraisal")


async def _catalogue_of(session: AsyncSession, dossier: Dossier, catalogue: Catalogue,
                        versions: CatalogueVersions | None) -> Catalogue:
    """The catalogue the dossier was received under: its deadlines are recounted under it."""
    if versions is None or not dossier.catalogue_version:
        return catalogue
    if dossier.catalogue_version not in versions.known():  # imported through another process
        await versions.refresh(session)
    return versions.get(dossier.catalogue_version)


def _procedure(dossier: Dossier, catalogue: Catalogue) -> Procedure | None:
    """The dossier's procedure in its case (the case's own limit and step plan)."""
    procedure = catalogue.procedures.get(dossier.procedure_code)
    if procedure is None:
        return None
    try:
        return procedure.for_case(dossier.case_code)
    except KeyError:  # a case the catalogue no longer has: its default terms
        return procedure


def _clock(dossier: Dossier, catalogue: Catalogue) -> str:
    procedure = _procedure(dossier, catalogue)
    return procedure.supplement_clock if procedure else "pause"


def _moved(dossier: Dossier, catalogue: Catalogue, calendar: WorkingCalendar, *,
           clock: str) -> DossierFacts:
    """The dossier's facts with deadlines moved for the time the applicant took."""
    facts = DossierFacts.model_validate(dossier.facts)
    procedure = _procedure(dossier, catalogue)
    if procedure is None or dossier.waiting_since is None:
        return facts
    return domain.moved_by_waiting(facts, procedure, calendar, waiting_since=dossier.waiting_since,
                                   now=datetime.now(timezone.utc), clock=clock)


async def _emit(session: AsyncSession, outbox: Outbox, row: Dossier, cls: type[Event],
                actor: str = APPLICANT, **payload: object) -> Event:
    try:
        cause = cause_of(row, waiting=cls is not WithdrawalRequested)
    except Rejected as error:
        # Filed a moment ago and not yet recorded by intake's own consumer: a 409, not a 500.
        raise NotNow(f"dossier {row.code} is still being recorded; try again in a few "
                     f"seconds ({error})") from error
    emitter = Emitter(outbox.signer.producer, outbox.topic, sign=outbox.signer.sign)
    # In the dossier's own trace, linked to this request: the event continues the journey.
    # The span's name says who in kind only (an officer's name is an attribute's business).
    who = APPLICANT if actor == APPLICANT else "desk"
    with spans.in_dossier_trace(row.trace_parent, f"{who} {cls.__name__}",
                                {names.DOSSIER_CODE: row.code}) as span:
        event = emitter.emit(cls, cause=cause, actor=actor, **payload)  # type: ignore[arg-type]
        span.set_attributes(spans.event_attributes(event))
    await session.execute(insert(OUTBOX), [m.as_row() for m in emitter.messages])
    return event
