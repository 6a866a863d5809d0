"""The background worker that renders the queued forms and stores them (docs/forms.md).

Each round takes the rows still to render (`FOR UPDATE SKIP LOCKED`, so several instances share
the work), opens each one's facts with its dossier's key, draws the PDF (motcua_documents.forms,
in a thread: drawing is CPU work), seals it under the same key and puts the sealed bytes in the
dossier's file store (motcua_files), then records the PDF's SHA-256 and size, the stored key and
the time in the same transaction that took the row. A stored row is never taken again, so a
redelivered event (one row, by its event id) or a second round stores each form once. A store
that fails is retried with a backoff; a row whose dossier's personal data was erased is given up.
A crash between the store's write and the commit renders the form again at the next round (the
first sealed copy stays behind, unreadable without the row: erasing the key erases it too)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from motcua_contracts.sealed import Sealed
from motcua_documents import forms
from motcua_files import FileStore
from motcua_intake.orm import DossierForm
from motcua_intake.personal import keyring
from motcua_privacy import PrivacyProblem

log = structlog.get_logger(__name__)
# The sealed bytes are opaque to the store: what they hold is a PDF only once opened.
SEALED_MEDIA_TYPE = "application/octet-stream"


class FormWorker:
    def __init__(self, engine: AsyncEngine, store: FileStore, *, batch_size: int = 20,
                 poll_seconds: float = 1.0, retry_seconds: float = 10.0,
                 retry_max_seconds: float = 900.0) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.store = store
        self.batch_size, self.poll_seconds = batch_size, poll_seconds
        self.retry_seconds, self.retry_max_seconds = retry_seconds, retry_max_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Render until `stop` is set; a failed round is logged and retried at the next poll
        (the queue is in the database: nothing is lost meanwhile)."""
        while not stop.is_set():
            try:
                rendered = await self.render_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("form round failed; retrying at the next poll")
                rendered = 0
            if rendered < self.batch_size:  # a full batch: more may be due, go on at once
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass

    async def render_due(self) -> int:
        """One round: render and store what is due; return how many forms were stored."""
        async with self._sessions() as session, session.begin():
            rows = list(await session.scalars(
                select(DossierForm)
                .where(DossierForm.stored_at.is_(None), DossierForm.failed_at.is_(None),
                       DossierForm.next_attempt_at <= func.now())
                .order_by(DossierForm.next_attempt_at, DossierForm.event_id)
                .limit(self.batch_size).with_for_update(skip_locked=True)))
            if not rows:
                return 0
            now: datetime = (await session.execute(select(func.now()))).scalar_one()
            ring = await keyring(session, {row.dossier_id for row in rows})
            stored = 0
            for row in rows:
                try:
                    opened = ring.open(row.dossier_id, Sealed.model_validate_json(row.facts))
                    model, draw = forms.FORMS[row.form]
                    pdf = await asyncio.to_thread(draw, model.model_validate(opened))
                    sealed = ring.seal_blob(row.dossier_id, pdf)
                except PrivacyProblem:
                    row.failed_at, row.last_error = now, "personal data erased"
                    continue
                try:
                    kept = await self.store.put(sealed, SEALED_MEDIA_TYPE)
                except Exception as error:  # the store is down or refuses: later, with backoff
                    row.attempts += 1
                    row.last_error = f"{type(error).__name__}: {error}"[:2000]
                    row.next_attempt_at = now + timedelta(seconds=min(
                        self.retry_max_seconds, self.retry_seconds * 2 ** (row.attempts - 1)))
                    log.warning("form not stored; retrying later", form=row.form,
                                dossier_id=str(row.dossier_id), attempts=row.attempts,
                                reason=row.last_error)
                    continue
                row.sha256, row.size = hashlib.sha256(pdf).hexdigest(), len(pdf)
                row.stored_sha256, row.stored_at, row.last_error = kept.sha256, now, None
                stored += 1
                log.info("form stored", form=row.form, dossier_id=str(row.dossier_id),
                         event_id=str(row.event_id), sha256=row.sha256, size=row.size)
            return stored
