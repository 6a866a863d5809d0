"""The operations view on the topic: every event type goes through one handler that folds it
into its dossier's row and timeline. It emits nothing; what it cannot apply (a forged or
out-of-order event, a dossier never submitted) goes to the dead-letter topic like any
consumer's, with its reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_contracts.topic import EVENT_TYPES
from motcua_operations import STAGE
from motcua_operations.orm import (
    CHAIN_LINKS,
    DEAD_LETTERS,
    INBOX,
    OUTBOX,
    DossierView,
    TimelineRow,
)
from motcua_operations.projection import TimelineEntry, ViewRow, fold, started, started_imported
from motcua_runtime.stage import Emitter, Rejected, Stage


class Views:
    """The batch's dossier rows, loaded in one query; handlers then work in memory, and `save`
    writes the batch in three statements: the new rows, the changed rows (one executemany) and
    the timeline entries. The rows are never attached to the session: the ORM's unit of work
    would issue an UPDATE per row and build an object per timeline entry (most of the view's
    CPU per event, issue 15)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[uuid.UUID, ViewRow] = {}
        self._new: set[uuid.UUID] = set()
        self._timeline: list[TimelineEntry] = []

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if ids:
            rows = await self._session.execute(select(DOSSIERS).where(
                DOSSIERS.c.dossier_id.in_(ids)))
            self._rows.update({row.dossier_id: ViewRow.of(row._mapping) for row in rows})

    def get(self, dossier_id: uuid.UUID) -> ViewRow | None:
        return self._rows.get(dossier_id)

    def add(self, row: ViewRow) -> None:
        self._rows[row.dossier_id] = row
        self._new.add(row.dossier_id)

    def record(self, entry: TimelineEntry) -> None:
        self._timeline.append(entry)

    async def save(self) -> None:
        if not self._timeline:
            return
        touched = {entry.dossier_id for entry in self._timeline}
        rows = {dossier_id: self._rows[dossier_id].values() for dossier_id in touched}
        new = [rows[d] for d in touched & self._new]
        changed = [{**rows[d], "key": d} for d in touched - self._new]
        if new:
            await self._session.execute(insert(DOSSIERS), new)
        if changed:
            await self._session.execute(
                update(DOSSIERS).where(DOSSIERS.c.dossier_id == bindparam("key")), changed)
        await self._session.execute(insert(TIMELINE), [e.row() for e in self._timeline])
        self._new.clear()
        self._timeline.clear()


DOSSIERS = cast(Table, DossierView.__table__)
TIMELINE = cast(Table, TimelineRow.__table__)


def on_event(event: Event, views: Views, _emitter: Emitter) -> None:
    view = views.get(event.dossier_id)
    if view is None:
        if isinstance(event, DossierImported):
            view = started_imported(event)
        elif isinstance(event, DossierSubmitted):
            view = started(event)
        else:
            raise Rejected(f"{event.type}: no dossier {event.dossier_id} was submitted")
        views.add(view)
    views.record(fold(view, event))


def operations_stage() -> Stage:
    return Stage(name=STAGE, handlers={event_type: on_event for event_type in EVENT_TYPES},
                 open_repository=Views, outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS,
                 chain_links=CHAIN_LINKS)
