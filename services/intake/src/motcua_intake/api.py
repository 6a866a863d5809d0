"""Intake's HTTP API: the contract the citizen portal and the front desk build on.

Bad input is a 4xx with a message naming the field and the reason; never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue import Catalogue
from motcua_contracts import STATUS_NAMES, Status
from motcua_intake import repository
from motcua_intake.submissions import Submission, UnknownProcedure, submit
from motcua_runtime.keys import Signer

log = structlog.get_logger(__name__)


class Accepted(BaseModel):
    dossier_id: uuid.UUID
    code: str
    status_url: str


class StatusView(BaseModel):
    code: int
    name: str


class TimelineItem(BaseModel):
    type: str
    at: datetime
    agency: str | None
    stage: str
    actor: str


class DossierView(BaseModel):
    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    agency: str
    channel: str
    status: StatusView
    stage: str | None
    received_at: datetime
    due_at: datetime | None
    timeline: list[TimelineItem]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


def _first_error_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        if item["type"] == "json_invalid":
            return "the request body is not valid JSON"
        location = ".".join(str(p) for p in item["loc"] if p not in ("body",))
        parts.append(f"{location or 'body'}: {item['msg']}")
    return "; ".join(parts)


def create_api(sessions: async_sessionmaker[AsyncSession], catalogue: Catalogue, topic: str,
               on_commit: Callable[[], None], signer: Signer) -> FastAPI:
    """`on_commit` is called after a submission commits (it wakes the outbox relay); `signer`
    is intake's key, which signs every `DossierSubmitted`."""

    app = FastAPI(title="motcua intake", version="1",
                  description="File dossiers and follow them by id or code.")
    app.state.sessions = sessions

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={
            "message": _first_error_message(error),
            "detail": [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                       for e in error.errors()]})

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def unavailable(_request: Request, error: Exception) -> JSONResponse:
        log.error("database unavailable", error=str(error))
        return JSONResponse(status_code=503, content={
            "message": "the dossier store is unavailable; retry shortly"},
            headers={"Retry-After": "5"})

    @app.post("/api/dossiers", status_code=202, response_model=Accepted,
              responses={422: {"description": "Invalid dossier or unknown procedure"}})
    async def file_dossier(submission: Submission, session: SessionDep) -> Any:
        try:
            async with session.begin():
                event = await submit(session, catalogue, topic, submission, signer=signer)
        except UnknownProcedure as error:
            raise HTTPException(422, detail={"message": str(error)}) from None
        on_commit()
        log.info("dossier submitted", dossier_id=str(event.dossier_id), code=event.code)
        return Accepted(dossier_id=event.dossier_id, code=event.code,
                        status_url=f"/api/dossiers/{event.dossier_id}")

    @app.get("/api/dossiers/{id_or_code}", response_model=DossierView)
    async def follow_dossier(id_or_code: str, session: SessionDep) -> Any:
        dossier = await repository.find(session, id_or_code)
        if dossier is None:
            raise HTTPException(404, detail={"message": f"no dossier {id_or_code!r}"})
        entries = await repository.timeline(session, dossier.id)
        status = Status(dossier.status_code)
        return DossierView(
            dossier_id=dossier.id, code=dossier.code, procedure_code=dossier.procedure_code,
            agency=dossier.agency, channel=dossier.channel,
            status=StatusView(code=status, name=STATUS_NAMES[status]), stage=dossier.stage,
            received_at=dossier.received_at, due_at=dossier.due_at,
            timeline=[TimelineItem(type=e.type, at=e.at, agency=e.agency, stage=e.stage,
                                   actor=e.actor) for e in entries])

    @app.get("/api/procedures")
    async def list_procedures() -> list[dict[str, Any]]:
        return [procedure.model_dump() for procedure in catalogue.procedures.values()]

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
