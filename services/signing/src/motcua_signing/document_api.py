"""Signing's internal endpoint for issued results: intake fetches a delivered dossier's sealed
PDF here to hand it to the applicant. Signing holds the agencies' keys and never faces citizens:
only intake's service token (role `service:intake`, signed with intake's own key and
addressed to signing: motcua_runtime.tokens) opens it.

    GET /internal/documents/{dossier_id}   the document, its SHA-256 in `X-Document-SHA256`

401 without a valid token; 403 for any other role (an officer's included); 404 when signing has
issued no document for that dossier."""

# No `from __future__ import annotations`: FastAPI resolves the endpoint's annotations, which
# name a dependency defined inside the factory.

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from motcua_runtime.officers import Officer, OfficerDependency
from motcua_signing.documents import StoredDocument

CALLER_ROLE = "service:intake"
FindDocument = Callable[[uuid.UUID], Awaitable[StoredDocument | None]]


def create_document_router(find: FindDocument, current_caller: OfficerDependency) -> APIRouter:
    """`find` reads a dossier's document (PostgresDocuments.for_dossier); `current_caller`
    reads the bearer token (motcua_runtime.officers.officer_from_bearer)."""
    router = APIRouter()
    Caller = Annotated[Officer, Depends(current_caller)]

    @router.get("/internal/documents/{dossier_id}", response_class=Response, responses={
        200: {"content": {"application/pdf": {}},
              "description": "The sealed result as signed, its SHA-256 in X-Document-SHA256"},
        403: {"description": f"The caller is not {CALLER_ROLE}"},
        404: {"description": "No document issued for this dossier"}})
    async def document(dossier_id: uuid.UUID, caller: Caller) -> Response:
        if caller.role != CALLER_ROLE:
            raise HTTPException(403, detail={"message": f"documents are served to the "
                                             f"{CALLER_ROLE} role, not {caller.role}"})
        found = await find(dossier_id)
        if found is None:
            raise HTTPException(404, detail={"message": f"no document issued for dossier "
                                             f"{dossier_id}"})
        return Response(found.content, media_type=found.media_type, headers={
            "X-Document-SHA256": found.sha256, "Cache-Control": "no-store"})

    return router
