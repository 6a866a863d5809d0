"""Who may read a dossier: by its id (an unguessable UUIDv7, given only to whoever filed it)
anyone who has it; by its code (guessable) only with the applicant's ID number, and a wrong
number answers exactly like an unknown code."""

import uuid

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_intake.orm import Dossier
from motcua_intake.personal import person_of, same_id

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
