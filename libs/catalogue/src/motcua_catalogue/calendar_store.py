"""The administrator's calendar overrides in Postgres (schema `calendar`, migrated with the
catalogue package's own Alembic history): extra days off and extra working days, with a reason.
They survive restarts and are shared by every stage process through CalendarSource."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    MetaData,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_catalogue.year_calendar import Decision, year_bounds

SCHEMA = "calendar"
metadata = MetaData(schema=SCHEMA)

OVERRIDES = Table(
    "overrides", metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           onupdate=func.now()),
)


class OverrideStore:
    """Reads and writes the overrides; each call is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list(self, year: int) -> list[Decision]:
        first, last = year_bounds(year)
        query = (select(OVERRIDES.c.day, OVERRIDES.c.working, OVERRIDES.c.reason)
                 .where(OVERRIDES.c.day.between(first, last)).order_by(OVERRIDES.c.day))
        async with self.engine.connect() as connection:
            return [Decision(*row) for row in await connection.execute(query)]

    async def set(self, day: date, working: bool, reason: str) -> Decision:
        statement = insert(OVERRIDES).values(day=day, working=working, reason=reason)
        statement = statement.on_conflict_do_update(
            index_elements=[OVERRIDES.c.day],
            set_={"working": working, "reason": reason, "updated_at": func.now()})
        async with self.engine.begin() as connection:
            await connection.execute(statement)
        return Decision(day, working, reason)

    async def remove(self, day: date) -> bool:
        """Whether there was an override to remove."""
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(OVERRIDES).where(OVERRIDES.c.day == day))
        return result.rowcount > 0

    async def load_all(self) -> dict[date, bool]:
        """Every override, as WorkingCalendar.overrides wants them."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(OVERRIDES.c.day, OVERRIDES.c.working))
            return {day: working for day, working in rows}
