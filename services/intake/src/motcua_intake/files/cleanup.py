"""Abandoned uploads are deleted: a file stored with `POST /api/files` that no filing or
supplement named within INTAKE_UNNAMED_UPLOAD_HOURS (default 24) leaves the store and
`intake.files`, swept every INTAKE_UPLOAD_CLEANUP_SECONDS by intake's process beside the
deadline watch. A named file is never taken: naming it sets `named_at` under a row lock
(motcua_intake.files.documents), and the sweep locks its rows with SKIP LOCKED, so a filing
that names a file while the sweep holds it waits, then finds it gone and is refused (422).

Each deletion is logged with the file's SHA-256, size and age: never a name (intake never keeps
an upload's name) nor anything of a person."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_files import FileStore
from motcua_intake.orm import StoredUpload

log = structlog.get_logger(__name__)


async def delete_unnamed(session: AsyncSession, store: FileStore, now: datetime,
                         after: timedelta, limit: int = 200) -> int:
    """Delete the uploads stored before `now - after` that nothing named; the caller commits.
    The object goes first: if the commit fails, the row stays and the next sweep deletes it
    again (deleting a missing object is no error)."""
    rows = (await session.scalars(
        select(StoredUpload).where(StoredUpload.named_at.is_(None),
                                   StoredUpload.stored_at < now - after)
        .order_by(StoredUpload.stored_at).limit(limit).with_for_update(skip_locked=True))).all()
    for row in rows:
        await store.delete(row.sha256)
        log.info("unnamed upload deleted", sha256=row.sha256, size=row.size,
                 media_type=row.media_type,
                 age_hours=round((now - row.stored_at).total_seconds() / 3600, 1))
    if rows:
        await session.execute(delete(StoredUpload).where(
            StoredUpload.sha256.in_([row.sha256 for row in rows])))
    return len(rows)


async def clean_unnamed_uploads(engine: AsyncEngine, store: FileStore, stop: asyncio.Event, *,
                                after: timedelta, every: float) -> None:
    """Sweep until `stop`, surviving the database's or the store's failures."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    while not stop.is_set():
        try:
            async with sessions() as session, session.begin():
                deleted = await delete_unnamed(session, store, datetime.now(timezone.utc), after)
            if deleted:
                log.info("unnamed uploads cleaned up", deleted=deleted)
        except Exception:  # the database or the store may be down for a while: next round
            log.exception("cleanup of unnamed uploads failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass
