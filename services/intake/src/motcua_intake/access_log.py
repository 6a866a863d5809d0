"""The access log: every read of personal data by an officer, a dossier's file or the dossier
itself with its applicant (who, for which agency and role, which dossier, what, when, from
where), recorded before the answer goes out and queryable by the auditors:

    GET /api/personal-data-reads   every read, by dossier code, officer and since when
    GET /api/file-reads            the reads of files only, as before the log held more
    POST /internal/personal-data-reads
                                   a read that another service served, recorded by it before
                                   it answers: delivery's hand-over record, which prints the
                                   receiver's and the applicant's names, and its work items
                                   shown with the postal address or the receiver's name opened
                                   (service:delivery only); one read, or a list of them

The table is `intake.personal_data_reads` (migration 0010, which kept the rows of the file log
`intake.file_reads`)."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, RootModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_intake.orm import Dossier, PersonalDataRead
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SessionDep = Annotated[AsyncSession, Depends(session_from)]
AUDIT_ROLES = ("auditor", "admin")
What = Literal["file", "dossier", "form", "hand-over-record", "work-item"]
# What each service may record of the reads it serves itself (the table is intake's alone).
SERVICE_READS: dict[str, tuple[str, ...]] = {
    "service:delivery": ("hand-over-record", "work-item")}
MAX_SERVED_READS = 1000  # a work queue's page of items at most
# No control characters: no code or name holds one (and Postgres text cannot hold \u0000).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str | None, Query(max_length=40, pattern=PRINTABLE,
                                   description="A dossier's code")]
Reader = Annotated[str | None, Query(alias="officer", max_length=128, pattern=PRINTABLE,
                                     description="An officer's name, as their token says it")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first")]


class _Read(BaseModel):
    """Who read what of which dossier, when and from where: what both answers share."""

    read_at: datetime
    officer: str
    agency: str
    role: str
    dossier_id: uuid.UUID
    dossier_code: str
    client: str | None = Field(description="The caller's address as the server sees it")


class PersonalDataReadEntry(_Read):
    what: What = Field(description="file: one of the dossier's files (sha256); dossier: the "
                                   "dossier with its applicant; form: one of its forms 01 to "
                                   "05 (the PDF's sha256); hand-over-record: delivery's record "
                                   "of a result handed over at the counter (the PDF's sha256); "
                                   "work-item: a delivery item shown with the personal data it "
                                   "keeps sealed opened (the postal address, the receiver's "
                                   "name)")
    sha256: str | None


class FileReadEntry(_Read):
    """A read of a file, as `GET /api/file-reads` has always answered it."""

    sha256: str


def record_read(session: AsyncSession, request: Request, officer: Officer, dossier: Dossier,
                what: What, sha256: str | None = None) -> None:
    """Add the read to the session's transaction: it is committed before the answer is sent."""
    session.add(PersonalDataRead(
        officer=officer.name, agency=officer.agency, role=officer.role, dossier_id=dossier.id,
        dossier_code=dossier.code, what=what, sha256=sha256,
        client=request.client.host if request.client else None))


class ServedRead(BaseModel):
    """A read another service served an officer: who (as the officer's token said), of which
    dossier, what, and from where the officer's request came."""

    model_config = ConfigDict(extra="forbid")

    dossier_id: uuid.UUID
    officer: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)
    agency: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)
    role: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)
    what: What
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    client: str | None = Field(default=None, max_length=64, pattern=PRINTABLE)


class ServedReads(RootModel[list[ServedRead]]):
    """Several reads served in one answer (a page of work items), recorded together."""

    root: list[ServedRead] = Field(min_length=1, max_length=MAX_SERVED_READS)


def check_auditor(officer: Officer) -> None:
    if officer.role not in AUDIT_ROLES:
        raise HTTPException(403, detail={"message": "the access log is for the auditor or "
                                         f"admin role, not {officer.role}"})


def reads_query(code: str | None, reader: str | None, since: datetime | None
                ) -> Select[PersonalDataRead]:
    query = select(PersonalDataRead).order_by(PersonalDataRead.read_at.desc(),
                                              PersonalDataRead.id.desc())
    if code is not None:
        query = query.where(PersonalDataRead.dossier_code == code)
    if reader is not None:
        query = query.where(PersonalDataRead.officer == reader)
    if since is not None:
        query = query.where(PersonalDataRead.read_at >= since)
    return query


