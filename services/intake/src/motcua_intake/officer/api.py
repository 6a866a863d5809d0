"""Officers' routes in intake:

    GET /api/officer/dossiers/{code}   the dossier whole, for an officer of an agency that took
                                       part in it (the same rule as its files' download);
                                       each read is recorded (motcua_intake.access_log)

The caller is the bearer token's officer (motcua_runtime.officers); who may read which dossier
is motcua_intake.tracking.access, what the answer holds motcua_intake.officer.view."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_intake.access_log import record_read
from motcua_intake.officer.view import OfficerDossierView, officer_view
from motcua_intake.tracking.access import find_for_officer
from motcua_intake.tracking.api import view_and_person
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

log = structlog.get_logger(__name__)
SessionDep = Annotated[AsyncSession, Depends(session_from)]
Clock = Callable[[], datetime]


def create_officer_router(catalogue: Catalogue, calendar: WorkingCalendar,
                          current_officer: OfficerDependency, *,
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
            dossier = await find_for_officer(session, code, officer)
            view, person = await view_and_person(session, dossier, catalogue, calendar, now)
            record_read(session, request, officer, dossier, "dossier")
        log.info("dossier read by officer", officer=officer.name, agency=officer.agency,
                 dossier_id=str(dossier.id))
        return officer_view(dossier, view, catalogue, person)

    return router
