"""The operations view on the topic: every event type goes through one handler that folds it
into its dossier's row and timeline. It emits nothing; what it cannot apply (a forged or
out-of-order event, a dossier never submitted) goes to the dead-letter topic like any
consumer's, with its reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_contracts.intake import DossierSubmitted
from motcua_contracts.topic import EVENT_TYPES
from motcua_operations import STAGE
from motcua_operations.orm import CHAIN_LINKS, DEAD_LETTERS, INBOX, OUTBOX, DossierView
from motcua_operations.projection import fold, started
from motcua_runtime.stage import Emitter, Rejected, Stage


class Views:
    """The batch's dossier rows, loaded in one query; handlers then work in memory."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[uuid.UUID, DossierView] = {}

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if ids:
            rows = await self._session.scalars(
                select(DossierView).where(DossierView.dossier_id.in_(ids)))
            self._rows.update({row.dossier_id: row for row in rows})

    def get(self, dossier_id: uuid.UUID) -> DossierView | None:
        return self._rows.get(dossier_id)

    def add(self, row: DossierView) -> None:
        self._session.add(row)
        self._rows[row.dossier_id] = row

    def record(self, entry: object) -> None:
        self._session.add(entry)


def on_event(event: Event, views: Views, _emitter: Emitter) -> None:
    view = views.get(event.dossier_id)
    if view is None:
        if not isinstance(event, DossierSubmitted):
            raise Rejected(f"{event.type}: no dossier {event.dossier_id} was submitted")
        view = started(event)
        views.add(view)
    views.record(fold(view, event))


def operations_stage() -> Stage:
    return Stage(name=STAGE, handlers={event_type: on_event for event_type in EVENT_TYPES},
                 open_repository=Views, outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS,
                 chain_links=CHAIN_LINKS)
