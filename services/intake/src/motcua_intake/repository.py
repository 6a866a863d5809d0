"""Intake's storage: dossiers and their timeline for the consumer, and the code counter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_intake.orm import DailyCounter, Dossier, TimelineEntry


class Dossiers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[uuid.UUID, Dossier] = {}

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if ids:
            rows = await self._session.scalars(select(Dossier).where(Dossier.id.in_(ids)))
            self._loaded.update({dossier.id: dossier for dossier in rows})

    def get(self, dossier_id: uuid.UUID) -> Dossier | None:
        return self._loaded.get(dossier_id)

    def add(self, dossier: Dossier) -> None:
        self._session.add(dossier)
        self._loaded[dossier.id] = dossier

    def record(self, entry: TimelineEntry) -> None:
        self._session.add(entry)


async def next_counter(session: AsyncSession, unit: str, day: date) -> int:
    """Take the next number of the unit's daily counter. The row lock taken by the upsert makes
    concurrent intakes wait for each other, so no two dossiers share a code."""
    statement = insert(DailyCounter).values(unit=unit, day=day, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[DailyCounter.unit, DailyCounter.day],
        set_={"last": DailyCounter.last + 1},
    ).returning(DailyCounter.last)
    return (await session.execute(statement)).scalar_one()


async def find(session: AsyncSession, id_or_code: str) -> Dossier | None:
    try:
        dossier_id = uuid.UUID(id_or_code)
    except ValueError:
        return await session.scalar(select(Dossier).where(Dossier.code == id_or_code))
    return await session.get(Dossier, dossier_id)


async def timeline(session: AsyncSession, dossier_id: uuid.UUID) -> list[TimelineEntry]:
    rows = await session.scalars(select(TimelineEntry).where(TimelineEntry.dossier_id == dossier_id)
                                 .order_by(TimelineEntry.at, TimelineEntry.event_id))
    return list(rows)
