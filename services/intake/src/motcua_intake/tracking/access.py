"""Who may read a dossier: by its id (an unguessable UUIDv7, given only to whoever filed it)
anyone who has it; by its code (guessable) only with the applicant's ID number, and a wrong
number answers exactly like an unknown code. An officer (a bearer token) reads a dossier, its
files and its applicant only if a stage of their agency holds or held it, or it consults them."""

import uuid

from fastapi import HTTPException
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue
from motcua_intake.domain import receiving_unit
from motcua_intake.orm import Dossier, TimelineEntry
from motcua_intake.personal import person_of, same_id
from motcua_runtime.officers import Officer

ID_NUMBER = r"^[0-9]{9}$|^[0-9]{12}$"
NOT_FOUND = "no dossier matches this code and ID number"


async def find_for_applicant(session: AsyncSession, code: str, id_number: str | None
                             ) -> Dossier:
    """The dossier of that code, if the applicant's ID number matches: 404 for a wrong one
    exactly as for an unknown code; 404 too without a number (the document makes `id_number`
    optional, as a lookup by id needs none: without one a code finds nothing), saying so."""
    if id_number is None:
        raise HTTPException(404, detail={"message": "id_number: required with a dossier code "
                                         "(the applicant's CCCD/CMND number)"})
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None or not same_id(await person_of(session, dossier), id_number):
        raise HTTPException(404, detail={"message": NOT_FOUND})
    return dossier


async def find(session: AsyncSession, id_or_code: str, id_number: str | None) -> Dossier:
    """By id: nothing else needed. By code: the applicant's ID number must match (404 alike)."""
    try:
        dossier_id = uuid.UUID(id_or_code)
    except ValueError:
        return await find_for_applicant(session, id_or_code, id_number)
    dossier = await session.get(Dossier, dossier_id)
    if dossier is None:
        raise HTTPException(404, detail={"message": f"no dossier {id_or_code}"})
    return dossier


async def took_part(session: AsyncSession, dossier: Dossier, agency: str,
                    catalogue: Catalogue) -> bool:
    """Whether a stage of `agency` holds or held the dossier: its competent agency, the one
    whose desk received it (the code's prefix), or one an event of it was addressed to (a
    consultation: the consulted agency) or taken by."""
    if agency in (dossier.agency, receiving_unit(dossier.code, catalogue.agencies.values())):
        return True
    found = await session.scalar(select(TimelineEntry.event_id).where(
        TimelineEntry.dossier_id == dossier.id,
        or_(TimelineEntry.agency == agency, TimelineEntry.addressed_to == agency)).limit(1))
    return found is not None


async def find_for_officer(session: AsyncSession, code: str, officer: Officer,
                           catalogue: Catalogue) -> Dossier:
    """The dossier of that code for an officer whose agency took part in it (`took_part`):
    404 for an unknown code, 403 naming why for a service's token or another agency."""
    if officer.is_service:
        raise HTTPException(403, detail={"message": "a dossier and its files are read by "
                                         "officers, not services"})
    dossier = await session.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None:
        raise HTTPException(404, detail={"message": f"no dossier {code}"})
    if not await took_part(session, dossier, officer.agency, catalogue):
        raise HTTPException(403, detail={"message": (
            f"dossier {code} is not held, nor was it, by a stage of agency {officer.agency}, "
            "nor does it consult it")})
    return dossier
