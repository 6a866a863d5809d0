"""The front door's routes: filing a dossier (`POST /api/dossiers`, idempotent with an
`Idempotency-Key`), the applicant's actions after filing (supplement, payment, withdrawal), and
the list of procedures. Each writes its event to the outbox in its own transaction and then calls
`on_commit` (which wakes the relay).

Bad input is a 4xx with a message naming the field and the reason; never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.communes import commune_choices
from motcua_contracts import Event
from motcua_contracts.intake import DossierSubmitted
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.files.documents import DocumentsRefused, DossierFiles, stored_documents
from motcua_intake.filing import applicant, idempotency
from motcua_intake.filing.submissions import (
    Submission,
    UnknownProcedure,
    UnstorableValue,
    submit,
)
from motcua_runtime.http import session_from
from motcua_telemetry import spans

log = structlog.get_logger(__name__)


class Accepted(BaseModel):
    dossier_id: uuid.UUID
    code: str
    status_url: str


class ActionTaken(BaseModel):
    event_id: uuid.UUID
    type: str


SessionDep = Annotated[AsyncSession, Depends(session_from)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=idempotency.KEY_PATTERN,
    description="1-255 visible ASCII characters (e.g. a UUID) the client chooses per filing. "
                "Sent again with the same body (within 24 h), it gets the first answer again, "
                "with `Idempotent-Replayed: true`; with another body, a 409.")]
OnCommit = Callable[[], None]


class Replayed(Exception):
    """The filing's key was used before with the same body: answer as the first time."""

    def __init__(self, row: idempotency.Earlier) -> None:
        self.row = row


def create_filing_router(catalogue: Catalogue, calendar: WorkingCalendar,
                         outbox: applicant.Outbox, on_commit: OnCommit,
                         files: DossierFiles, versions: CatalogueVersions | None = None
                         ) -> APIRouter:
    """The front door's routes; `outbox` names the topic and intake's key, which signs every
    event they emit; `files` is where the documents' files were stored; `versions` the
    imported catalogues (a dossier is received under the one in force; none: `catalogue`)."""
    router = APIRouter()
    add_filing_route(router, catalogue, outbox, on_commit, files, versions)
    add_applicant_routes(router, catalogue, calendar, outbox, on_commit, files, versions)
    add_procedures_route(router, catalogue, versions)
    return router


# -- filing -----------------------------------------------------------------------------------

def add_filing_route(router: APIRouter, catalogue: Catalogue, outbox: applicant.Outbox,
                     on_commit: OnCommit, files: DossierFiles,
                     versions: CatalogueVersions | None = None) -> None:
    @router.post("/api/dossiers", status_code=202, response_model=Accepted,
                 responses={409: {"description": "The Idempotency-Key was used for another body"},
                            413: {"description": "The request body is too large, or the "
                                                 "documents' files together are over "
                                                 "FILES_MAX_DOSSIER_BYTES"},
                            422: {"description": "Invalid dossier, unknown procedure, or a "
                                                 "document naming a file not stored"}})
    async def file_dossier(submission: Submission, session: SessionDep,
                           idempotency_key: IdempotencyKey = None) -> Any:
        return await file_once(session, catalogue, outbox, on_commit, submission,
                               idempotency_key, files, versions=versions)


@dataclass(frozen=True)
class Filer:
    """Who files: the portal (the citizen, unauthenticated), or a desk officer at a counter
    (`officer:<name>`, their agency the receiving unit)."""

    actor: str = "portal"
    receiving_unit: str | None = None


PORTAL = Filer()


async def file_once(session: AsyncSession, catalogue: Catalogue, outbox: applicant.Outbox,
                    on_commit: OnCommit, submission: Submission,
                    idempotency_key: str | None, files: DossierFiles,
                    filer: Filer = PORTAL, *, versions: CatalogueVersions | None = None
                    ) -> Accepted | JSONResponse:
    """File the dossier, or answer a retry of the same filing as the first time."""
    # This request's span is the root of the dossier's trace: every stage continues it.
    root = spans.current_traceparent()
    digest = idempotency.request_sha256(submission.model_dump(mode="json"))
    try:
        async with spans.transaction("intake"), session.begin():
            event, accepted = await _record_filing(session, catalogue, outbox, submission,
                                                   idempotency_key, digest, root, files, filer,
                                                   versions)
    except (UnknownProcedure, UnstorableValue) as error:
        raise HTTPException(422, detail={"message": str(error)}) from None
    except DocumentsRefused as refused:
        raise HTTPException(refused.status, detail={"message": refused.message}) from None
    except Replayed as replay:
        return _replay(replay.row, digest)
    on_commit()
    trace.get_current_span().set_attributes(spans.event_attributes(event))
    structlog.contextvars.bind_contextvars(dossier_id=str(event.dossier_id),
                                           event_id=str(event.event_id))
    log.info("dossier submitted", code=event.code, actor=filer.actor)
    return accepted


