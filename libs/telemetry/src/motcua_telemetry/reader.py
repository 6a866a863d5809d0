"""Reading a dossier's journey back from the local span store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_telemetry.store import SPANS


@dataclass(frozen=True)
class SpanRecord:
    """One row of `telemetry.spans`."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    service: str
    agency: str | None
    name: str
    kind: str
    start_time: datetime
    end_time: datetime
    status: str
    error: str | None
    dossier_id: uuid.UUID | None
    dossier_code: str | None
    event_id: uuid.UUID | None
    event_type: str | None
    attributes: dict[str, Any]

    @property
    def duration_seconds(self) -> float:
        return (self.end_time - self.start_time).total_seconds()


async def load_trace(engine: AsyncEngine, *, dossier_id: uuid.UUID | None = None,
                     dossier_code: str | None = None) -> list[SpanRecord]:
    """Every span of the traces the dossier's spans belong to (one trace for a journey), in
    order of start; empty when none is stored."""
    if dossier_id is None and dossier_code is None:
        raise ValueError("give a dossier id or a dossier code")
    conditions = []
    if dossier_id is not None:
        conditions.append(SPANS.c.dossier_id == dossier_id)
    if dossier_code is not None:
        # Only intake's spans know the code; the dossier id finds the rest of its spans.
        by_code = select(SPANS.c.dossier_id).where(SPANS.c.dossier_code == dossier_code)
        conditions.append(SPANS.c.dossier_id.in_(by_code.scalar_subquery()))
    traces = select(SPANS.c.trace_id).where(or_(*conditions)).distinct()
    query = (select(SPANS).where(SPANS.c.trace_id.in_(traces.scalar_subquery()))
             .order_by(SPANS.c.start_time, SPANS.c.end_time.desc()))
    async with engine.connect() as connection:
        return [SpanRecord(**row._mapping) for row in await connection.execute(query)]
