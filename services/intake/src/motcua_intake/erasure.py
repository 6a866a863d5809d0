"""Erasing a dossier's personal data (crypto-shredding, docs/privacy.md) as intake's own act: an
administrator asks intake over HTTP (motcua_intake.erasure_api, which `motcua privacy erase` and
`sweep` call); in one transaction intake destroys the dossier's data key in the key store and
queues `PersonalDataErased` in its outbox, signed with its own key. Nobody else needs intake's
private key for it.

The retention rule: an erasure waits until the procedure's retention period (`retention_years`
in the catalogue, 5 years when absent) has run from the end of the dossier, unless the law orders
it now (a lawful request, Decree 13/2023 art. 16)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_contracts.intake import PersonalDataErased
from motcua_intake.filing.applicant import Outbox
from motcua_intake.handlers import cause_of
from motcua_intake.orm import OUTBOX, Dossier
from motcua_privacy import DOSSIER_KEYS, UnknownKey, erase_key
from motcua_privacy import PersonalDataErased as KeyErased
from motcua_runtime.stage import Emitter, Rejected

DEFAULT_RETENTION_YEARS = 5


class ErasureRequest(BaseModel):
    """Why the personal data is erased; never the person's details."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500, examples=["Yêu cầu xóa số 12/2026"],
                        description="The retention rule or the lawful request's reference "
                                    "(recorded in the event and the key store).")
    lawful_request: StrictBool = Field(
        default=False, description="Erase before the end of the retention period, as the law "
                                   "orders (Decree 13/2023, art. 16).")


class UnknownDossier(LookupError):
    """No dossier with that code (HTTP 404)."""


class ErasureRefused(ValueError):
    """The erasure was not done, and cannot be now (HTTP 409): the message says why."""


class Erased(BaseModel):
    """What was erased, as the endpoint answers it."""

    dossier_id: uuid.UUID
    code: str
    erased_at: datetime
    retention_until: datetime
    lawful_request: bool
    event_id: uuid.UUID = Field(description="The PersonalDataErased queued in intake's outbox")


def retention_until(dossier: Dossier, catalogue: Catalogue) -> datetime:
    """When the procedure's retention period ends: years after the dossier ended (after it was
    received while it has not ended, which alone never allows an erasure)."""
    procedure = catalogue.procedures.get(dossier.procedure_code)
    years = procedure.retention_years if procedure else DEFAULT_RETENTION_YEARS
    start = dossier.ended_at or dossier.received_at
    return start + timedelta(days=round(365.25 * years))


def check_retention(dossier: Dossier, until: datetime, now: datetime) -> None:
    if dossier.ended_at is None:
        raise ErasureRefused(f"dossier {dossier.code} is still being processed: its retention "
                             "period has not begun (a lawful request if the law orders the "
                             "erasure now)")
    if now < until:
        raise ErasureRefused(f"dossier {dossier.code} is kept until {until:%Y-%m-%d} (the "
                             "procedure's retention period); a lawful request if the law "
                             "orders the erasure now")


async def erase(session: AsyncSession, catalogue: Catalogue, outbox: Outbox, code: str,
                request: ErasureRequest, *, by: str, now: datetime) -> Erased:
    """Erase the personal data of the dossier `code` in the caller's transaction, the event in
    the outbox beside it; UnknownDossier or ErasureRefused."""
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code)
                                   .with_for_update())
    if dossier is None:
        raise UnknownDossier(f"no dossier {code!r}")
    until = retention_until(dossier, catalogue)
    if not request.lawful_request:
        check_retention(dossier, until, now)
    try:
        cause = cause_of(dossier)
    except Rejected:
        raise ErasureRefused(f"dossier {code} is still being recorded: try again in a few "
                             "seconds") from None
    try:
        await erase_key(session, dossier.id, reason=request.reason, erased_by=by,
                        lawful_request=request.lawful_request, now=now)
    except KeyErased as erased:
        when = f" on {erased.erased_at:%Y-%m-%d}" if erased.erased_at else ""
        raise ErasureRefused(f"the personal data of dossier {code} was already erased{when}"
                             ) from None
    except UnknownKey:
        raise ErasureRefused(f"dossier {code} has no data key: it was filed before personal "
                             "data was sealed, and only rewriting the log could erase it") from None
    emitter = Emitter(outbox.signer.producer, outbox.topic, sign=outbox.signer.sign)
    event = emitter.emit(PersonalDataErased, cause=cause, actor=by, occurred_at=now,
                         reason=request.reason, lawful_request=request.lawful_request,
                         retention_until=until)
    await session.execute(insert(OUTBOX), [message.as_row() for message in emitter.messages])
    return Erased(dossier_id=dossier.id, code=code, erased_at=now, retention_until=until,
                  lawful_request=request.lawful_request, event_id=event.event_id)


async def past_retention(session: AsyncSession, catalogue: Catalogue,
                         now: datetime) -> list[str]:
    """The codes of the ended dossiers whose retention period is over and whose personal data
    is not erased yet: what `motcua privacy sweep` erases."""
    rows = await session.scalars(
        select(Dossier).where(Dossier.ended_at.is_not(None))
        .where(Dossier.id.in_(select(DOSSIER_KEYS.c.dossier_id).where(
            DOSSIER_KEYS.c.wrapped_key.is_not(None)))))
    return sorted(row.code for row in rows if retention_until(row, catalogue) <= now)