def create_access_log_router(current_officer: OfficerDependency) -> APIRouter:
    router = APIRouter()
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.get("/api/personal-data-reads", response_model=list[PersonalDataReadEntry],
                responses={401: {"description": "No valid officer token"},
                           403: {"description": "Neither an auditor nor an administrator"},
                           422: {"description": "A `since` without its UTC offset"}})
    async def personal_data_reads(request: Request, session: SessionDep, officer: OfficerDep,
                                  code: Code = None,
                                  reader: Reader = None,
                                  since: Annotated[datetime | None, Query(description=(
                                      "From this time on (ISO 8601, with its offset)"))] = None,
                                  limit: Limit = 200) -> list[PersonalDataReadEntry]:
        """Officers' reads of personal data (files and dossiers), newest first; each filter
        narrows it, none gives the newest reads of all."""
        check_auditor(officer)
        # pydantic reads a bare number as a Unix time; the parameter is an ISO 8601 time.
        if since is not None and not _ISO_DATE.match(request.query_params.get("since", "")):
            raise HTTPException(422, detail={"message": "since: an ISO 8601 time, "
                                             "e.g. 2026-12-03T08:00:00+07:00"})
        if since is not None and since.utcoffset() is None:
            raise HTTPException(422, detail={"message": "since: give the time's UTC offset, "
                                             "e.g. 2026-12-03T08:00:00+07:00"})
        async with session.begin():
            rows = (await session.scalars(reads_query(code, reader, since).limit(limit))).all()
        return [PersonalDataReadEntry.model_validate(row, from_attributes=True) for row in rows]

    @router.get("/api/file-reads", response_model=list[FileReadEntry], responses={
        403: {"description": "Neither an auditor nor an administrator"},
        422: {"description": "Neither dossier nor officer given"}})
    async def file_reads(session: SessionDep, officer: OfficerDep,
                         dossier: Code = None, reader: Reader = None,
                         limit: Limit = 200) -> list[FileReadEntry]:
        """Officers' reads of dossiers' files, newest first, by dossier or by officer (the
        reads of whole dossiers are in `GET /api/personal-data-reads`)."""
        check_auditor(officer)
        if dossier is None and reader is None:
            raise HTTPException(422, detail={"message": "dossier or officer: name one (a "
                                             "dossier's code, an officer)"})
        query = reads_query(dossier, reader, None).where(PersonalDataRead.what == "file")
        async with session.begin():
            rows = (await session.scalars(query.limit(limit))).all()
        return [FileReadEntry.model_validate(row, from_attributes=True) for row in rows]

    @router.post("/internal/personal-data-reads", status_code=201, include_in_schema=False)
    async def served_read(body: ServedRead | ServedReads, session: SessionDep,
                          caller: OfficerDep) -> dict[str, bool | int]:
        """Record the reads delivery served (its hand-over record, its items with their
        personal data opened) before delivery answers: the access log stays one table,
        queried in one place, whoever drew what was read. All of a list, or none."""
        reads = body.root if isinstance(body, ServedReads) else [body]
        for read in reads:
            allowed = SERVICE_READS.get(caller.role, ())
            if read.what not in allowed:
                raise HTTPException(403, detail={"message": (
                    f"{caller.role} may not record reads of {read.what!r}" if caller.is_service
                    else "reads are recorded here by the services that serve them, not "
                         "officers")})
            if caller.agency not in ("*", read.agency):  # an agency's own: its officers
                raise HTTPException(403, detail={"message": f"instance {caller.name} serves "
                                                 f"agency {caller.agency}, not {read.agency}"})
        async with session.begin():
            ids = {read.dossier_id for read in reads}
            codes: dict[uuid.UUID, str] = {row.id: row.code for row in await session.execute(
                select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids)))}
            unknown = sorted(str(i) for i in ids - codes.keys())
            if unknown:
                raise HTTPException(404, detail={"message": f"no dossier {', '.join(unknown)}"})
            session.add_all(PersonalDataRead(
                officer=read.officer, agency=read.agency, role=read.role,
                dossier_id=read.dossier_id, dossier_code=codes[read.dossier_id], what=read.what,
                sha256=read.sha256, client=read.client) for read in reads)
        return {"recorded": True, "reads": len(reads)}

    return router
