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
from motcua_privacy import Keyring, PrivacyProblem, load_keys
from motcua_privacy.crypto import is_sealed_blob
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

    def __init__(self, session: AsyncSession, keys: Keyring | None = None) -> None:
        """`keys`: the batch's data keys; the document is kept sealed under its dossier's (it
        prints the applicant's name: erasing the key makes it unreadable, docs/privacy.md)."""
        self._session = session
        self._keys = keys

    def put(self, document: StoredDocument) -> None:
        fields = vars(document)
        if self._keys is not None:
            fields = {**fields, "content": self._keys.seal_blob(document.dossier_id,
                                                               document.content)}
        self._session.add(ResultDocument(id=uuid7(), **fields))


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
            fields = {name: getattr(row, name) for name in StoredDocument.__dataclass_fields__}
            if is_sealed_blob(row.content):
                try:
                    ring = await load_keys(session, None, [row.dossier_id])
                    fields["content"] = ring.open_blob(row.dossier_id, row.content)
                except PrivacyProblem:
                    return None  # its dossier's personal data was erased: the document too
        return StoredDocument(**fields)
