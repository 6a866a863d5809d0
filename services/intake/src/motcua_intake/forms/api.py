"""The dossier's forms 01 to 05 over HTTP (docs/forms.md):

    GET /api/dossiers/{code}/forms?id_number=...              the applicant's list
    GET /api/dossiers/{code}/forms/{form}?id_number=...       the applicant's PDF (01 to 05)
    GET /api/officer/dossiers/{code}/forms                    an officer's list (bearer token)
    GET /api/officer/dossiers/{code}/forms/{form}             an officer's PDF

The applicant proves the dossier is theirs with its code and their ID number, as for every
lookup (and is rate-limited as one). An officer reads them when a stage of their agency holds or
held the dossier (motcua_intake.tracking.access.find_for_officer); a form names the applicant,
so every officer's read is in the access log before the first byte goes out. A form of which
the dossier has several (02: intake's and the agency's requests) is served newest first. A PDF
is served only if it opens to the SHA-256 recorded when it was stored."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_documents import MEDIA_TYPE, TITLES
from motcua_files import FileError, FileStoreUnavailable
from motcua_intake.access_log import record_read
from motcua_intake.files.documents import DossierFiles
from motcua_intake.forms.stored import open_form, stored_forms
from motcua_intake.orm import Dossier, DossierForm
from motcua_intake.tracking.access import find_for_applicant, find_for_officer
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

log = structlog.get_logger(__name__)
SessionDep = Annotated[AsyncSession, Depends(session_from)]
FormNumber = Annotated[str, Path(pattern=r"^0[1-5]$", examples=["01"], description=(
    "The form: 01 receipt and appointment, 02 supplement request, 03 refusal, 04 apology and "
    "new appointment, 05 processing stopped"))]


class StoredForm(BaseModel):
    form: str = Field(description="01 to 05", examples=["01"])
    title: str = Field(description="The form's title, as printed on it")
    issued_at: datetime = Field(description="When the event that called for it happened")
    sha256: str = Field(description="The PDF's SHA-256, as the download's X-Document-SHA256")
    size: int = Field(description="The PDF's size in bytes")


class StoredForms(BaseModel):
    forms: list[StoredForm] = Field(description="The stored forms, oldest first; a form queued "
                                                "a moment ago appears once rendered")


def _listing(rows: list[DossierForm]) -> StoredForms:
    return StoredForms(forms=[StoredForm(form=row.form, title=TITLES[row.form],
                                         issued_at=row.issued_at, sha256=row.sha256 or "",
                                         size=row.size or 0) for row in rows])


def _newest(rows: list[DossierForm], dossier: Dossier, form: str) -> DossierForm:
    of_form = [row for row in rows if row.form == form]
    if not of_form:
        # 409, not 404: the dossier and the ID number matched (no guess for the rate limit);
        # the form is not there in the dossier's present state.
        raise HTTPException(409, detail={
            "message": f"dossier {dossier.code} has no form {form} (yet)",
            "message_vi": f"Hồ sơ chưa có phiếu mẫu số {form}."})
    return of_form[-1]


async def _pdf(session: AsyncSession, files: DossierFiles, dossier: Dossier,
               row: DossierForm) -> Response:
    try:
        pdf = await open_form(session, files.store, row)
    except FileStoreUnavailable as error:
        log.error("file store unavailable", reason=str(error))
        raise HTTPException(503, detail={"message": "the file store is unavailable; retry "
                                         "shortly"}, headers={"Retry-After": "30"}) from None
    except FileError as error:
        log.error("stored form not served", form=row.form, dossier_id=str(dossier.id),
                  reason=str(error))
        raise HTTPException(500, detail={"message": "the form is missing from the store or "
                                         "damaged; it is not served"}) from None
    if pdf is None:
        raise HTTPException(410, detail={"message": "the dossier's personal data was erased, "
                                         "its forms with it"})
    return Response(pdf, media_type=MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="mau-{row.form}-{dossier.code}.pdf"',
        "X-Document-SHA256": row.sha256 or "", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
          "description": "The form's PDF, checked against its SHA-256"},
    410: {"description": "The dossier's personal data was erased"},
    422: {"description": "Not a form number (01 to 05)"},
    500: {"description": "The stored form is missing or damaged"},
    503: {"description": "The file store is unavailable"}}


def create_forms_router(files: DossierFiles, current_officer: OfficerDependency,
                        catalogue: Catalogue) -> APIRouter:
    """`catalogue`: the access rule's (the desk that received a dossier takes part in it)."""
    router = APIRouter()
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.get("/api/dossiers/{code}/forms", response_model=StoredForms, responses={
        404: {"description": "No such dossier, no ID number or one that differs"}})
    async def applicant_forms(code: str, session: SessionDep,
                              id_number: str | None = None) -> StoredForms:
        """The forms issued to the applicant so far, with the dossier's code and their ID."""
        async with session.begin():
            dossier = await find_for_applicant(session, code, id_number)
            return _listing(await stored_forms(session, dossier.id))

    @router.get("/api/dossiers/{code}/forms/{form}", response_class=Response, responses={
        **_PDF, 404: {"description": "No such dossier, or the ID number differs"},
        409: {"description": "No such form was issued (yet)"}})
    async def applicant_form(code: str, form: FormNumber, session: SessionDep,
                             id_number: str | None = None) -> Response:
        """The applicant's form (the newest of that number), with the code and their ID."""
        async with session.begin():
            dossier = await find_for_applicant(session, code, id_number)
            row = _newest(await stored_forms(session, dossier.id), dossier, form)
            return await _pdf(session, files, dossier, row)

    @router.get("/api/officer/dossiers/{code}/forms", response_model=StoredForms, responses={
        403: {"description": "No stage of the officer's agency holds or held the dossier"},
        404: {"description": "No such dossier"}})
    async def officer_forms(code: str, session: SessionDep, officer: OfficerDep) -> StoredForms:
        """The dossier's forms, for an officer of an agency that holds or held it."""
        async with session.begin():
            dossier = await find_for_officer(session, code, officer, catalogue)
            return _listing(await stored_forms(session, dossier.id))

    @router.get("/api/officer/dossiers/{code}/forms/{form}", response_class=Response,
                responses={**_PDF,
                           403: {"description": "No stage of the officer's agency holds or held "
                                                "the dossier"},
                           404: {"description": "No such dossier"},
                           409: {"description": "No such form was issued (yet)"}})
    async def officer_form(code: str, form: FormNumber, request: Request, session: SessionDep,
                           officer: OfficerDep) -> Response:
        """A dossier's form for an officer; the read is in the access log
        (`GET /api/personal-data-reads`) before it is sent."""
        async with session.begin():
            dossier = await find_for_officer(session, code, officer, catalogue)
            row = _newest(await stored_forms(session, dossier.id), dossier, form)
            answer = await _pdf(session, files, dossier, row)
            record_read(session, request, officer, dossier, "form", row.sha256)
        log.info("dossier form read by officer", officer=officer.name, agency=officer.agency,
                 dossier_id=str(dossier.id), form=form)
        return answer

    return router
