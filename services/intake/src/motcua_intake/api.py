"""Intake's HTTP API: the contract the citizen portal and the front desk build on.

Bad input is a 4xx with a message naming the field and the reason; never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from opentelemetry import trace
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_contracts import Event
from motcua_intake import applicant
from motcua_intake.submissions import Submission, UnknownProcedure, submit
from motcua_intake.tracking_api import create_tracking_router
from motcua_runtime.http import install_error_handlers, session_from
from motcua_runtime.officers import OfficerDependency
from motcua_runtime.keys import Signer
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


def create_api(sessions: async_sessionmaker[AsyncSession], catalogue: Catalogue,
               calendar: WorkingCalendar, topic: str, on_commit: Callable[[], None], *,
               current_officer: OfficerDependency, signer: Signer) -> FastAPI:
    """`on_commit` is called after a request wrote to the outbox (it wakes the relay); `signer`
    is intake's key, which signs every event the API emits."""

    app = FastAPI(title="motcua intake", version="1",
                  description="File dossiers and follow them by id or code.")
    app.state.sessions = sessions
    install_error_handlers(app, "dossier store")
    outbox = applicant.Outbox(topic, signer)
    # Following a dossier, the control sheet, the public lookup page, ratings and reports.
    app.include_router(create_tracking_router(catalogue, calendar, current_officer))

    @app.post("/api/dossiers", status_code=202, response_model=Accepted,
              responses={422: {"description": "Invalid dossier or unknown procedure"}})
    async def file_dossier(submission: Submission, session: SessionDep) -> Any:
        # This request's span is the root of the dossier's trace: every stage continues it.
        root = spans.current_traceparent()
        try:
            async with spans.transaction("intake"), session.begin():
                event = await submit(session, catalogue, topic, submission, signer=signer,
                                     trace_parent=root)
        except UnknownProcedure as error:
            raise HTTPException(422, detail={"message": str(error)}) from None
        on_commit()
        trace.get_current_span().set_attributes(spans.event_attributes(event))
        structlog.contextvars.bind_contextvars(dossier_id=str(event.dossier_id),
                                               event_id=str(event.event_id))
        log.info("dossier submitted", code=event.code)
        return Accepted(dossier_id=event.dossier_id, code=event.code,
                        status_url=f"/api/dossiers/{event.dossier_id}")

    async def applicant_action(session: AsyncSession,
                               action: Callable[[], Awaitable[Event]]) -> ActionTaken:
        """Run one of the applicant's actions in its own transaction; 404 or 409 as it says."""
        try:
            async with spans.transaction("intake"), session.begin():
                event = await action()
        except applicant.NotFound as error:
            raise HTTPException(404, detail={"message": str(error)}) from None
        except applicant.NotNow as error:
            raise HTTPException(409, detail={"message": str(error)}) from None
        on_commit()
        structlog.contextvars.bind_contextvars(dossier_id=str(event.dossier_id),
                                               event_id=str(event.event_id))
        log.info("applicant action taken", event_type=event.type)
        return ActionTaken(event_id=event.event_id, type=event.type)

    @app.post("/api/dossiers/{code}/supplement", status_code=202, response_model=ActionTaken,
              responses={404: {"description": "No such dossier for that ID number"},
                         409: {"description": "The dossier is not waiting for a supplement"}})
    async def file_supplement(code: str, filing: applicant.SupplementFiling,
                              session: SessionDep) -> Any:
        return await applicant_action(session, lambda: applicant.file_supplement(
            session, catalogue, calendar, outbox, code, filing))

    @app.post("/api/dossiers/{code}/payment", status_code=202, response_model=ActionTaken,
              responses={404: {"description": "No such dossier for that ID number"},
                         409: {"description": "No fees are due"}})
    async def pay_fees(code: str, payment: applicant.Payment, session: SessionDep) -> Any:
        return await applicant_action(session, lambda: applicant.pay_fees(
            session, catalogue, calendar, outbox, code, payment))

    @app.post("/api/dossiers/{code}/withdrawal", status_code=202, response_model=ActionTaken,
              responses={404: {"description": "No such dossier for that ID number"},
                         409: {"description": "The dossier can no longer be withdrawn"}})
    async def withdraw(code: str, request: applicant.WithdrawalRequest,
                       session: SessionDep) -> Any:
        return await applicant_action(session, lambda: applicant.withdraw(
            session, outbox, code, request))

    @app.get("/api/procedures")
    async def list_procedures() -> list[dict[str, Any]]:
        return [procedure.model_dump() for procedure in catalogue.procedures.values()]

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
