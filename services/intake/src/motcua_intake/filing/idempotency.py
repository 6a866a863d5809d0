"""Idempotent filing: the first answer to each `Idempotency-Key` is kept, in the transaction
that files the dossier, so a client's retry after a timeout gets that answer, not a second dossier.

Keys are kept for KEEP (24 h): a retry comes within seconds or minutes, and a day of keys is a
small table. The deadline watch purges older ones (`purge`), so a key is honoured for at least
24 h and at most one sweep longer."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import canonical_json
from motcua_intake.orm import IdempotentRequest

KEEP = timedelta(hours=24)
# 1-255 visible ASCII characters (0x21-0x7E), as the OpenAPI document says.
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


def request_sha256(body: dict[str, Any]) -> bytes:
    """Over the canonical JSON of the parsed body: whitespace and key order do not matter."""
    return hashlib.sha256(canonical_json(body)).digest()


@dataclass(frozen=True)
class Earlier:
    """The request that took a key first, read as plain values: the caller rolls back."""

    key: str
    request_sha256: bytes
    status_code: int
    response: dict[str, Any]
    dossier_id: uuid.UUID | None


async def claim(session: AsyncSession, key: str, digest: bytes) -> Earlier | None:
    """Take `key` for this request, inside the filing's transaction; None if it is now ours.
    Otherwise the earlier request's row. A concurrent request with the same key waits here on
    the unique index until the first commits (then gets its row) or rolls back (then takes the
    key itself), so one key files one dossier."""
    for _ in range(2):  # twice: the earlier row may be purged between the two statements
        taken = await session.scalar(
            insert(IdempotentRequest)
            # Placeholders, replaced by `record` before this transaction commits: no other
            # transaction can see them.
            .values(key=key, request_sha256=digest, status_code=0, response={})
            .on_conflict_do_nothing(index_elements=[IdempotentRequest.key])
            .returning(IdempotentRequest.key))
        if taken is not None:
            return None
        # Read committed: this statement sees the row the other transaction committed.
        row = (await session.execute(
            select(IdempotentRequest.key, IdempotentRequest.request_sha256,
                   IdempotentRequest.status_code, IdempotentRequest.response,
                   IdempotentRequest.dossier_id).where(IdempotentRequest.key == key))
               ).one_or_none()
        if row is not None:
            return Earlier(row.key, bytes(row.request_sha256), row.status_code, row.response,
                           row.dossier_id)
    raise RuntimeError(f"Idempotency-Key {key!r} neither free nor taken")


async def record(session: AsyncSession, key: str, status_code: int, response: dict[str, Any],
                 dossier_id: uuid.UUID) -> None:
    """The answer to the request that claimed `key`, in its transaction."""
    await session.execute(update(IdempotentRequest).where(IdempotentRequest.key == key).values(
        status_code=status_code, response=response, dossier_id=dossier_id))


async def purge(session: AsyncSession, now: datetime) -> int:
    """Forget keys older than KEEP; returns how many."""
    result = await session.execute(delete(IdempotentRequest)
                                   .where(IdempotentRequest.created_at < now - KEEP))
    return result.rowcount or 0
