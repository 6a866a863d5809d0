"""The dossier's stored forms, as the downloads and the lookup page read them: the list, oldest
first, and one form's PDF opened with the dossier's key and checked against its SHA-256."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_files import FileStore, StoredFileCorrupt
from motcua_intake.orm import DossierForm
from motcua_intake.personal import keyring
from motcua_privacy import PrivacyProblem


async def stored_forms(session: AsyncSession, dossier_id: uuid.UUID) -> list[DossierForm]:
    """The forms rendered and stored so far (a queued one appears once the worker stored it)."""
    return list(await session.scalars(
        select(DossierForm).where(DossierForm.dossier_id == dossier_id,
                                  DossierForm.stored_at.is_not(None))
        .order_by(DossierForm.issued_at, DossierForm.event_id)))


async def open_form(session: AsyncSession, store: FileStore, row: DossierForm) -> bytes | None:
    """The stored form's PDF, checked against its SHA-256; None once its dossier's personal data
    was erased. StoredFileMissing or StoredFileCorrupt (motcua_files) when the store lost it."""
    assert row.stored_sha256 is not None and row.sha256 is not None
    sealed = await store.get(row.stored_sha256)
    try:
        pdf = (await keyring(session, [row.dossier_id])).open_blob(row.dossier_id, sealed)
    except PrivacyProblem:
        return None
    if hashlib.sha256(pdf).hexdigest() != row.sha256:
        raise StoredFileCorrupt(f"form {row.form} of dossier {row.dossier_id} opened to other "
                                "bytes than were stored")
    return pdf
