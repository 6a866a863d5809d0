"""The dossier's files over HTTP:

    POST /api/files                                   upload (multipart/form-data, streamed)
    GET  /api/dossiers/{code}/files/{sha256}          the applicant's download (code + ID number)
    GET  /api/officer/dossiers/{code}/files/{sha256}  an officer's download (bearer token)

An upload is read part by part as it arrives and goes to the store through motcua_files'
UploadCheck: its name, its type judged from its bytes, its size alone and with the other files
of the request. A refused file is a 413, 415 or 422 naming it, and nothing of it is stored.

An officer reads a dossier's files only if a stage of their agency holds or held the dossier
(it is the competent agency, or an event of the dossier was addressed to it or taken by it: a
consultation too: motcua_intake.tracking.access); every such read is recorded (who, agency,
role, dossier, file, when, from where: motcua_intake.access_log) before the first byte goes out.
Every download is verified against the SHA-256 the dossier's event carries before it starts
(motcua_files.VerifiedFile)."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_contracts.intake import MAX_DOCUMENTS
from motcua_files import (
    ACCEPTED,
    EXTENSIONS,
    FileError,
    FileRejected,
    FileStoreUnavailable,
    StoredFileCorrupt,
    StoredFileMissing,
    VerifiedFile,
)
from motcua_files.multipart import MultipartError, boundary_of, parts
from motcua_intake.access_log import record_read
from motcua_intake.files.documents import DossierFiles
from motcua_intake.orm import Dossier, StoredUpload
from motcua_intake.tracking.access import find_for_applicant, find_for_officer
from motcua_runtime.http import session_from
from motcua_runtime.officers import Officer, OfficerDependency

log = structlog.get_logger(__name__)
SessionDep = Annotated[AsyncSession, Depends(session_from)]
UPLOAD_PATH = "/api/files"
SHA256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$",
                             description="The file's SHA-256, as the dossier's documents name it")]
_FILE_CONTENT = {media_type: {"schema": {"type": "string", "format": "binary"}}
                 for media_type in sorted(ACCEPTED)}


class UploadedFile(BaseModel):
    name: str = Field(description="The file's name (NFC), as sent.")
    sha256: str = Field(description="Its SHA-256: what a filing's documents name it by.")
    size: int = Field(description="Bytes, as stored.")
    media_type: str = Field(description="The type judged from its bytes.")


class UploadedFiles(BaseModel):
    files: list[UploadedFile]


def upload_limit(files: DossierFiles) -> int:
    """The most an upload's body may announce: a dossier's files, and room for the parts'
    headers and delimiters (a few hundred bytes each)."""
    return files.settings.max_dossier_bytes + MAX_DOCUMENTS * 16 * 1024


def _refused(status: int, message: str, **extensions: Any) -> HTTPException:
    return HTTPException(status, detail={"message": message, **extensions})


def _store_problem(error: FileError) -> HTTPException:
    if isinstance(error, FileStoreUnavailable):
        log.error("file store unavailable", reason=str(error))
        return HTTPException(503, detail={"message": "the file store is unavailable; retry "
                                          "shortly"}, headers={"Retry-After": "30"})
    if isinstance(error, StoredFileMissing | StoredFileCorrupt):
        log.error("stored file not served", reason=str(error))
        return _refused(500, "the file is missing from the store or damaged; it is not served "
                        "(the centre restores it from a backup)")
    return _refused(error.status, error.message, file_name=error.file_name)


def _download(verified: VerifiedFile, dossier: Dossier, sha256: str) -> StreamingResponse:
    extension = EXTENSIONS.get(verified.media_type, "bin")
    return StreamingResponse(verified, media_type=verified.media_type, headers={
        "Content-Length": str(verified.size),
        "Content-Disposition": f'attachment; filename="{dossier.code}-{sha256[:12]}.{extension}"',
        "X-Document-SHA256": sha256, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


def _holds(dossier: Dossier, sha256: str) -> bool:
    return any(document.get("sha256") == sha256 for document in dossier.documents or [])


async def _open(files: DossierFiles, sha256: str) -> VerifiedFile:
    try:
        return await files.store.open(sha256)
    except FileError as error:
        raise _store_problem(error) from None


def create_files_router(files: DossierFiles, current_officer: OfficerDependency,
                        catalogue: Catalogue) -> APIRouter:
    """`catalogue`: the agencies, whose e-IDs say which desk received a dossier."""
    router = APIRouter()
    OfficerDep = Annotated[Officer, Depends(current_officer)]

    @router.post(UPLOAD_PATH, status_code=201, response_model=UploadedFiles, responses={
        413: {"description": "A file is over FILES_MAX_FILE_BYTES, or the request's files "
                             "together over FILES_MAX_DOSSIER_BYTES (the message names it)"},
        415: {"description": "A file that is not a PDF, JPEG or PNG judged by its bytes, or "
                             "declared as another type than its bytes are"},
        422: {"description": "A file name with a path separator or a control character, a "
                             "body that is not (valid) multipart/form-data, or no file"}},
        openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "additionalProperties": False,
                       "properties": {"file": {
                "type": "array", "items": {"type": "string", "format": "binary", "minLength": 1},
                "minItems": 1, "maxItems": MAX_DOCUMENTS,
                "description": f"One part per file, at most {MAX_DOCUMENTS}"}}},
            "encoding": {"file": {"contentType": ", ".join(sorted(ACCEPTED))}}}}}})
    async def upload(request: Request, session: SessionDep) -> UploadedFiles:
        """Store the dossier's files before filing it (or its supplement): each part of the
        body is one file, stored under its SHA-256, which the filing's documents then name."""
        try:
            boundary = boundary_of(request.headers.get("content-type"))
        except MultipartError as error:
            raise _refused(422, str(error)) from None
        check = files.settings.upload_check()
        accepted = []
        try:
            async for part in parts(aiter(request.stream()), boundary):
                if part.filename is None:
                    raise _refused(422, f"part {part.name!r} is not a file (no filename); send "
                                   "each file as a file part")
                if len(accepted) == MAX_DOCUMENTS:
                    raise _refused(422, f"at most {MAX_DOCUMENTS} files in one request")
                accepted.append(await check.store(files.store, part.filename, part.content_type,
                                                  part.data))
        except MultipartError as error:
            raise _refused(422, f"the body is not valid multipart/form-data: {error}") from None
        except FileRejected as error:
            log.info("upload refused", reason=error.message, status=error.status)
            raise _store_problem(error) from None
        except FileError as error:
            raise _store_problem(error) from None
        if not accepted:
            raise _refused(422, "file: no file in the request")
        async with session.begin():
            # Stored again before anything named it: its time to be named starts again.
            statement = insert(StoredUpload).values([
                {"sha256": a.sha256, "size": a.size, "media_type": a.media_type}
                for a in {a.sha256: a for a in accepted}.values()])
            await session.execute(statement.on_conflict_do_update(
                index_elements=[StoredUpload.sha256], set_={"stored_at": func.now()},
                where=StoredUpload.named_at.is_(None)))
        log.info("files stored", count=len(accepted), bytes=sum(a.size for a in accepted))
        return UploadedFiles(files=[UploadedFile(name=a.name, sha256=a.sha256, size=a.size,
                                                 media_type=a.media_type) for a in accepted])

    @router.get("/api/dossiers/{code}/files/{sha256}", response_class=StreamingResponse,
                responses={
                    200: {"content": _FILE_CONTENT, "description": "The file, verified"},
                    404: {"description": "No such dossier, no ID number or one that differs, "
                                         "or the dossier has no such file"},
                    422: {"description": "Not a SHA-256"},
                    500: {"description": "The stored file is missing or damaged"}})
    async def applicant_download(code: str, sha256: SHA256, session: SessionDep,
                                 id_number: str | None = None) -> StreamingResponse:
        """The applicant's own file, with the dossier's code and their ID number."""
        async with session.begin():
            dossier = await find_for_applicant(session, code, id_number)
        if not _holds(dossier, sha256):
            raise _refused(404, f"the dossier has no file {sha256}")
        return _download(await _open(files, sha256), dossier, sha256)

    @router.get("/api/officer/dossiers/{code}/files/{sha256}", response_class=StreamingResponse,
                responses={
                    200: {"content": _FILE_CONTENT, "description": "The file, verified; the "
                                                                   "read is recorded"},
                    403: {"description": "No stage of the officer's agency holds or held the "
                                         "dossier, and it does not consult the agency"},
                    404: {"description": "No such dossier, or it has no such file"},
                    500: {"description": "The stored file is missing or damaged"}})
    async def officer_download(code: str, sha256: SHA256, request: Request,
                               session: SessionDep, officer: OfficerDep) -> StreamingResponse:
        """A dossier's file for an officer of an agency that holds, held or is consulted on it.
        The read is in the access log (`GET /api/file-reads`) before the first byte is sent."""
        async with session.begin():
            dossier = await find_for_officer(session, code, officer, catalogue)
            if not _holds(dossier, sha256):
                raise _refused(404, f"dossier {code} has no file {sha256}")
        verified = await _open(files, sha256)
        try:
            async with session.begin():
                record_read(session, request, officer, dossier, "file", sha256)
        except BaseException:
            verified.close()
            raise
        log.info("dossier file read by officer", officer=officer.name, agency=officer.agency,
                 dossier_id=str(dossier.id), sha256=sha256)
        return _download(verified, dossier, sha256)

    return router
