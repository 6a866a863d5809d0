"""The applicant downloads the signed result once it was delivered online:

    GET /api/dossiers/{code}/result?id_number=...

The code and ID number are checked as for following the dossier (422 without the number, 404
for a wrong one, as for an unknown code). 409, in Vietnamese and English, says when and how the
result will be available when it is not downloadable (yet). The PDF comes from signing, which
keeps it; intake hands it over only if its SHA-256 is the one `ResultSigned` announced on the
topic (502 otherwise). Signing unreachable or not configured: 503 with Retry-After."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations.

import hashlib
import hmac
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_intake.tracking.access import find_for_applicant
from motcua_intake.tracking.result_availability import not_downloadable
from motcua_intake.tracking.result_documents import (
    DocumentMissing,
    FetchDocument,
    SigningUnavailable,
)
from motcua_runtime.http import session_from

log = structlog.get_logger(__name__)
SessionDep = Annotated[AsyncSession, Depends(session_from)]
def _problem(status: int, english: str, vietnamese: str, **headers: str) -> HTTPException:
    return HTTPException(status, detail={"message": english, "message_vi": vietnamese},
                         headers=headers or None)


def create_result_router(fetch: FetchDocument | None) -> APIRouter:
    """`fetch` reads a dossier's document from signing (result_documents.SigningDocuments);
    None when no signing URL is configured."""
    router = APIRouter()

    @router.get("/api/dossiers/{code}/result", response_class=Response, responses={
        200: {"content": {"application/pdf": {}}, "description": "The signed result"},
        404: {"description": "No such dossier, or the ID number differs"},
        409: {"description": "Not delivered online (yet): when and how it will be available"},
        422: {"description": "No id_number"},
        502: {"description": "The stored document is not the one announced when it was signed"},
        503: {"description": "Documents cannot be fetched now"}})
    async def download_result(code: str, session: SessionDep,
                              id_number: str | None = None) -> Response:
        async with session.begin():
            dossier = await find_for_applicant(session, code, id_number)
        problem = not_downloadable(dossier)
        if problem:
            raise _problem(409, *problem)
        if fetch is None:
            raise _problem(503, "result downloads are not configured (INTAKE_SIGNING_URL)",
                           "Chức năng tải kết quả chưa sẵn sàng; xin vui lòng thử lại sau.",
                           **{"Retry-After": "300"})
        try:
            document = await fetch(dossier.id)
        except SigningUnavailable as error:
            log.warning("result download unavailable", dossier_id=str(dossier.id),
                        reason=str(error))
            raise _problem(503, "the result cannot be fetched right now; retry shortly",
                           "Tạm thời chưa tải được kết quả; xin vui lòng thử lại sau ít phút.",
                           **{"Retry-After": "30"}) from None
        except DocumentMissing as error:
            log.error("signed result missing at signing", dossier_id=str(dossier.id),
                      reason=str(error))
            raise _problem(502, "the signed result is missing from the signing service",
                           "Không tìm thấy văn bản kết quả; xin liên hệ Trung tâm.") from None
        digest = hashlib.sha256(document.content).hexdigest()
        if not hmac.compare_digest(digest, dossier.result_sha256 or ""):
            log.error("signed result differs from the one announced", dossier_id=str(dossier.id),
                      announced=dossier.result_sha256, fetched=digest)
            raise _problem(502, "the stored result is not the document announced when it was "
                           "signed", "Văn bản kết quả không khớp với bản đã ký số; xin liên hệ "
                           "Trung tâm.")
        # Sealed results are PDFs; results issued before PAdES sealing are plain text.
        extension = "pdf" if document.media_type.startswith("application/pdf") else "txt"
        return Response(document.content, media_type=document.media_type, headers={
            "Content-Disposition": f'attachment; filename="ket-qua-{dossier.code}.{extension}"',
            "X-Document-SHA256": digest, "Cache-Control": "no-store"})

    return router
