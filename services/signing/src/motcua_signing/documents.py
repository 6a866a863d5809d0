"""Where issued result documents are kept: the `DocumentStore` port and its Postgres adapter.

A handler puts a document into the store of its batch; Postgres keeps it in `signing.results`,
written in the same transaction as the work item, the result number and the outbox row, so a
`ResultSigned` never names a document that was not kept. An object store can implement the same
port later (bytes under their SHA-256, written before the batch commits; the row keeps the key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_contracts import uuid7
from motcua_signing.orm import ResultDocument


@dataclass(frozen=True)
class StoredDocument:
    dossier_id: uuid.UUID
    dossier_code: str
    agency: str
    result_number: str
    outcome: str
    media_type: str
    content: bytes
    sha256: str
    certificate_fingerprint: str | None
    signed_at: datetime


class DocumentStore(Protocol):
    def put(self, document: StoredDocument) -> None:
        """Keep the document with the batch being applied (no I/O until the batch commits)."""


class PostgresDocumentStore:
    """The batch's store: rows added to the batch's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def put(self, document: StoredDocument) -> None:
        self._session.add(ResultDocument(id=uuid7(), **vars(document)))


class PostgresDocuments:
    """Reading issued documents back, outside any batch (a download endpoint, an auditor)."""

    def __init__(self, source: AsyncEngine | async_sessionmaker[AsyncSession]) -> None:
        """`source`: an engine, or the sessions of a pool already made (the HTTP API's)."""
        self._sessions = (source if isinstance(source, async_sessionmaker)
                          else async_sessionmaker(source, expire_on_commit=False))

    async def for_dossier(self, dossier_id: uuid.UUID) -> StoredDocument | None:
        return await self._one(ResultDocument.dossier_id == dossier_id)

    async def for_dossier_code(self, code: str) -> StoredDocument | None:
        return await self._one(ResultDocument.dossier_code == code)

    async def _one(self, condition) -> StoredDocument | None:
        async with self._sessions() as session:
            # One result per dossier (signing rejects a second hand-off); newest first anyway.
            row = (await session.scalars(select(ResultDocument).where(condition)
                                         .order_by(ResultDocument.signed_at.desc()).limit(1))
                   ).first()
        if row is None:
            return None
        return StoredDocument(**{name: getattr(row, name)
                                 for name in StoredDocument.__dataclass_fields__})
