"""The administrator's erasure endpoints on intake (docs/privacy.md, docs/http.md):

    POST /api/admin/dossiers/{code}/erasure   erase the dossier's personal data (201)
    GET  /api/admin/erasures/due              the dossiers whose retention period is over

Both need a bearer token of role `admin` (401 without a valid token, 403 with another role, a
service's included). Intake itself destroys the key and signs `PersonalDataErased` with its own
key (motcua_intake.erasure); `motcua privacy erase|sweep` only call these.

No `from __future__ import annotations`: the routes' dependencies are local to the factory, so
their annotations must be evaluated where they are written."""

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_intake import erasure
from motcua_intake.filing.applicant import Outbox
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

SessionDep = Annotated[AsyncSession, Depends(session_from)]
Clock = Callable[[], datetime]


class DueView(BaseModel):
    codes: list[str]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_erasure_router(catalogue: Catalogue, outbox: Outbox, on_commit: Callable[[], None],
                          current_officer: OfficerDependency, now: Clock = _now) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    # Evaluated here: the dependency is local to this factory.
    async def administrator(officer: Annotated[Officer, Depends(current_officer)]) -> Officer:
        if officer.role != "admin":
            raise HTTPException(403, detail={"message": "erasing personal data is for the admin "
                                                        f"role, not {officer.role}"})
        return officer

    AdminDep = Annotated[Officer, Depends(administrator)]

    @router.post("/api/admin/dossiers/{code}/erasure", status_code=201,
                 response_model=erasure.Erased,
                 responses={401: {"description": "No valid token"},
                            403: {"description": "Not an administrator"},
                            404: {"description": "No dossier with that code"},
                            409: {"description": "Already erased, still being processed, or "
                                                 "kept until the end of its retention period "
                                                 "(the date is in the message)"}})
    async def erase_personal_data(code: str, request: erasure.ErasureRequest,
                                  session: SessionDep, admin: AdminDep) -> erasure.Erased:
        try:
            async with session.begin():
                erased = await erasure.erase(session, catalogue, outbox, code, request,
                                             by=f"operator:{admin.name}", now=now())
        except erasure.UnknownDossier as unknown:
            raise HTTPException(404, detail={"message": str(unknown)}) from None
        except erasure.ErasureRefused as refused:
            raise HTTPException(409, detail={"message": str(refused)}) from None
        on_commit()
        return erased

    @router.get("/api/admin/erasures/due", response_model=DueView,
                responses={401: {"description": "No valid token"},
                           403: {"description": "Not an administrator"}})
    async def erasures_due(session: SessionDep, admin: AdminDep) -> DueView:
        async with session.begin():
            return DueView(codes=await erasure.past_retention(session, catalogue, now()))

    return router
