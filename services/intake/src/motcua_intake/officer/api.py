"""Officers' routes in intake:

    GET  /api/officer/dossiers/{code}   the dossier whole, for an officer of an agency that took
                                        part in it (the same rule as its files' download); each
                                        read is recorded (motcua_intake.access_log)
    POST /api/officer/dossiers          the one-stop desk (role `intake`) files a dossier for a
                                        citizen at the counter, as the officer
    POST /api/officer/dossiers/{code}/supplement
                                        the desk files the supplement the citizen brings to the
                                        counter, as the officer (the applicant's own path)

The caller is the bearer token's officer (motcua_runtime.officers); who may read which dossier
is motcua_intake.tracking.access, what the answer holds motcua_intake.officer.view."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_contracts.intake import MAX_DOCUMENTS
from motcua_intake.access_log import record_read
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.files.documents import DossierFiles, FiledDocument
from motcua_intake.filing import applicant
from motcua_intake.filing.api import (
    Accepted,
    ActionTaken,
    Filer,
    IdempotencyKey,
    SessionDep,
    applicant_action,
    file_once,
)
from motcua_intake.filing.applicant import Outbox
from motcua_intake.filing.submissions import Submission
from motcua_intake.officer.view import OfficerDossierView, officer_view
from motcua_intake.orm import Dossier
from motcua_intake.personal import keyring, opened_form_data
from motcua_intake.tracking.access import find_for_officer
from motcua_intake.tracking.api import view_and_person
from motcua_runtime.officers import Officer, OfficerDependency

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
DESK_ROLE = "intake"  # the one-stop desk's officers (tiếp nhận)


class CounterSubmission(Submission):
    """The portal's filing body, filed at the desk: the channel is the counter."""

    channel: Literal["counter"] = Field(
        default="counter", description="A desk filing is a counter filing (may be left out).")


class CounterSupplement(BaseModel):
    """The papers a citizen brings back to the counter, each a file the desk uploaded first."""

    model_config = ConfigDict(extra="forbid")

    documents: list[FiledDocument] = Field(
        min_length=1, max_length=MAX_DOCUMENTS,
        description="The supplement's documents, each naming a file stored before with "
                    "`POST /api/files` by its sha256.")


@dataclass(frozen=True)
class Filing:
    """What a desk filing needs: where intake's events go, the relay to wake, the files."""

    outbox: Outbox
    on_commit: Callable[[], None]
    files: DossierFiles
    versions: CatalogueVersions | None = None  # the imported catalogues (none: the shipped)


def create_officer_router(catalogue: Catalogue, calendar: WorkingCalendar,
                          current_officer: OfficerDependency, filing: Filing, *,
                          clock: Clock | None = None) -> APIRouter:
    now = clock or (lambda: datetime.now(timezone.utc))
    router = APIRouter()
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.get("/api/officer/dossiers/{code}", response_model=OfficerDossierView, responses={
        401: {"description": "No valid officer token"},
        403: {"description": "No stage of the officer's agency holds or held the dossier, and "
                             "it does not consult the agency; or a service's token"},
        404: {"description": "No such dossier"}})
    async def officer_dossier(code: str, request: Request, session: SessionDep,
                              officer: OfficerDep) -> OfficerDossierView:
        """The dossier as its officers work on it: the applicant (opened; null once erased),
        the form data, the documents with their download paths, the timeline, the supplements
        and the control sheet (form 06). The read is in the access log
        (`GET /api/personal-data-reads`) before the answer goes out."""
        async with session.begin():
            dossier = await find_for_officer(session, code, officer, catalogue)
            view, person = await view_and_person(session, dossier, catalogue, calendar, now)
            form = opened_form_data(await keyring(session, [dossier.id]), dossier)
            record_read(session, request, officer, dossier, "dossier")
        log.info("dossier read by officer", officer=officer.name, agency=officer.agency,
                 dossier_id=str(dossier.id))
        return officer_view(dossier, view, catalogue, person, form)

    @router.post("/api/officer/dossiers", status_code=202, response_model=Accepted, responses={
        401: {"description": "No valid officer token"},
        403: {"description": "Not a desk officer (role intake), or an agency not in the "
                             "catalogue"},
        409: {"description": "The Idempotency-Key was used for another body"},
        413: {"description": "The documents' files together are over "
                             "FILES_MAX_DOSSIER_BYTES"},
        422: {"description": "Invalid dossier, a channel other than counter, unknown "
                             "procedure, or a document naming a file not stored"}})
    async def file_at_counter(submission: CounterSubmission, session: SessionDep,
                              officer: OfficerDep,
                              idempotency_key: IdempotencyKey = None) -> Any:
        """File a dossier for a citizen at the counter: the body of `POST /api/dossiers` with
        channel `counter`, the files uploaded first with `POST /api/files`. The event records
        the officer as its actor and their agency as the receiving unit (the code's prefix)."""
        desk = desk_of(officer, catalogue)
        return await file_once(session, catalogue, filing.outbox, filing.on_commit, submission,
                               idempotency_key, filing.files,
                               Filer(actor=officer.actor, receiving_unit=desk),
                               versions=filing.versions)

    @router.post("/api/officer/dossiers/{code}/supplement", status_code=202,
                 response_model=ActionTaken, responses={
                     401: {"description": "No valid officer token"},
                     403: {"description": "Not a desk officer (role intake), or no stage of "
                                          "the officer's agency holds or held the dossier"},
                     404: {"description": "No such dossier"},
                     409: {"description": "The dossier is not waiting for a supplement"},
                     413: {"description": "The dossier's files with these are over "
                                          "FILES_MAX_DOSSIER_BYTES"},
                     422: {"description": "Invalid supplement, or a document naming a file "
                                          "not stored"}})
    async def supplement_at_counter(code: str, body: CounterSupplement, session: SessionDep,
                                    officer: OfficerDep) -> Any:
        """File the supplement a citizen brings to the desk: what the applicant's
        `POST /api/dossiers/{code}/supplement` does, with the same checks and the same
        `SupplementProvided`, recorded with the officer as its actor. The desk has seen the
        citizen's identity paper, so no ID number is asked; the officer's agency must have
        taken part in the dossier (the desk that received it, or the competent agency's)."""
        desk_of(officer, catalogue)

        async def act() -> Any:
            found = await find_for_officer(session, code, officer, catalogue)
            # Locked as the applicant's path locks it: one supplement at a time.
            dossier = await session.scalar(
                select(Dossier).where(Dossier.id == found.id).with_for_update()
                .execution_options(populate_existing=True))
            assert dossier is not None
            return await applicant.supplement(
                session, catalogue, calendar, filing.outbox, dossier, body.documents,
                filing.files, actor=officer.actor, versions=filing.versions)

        taken = await applicant_action(session, filing.on_commit, act)
        log.info("supplement filed at the counter", officer=officer.name,
                 agency=officer.agency, event_id=str(taken.event_id))
        return taken

    return router


def desk_of(officer: Officer, catalogue: Catalogue) -> str:
    """The officer's agency, if they are a desk officer of an agency that receives dossiers."""
    if officer.role != DESK_ROLE:
        raise HTTPException(403, detail={"message": (
            f"filing at the counter is for the desk's officers (role {DESK_ROLE}), not "
            f"{officer.role}")})
    agency = catalogue.agencies.get(officer.agency)
    if agency is None or DESK_ROLE not in agency.stages:
        raise HTTPException(403, detail={"message": f"agency {officer.agency} has no one-stop "
                                         "desk in the catalogue (GET /api/agencies)"})
    return agency.code
