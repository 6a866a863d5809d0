"""A filing's documents name files intake stored before (`POST /api/files`) by their SHA-256;
the documents the event carries get their size and media type from what was stored, never from
the client. A document naming a file intake never stored is refused, and so is a dossier whose
files together pass FILES_MAX_DOSSIER_BYTES. A file a filing names is named for good: the
cleanup of abandoned uploads (motcua_intake.files.cleanup) never takes it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts.dossier import Document, MediaType
from motcua_files import FilesSettings, FileStore
from motcua_files.upload import describe_bytes
from motcua_intake.orm import StoredUpload
from motcua_runtime.request_types import JSON_INTEGER


class FiledDocument(BaseModel):
    """One document of a filing or a supplement: the kind of document, and the stored file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    # `\S`: not blank (the value is stripped before min_length counts), as the contract's Document.
    name: str = Field(min_length=1, max_length=300, pattern=r"\S", examples=["Tờ khai"],
                      description="Kind of document, as the procedure names it.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description=(
        "SHA-256 of a file stored with `POST /api/files` (as its answer gives it)."))
    # The bound inside the union, before JSON_INTEGER, so the OpenAPI document shows it too.
    size: Annotated[int, Interval(gt=0), JSON_INTEGER] | None = Field(default=None, description=(
        "Optional: if given, it must be the stored file's size."))
    media_type: MediaType | None = Field(default=None, description=(
        "Optional: if given, it must be the stored file's type (judged from its bytes)."))


@dataclass(frozen=True)
class DossierFiles:
    """Where intake keeps the dossiers' files, and their limits (FILES_*)."""

    store: FileStore
    settings: FilesSettings


class DocumentsRefused(Exception):
    """A 413 or 422 about one document, named by its place in the request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def stored_documents(session: AsyncSession, files: DossierFiles,
                           filed: Sequence[FiledDocument], *, field: str = "documents",
                           already: Iterable[dict[str, Any]] = ()) -> list[Document]:
    """The documents as events carry them. `already`: the dossier's documents so far (a
    supplement's files count with them against the dossier's limit)."""
    wanted = {document.sha256 for document in filed}
    # Named from now on (when the filing commits), and locked until then: the cleanup of
    # unnamed uploads skips them, or, holding one first, deletes it and the filing is refused.
    rows = {row.sha256: row for row in await session.scalars(
        update(StoredUpload).where(StoredUpload.sha256.in_(wanted))
        .values(named_at=func.coalesce(StoredUpload.named_at, func.now()))
        .returning(StoredUpload))} if wanted else {}
    counted = {str(d.get("sha256")): int(d.get("size") or 0) for d in already}
    total = sum(counted.values())
    limit = files.settings.max_dossier_bytes
    documents = []
    for place, document in enumerate(filed):
        where = f"{field}.{place}"
        row = rows.get(document.sha256)
        if row is None or not await files.store.exists(document.sha256):
            raise DocumentsRefused(422, (
                f"{where}: document {document.name!r} names file {document.sha256}, which is not "
                "stored; upload it first (POST /api/files) and name it by the sha256 answered"))
        if document.size is not None and document.size != row.size:
            raise DocumentsRefused(422, (
                f"{where}: document {document.name!r} says {document.size} bytes, but the "
                f"stored file {document.sha256} has {row.size}"))
        if document.media_type is not None and document.media_type != row.media_type:
            raise DocumentsRefused(422, (
                f"{where}: document {document.name!r} says {document.media_type}, but the "
                f"stored file {document.sha256} is {row.media_type}"))
        if row.sha256 not in counted:  # the same file named twice is stored (and counted) once
            counted[row.sha256] = row.size
            total += row.size
            if total > limit:
                raise DocumentsRefused(413, (
                    f"{where}: document {document.name!r} would take the dossier's files past "
                    f"{describe_bytes(limit)} in all (FILES_MAX_DOSSIER_BYTES)"))
        documents.append(Document(name=document.name, sha256=row.sha256, size=row.size,
                                  media_type=row.media_type))  # type: ignore[arg-type]
    return documents
