"""The work item: one dossier waiting at one stage of one agency, from the hand-off that opened
it to the decision that closed it. Appraisal, approval, signing and delivery each keep a table of
them in their own schema; it is their state, and the officers' work queue reads it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, String, Text, Uuid, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from motcua_contracts import Event, uuid7
from motcua_contracts.dossier import DossierFacts
from motcua_runtime.stage import Rejected

OPEN = "open"
DONE = "done"


class WorkItemColumns:
    """Columns of a stage's `work_items` table; mix into the stage's declarative class."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    dossier: Mapped[dict[str, Any]] = mapped_column(JSONB, doc="DossierFacts as JSON")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_event: Mapped[uuid.UUID] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return "work_items"


class WorkItems:
    """Repository over a stage's work items. `preload` reads every item of a batch's dossiers in
    one query; after that, handlers look items up and add new ones without I/O."""

    def __init__(self, session: AsyncSession, model: type[Any]) -> None:
        self._session = session
        self._model = model
        self._by_dossier: dict[uuid.UUID, list[Any]] = defaultdict(list)

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if not ids:
            return
        rows = await self._session.scalars(
            select(self._model).where(self._model.dossier_id.in_(ids))
            .order_by(self._model.opened_at))
        for item in rows:
            self._by_dossier[item.dossier_id].append(item)

    def for_dossier(self, dossier_id: uuid.UUID) -> list[Any]:
        """Every item this stage has held for the dossier, oldest first."""
        return list(self._by_dossier[dossier_id])

    def add(self, item: Any) -> None:
        self._session.add(item)
        self._by_dossier[item.dossier_id].append(item)


def take_over(items: WorkItems, model: type[Any], event: Event, facts: DossierFacts,
              stage: str) -> Any:
    """Open the work item for a hand-off. A second hand-off of the same dossier to this stage
    (a forged or replayed event under a new id) changes nothing."""
    if items.for_dossier(event.dossier_id):
        raise Rejected(f"{event.type}: dossier {facts.code} was already handed to {stage}")
    item = model(id=uuid7(), dossier_id=event.dossier_id, agency=event.agency,
                 procedure_code=facts.procedure_code, dossier=facts.model_dump(mode="json"),
                 opened_at=event.occurred_at, opened_by_event=event.event_id, state=OPEN)
    items.add(item)
    return item


def close(item: Any, *, outcome: str, reason: str | None, by: str = "auto",
          at: datetime | None = None) -> None:
    item.state, item.outcome, item.reason = DONE, outcome, reason
    item.decided_at, item.decided_by = at or datetime.now(timezone.utc), by
