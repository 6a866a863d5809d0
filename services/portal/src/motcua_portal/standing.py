"""How the sync stands, for operators (`motcua portal status`, `motcua portal retry CODE`):
the dossiers the portal is still owed calls for, with their failures in a row and the last
error, and a retry that makes a dossier due now (the running sender picks it up)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_portal.orm import PendingCall, SyncedDossier


async def behind(engine: AsyncEngine, limit: int = 100) -> dict[str, Any]:
    """The totals, and the dossiers with calls still owed (or failures), most failed first."""
    owed = (select(PendingCall.dossier_id, func.count().label("owed"),
                   func.min(PendingCall.created_at).label("oldest"))
            .where(PendingCall.sent_at.is_(None)).group_by(PendingCall.dossier_id).subquery())
    async with engine.connect() as connection:
        rows = (await connection.execute(
            select(SyncedDossier.code, SyncedDossier.attempts, SyncedDossier.last_error,
                   SyncedDossier.next_attempt_at, SyncedDossier.synced_at,
                   func.coalesce(owed.c.owed, 0).label("owed"), owed.c.oldest)
            .outerjoin(owed, owed.c.dossier_id == SyncedDossier.dossier_id)
            .where((owed.c.owed > 0) | (SyncedDossier.attempts > 0))
            .order_by(SyncedDossier.attempts.desc(), owed.c.oldest)
            .limit(limit))).all()
        dossiers = await connection.scalar(select(func.count()).select_from(SyncedDossier))
        pending = await connection.scalar(
            select(func.count()).where(PendingCall.sent_at.is_(None)))
    return {"dossiers": dossiers or 0, "pending_calls": pending or 0, "behind": [
        {"code": row.code, "attempts": row.attempts, "owed": row.owed,
         "last_error": row.last_error, "oldest": _iso(row.oldest),
         "next_attempt_at": _iso(row.next_attempt_at), "synced_at": _iso(row.synced_at)}
        for row in rows]}


async def retry_now(engine: AsyncEngine, code: str) -> bool:
    """Make the dossier `code` due now, its failures forgotten; False if there is none."""
    async with engine.begin() as connection:
        found = (await connection.execute(
            update(SyncedDossier).where(SyncedDossier.code == code)
            .values(next_attempt_at=datetime.now(timezone.utc), attempts=0)
            .returning(SyncedDossier.dossier_id))).first()
    return found is not None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