async def _record_filing(session: AsyncSession, catalogue: Catalogue, outbox: applicant.Outbox,
                         submission: Submission, idempotency_key: str | None, digest: bytes,
                         root: str | None, files: DossierFiles, filer: Filer,
                         versions: CatalogueVersions | None
                         ) -> tuple[DossierSubmitted, Accepted]:
    """Inside the filing's transaction: claim the key (Replayed if it was used before), submit,
    and keep the answer under the key."""
    if idempotency_key is not None:
        earlier = await idempotency.claim(session, idempotency_key, digest)
        if earlier is not None:
            raise Replayed(earlier)  # rolls back: nothing was written
    documents = await stored_documents(session, files, submission.documents)
    event = await submit(session, catalogue, outbox.topic, submission, signer=outbox.signer,
                         documents=documents, actor=filer.actor,
                         receiving_unit=filer.receiving_unit, trace_parent=root,
                         versions=versions)
    accepted = Accepted(dossier_id=event.dossier_id, code=event.code,
                        status_url=f"/api/dossiers/{event.dossier_id}")
    if idempotency_key is not None:
        await idempotency.record(session, idempotency_key, 202,
                                 accepted.model_dump(mode="json"), event.dossier_id)
    return event, accepted


def _replay(row: idempotency.Earlier, digest: bytes) -> JSONResponse:
    if row.request_sha256 != digest:
        raise HTTPException(409, detail={"message": (
            f"Idempotency-Key {row.key!r} was used for a different filing (dossier "
            f"{row.dossier_id}); send a new key for a new dossier")})
    log.info("filing replayed", idempotency_key=row.key, dossier_id=str(row.dossier_id))
    return JSONResponse(status_code=row.status_code, content=row.response,
                        headers={"Idempotent-Replayed": "true"})


# -- the applicant's actions after filing -----------------------------------------------------

def add_applicant_routes(router: APIRouter, catalogue: Catalogue, calendar: WorkingCalendar,
                         outbox: applicant.Outbox, on_commit: OnCommit,
                         files: DossierFiles, versions: CatalogueVersions | None = None) -> None:
    @router.post("/api/dossiers/{code}/supplement", status_code=202, response_model=ActionTaken,
                 responses={404: {"description": "No such dossier for that ID number"},
                            409: {"description": "The dossier is not waiting for a supplement"},
                            413: {"description": "The request body is too large, or the "
                                                 "dossier's files with these are over "
                                                 "FILES_MAX_DOSSIER_BYTES"},
                            422: {"description": "Invalid supplement, or a document naming a "
                                                 "file not stored"}})
    async def file_supplement(code: str, filing: applicant.SupplementFiling,
                              session: SessionDep) -> Any:
        return await applicant_action(session, on_commit, lambda: applicant.file_supplement(
            session, catalogue, calendar, outbox, code, filing, files, versions=versions))

    @router.post("/api/dossiers/{code}/payment", status_code=202, response_model=ActionTaken,
                 responses={404: {"description": "No such dossier for that ID number"},
                            409: {"description": "No fees are due"}})
    async def pay_fees(code: str, payment: applicant.Payment, session: SessionDep) -> Any:
        return await applicant_action(session, on_commit, lambda: applicant.pay_fees(
            session, catalogue, calendar, outbox, code, payment))

    @router.post("/api/dossiers/{code}/withdrawal", status_code=202, response_model=ActionTaken,
                 responses={404: {"description": "No such dossier for that ID number"},
                            409: {"description": "The dossier can no longer be withdrawn"}})
    async def withdraw(code: str, request: applicant.WithdrawalRequest,
                       session: SessionDep) -> Any:
        return await applicant_action(session, on_commit, lambda: applicant.withdraw(
            session, outbox, code, request))


async def applicant_action(session: AsyncSession, on_commit: OnCommit,
                           action: Callable[[], Awaitable[Event]]) -> ActionTaken:
    """Run one of the applicant's actions in its own transaction; 404 or 409 as it says."""
    try:
        async with spans.transaction("intake"), session.begin():
            event = await action()
    except applicant.NotFound as error:
        raise HTTPException(404, detail={"message": str(error)}) from None
    except applicant.NotNow as error:
        raise HTTPException(409, detail={"message": str(error)}) from None
    except DocumentsRefused as refused:
        raise HTTPException(refused.status, detail={"message": refused.message}) from None
    on_commit()
    structlog.contextvars.bind_contextvars(dossier_id=str(event.dossier_id),
                                           event_id=str(event.event_id))
    log.info("applicant action taken", event_type=event.type)
    return ActionTaken(event_id=event.event_id, type=event.type)


# -- the catalogue's list of procedures -------------------------------------------------------

def add_procedures_route(router: APIRouter, catalogue: Catalogue,
                         versions: CatalogueVersions | None = None) -> None:
    @router.get("/api/procedures")
    async def list_procedures(request: Request) -> list[dict[str, Any]]:
        """The procedures of the catalogue in force (a dossier filed now is received under it)."""
        current = catalogue
        if versions is not None:
            async with request.app.state.sessions() as session:
                current = await versions.in_force(session, datetime.now(timezone.utc))
        # With the communes a commune-level filing may name (motcua_catalogue.communes).
        return [procedure.model_dump() | {"communes": commune_choices(current, procedure)}
                for procedure in current.procedures.values()]
