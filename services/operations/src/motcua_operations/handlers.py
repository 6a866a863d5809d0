"""The operations view on the topic: every event type goes through one handler that folds it
into its dossier's row and timeline. It emits nothing; what it cannot apply (a forged or
out-of-order event, a dossier never submitted) goes to the dead-letter topic like any
consumer's, with its reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import ARRAY, Table, Uuid, any_, bindparam, select
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
from motcua_runtime.bulk import inserting, rows_document, upserting
from motcua_runtime.stage import Emitter, Rejected, Stage


class Views:
    """The batch's dossier rows, loaded in one query; handlers then work in memory, and `save`
    writes the batch in one statement (SAVE): the timeline entries and the dossiers' rows, new
    or changed, each as one JSON parameter (motcua_runtime.bulk). The rows are never attached
    to the session: the ORM's unit of work would issue an UPDATE per row and build an object
    per timeline entry, and an executemany sends a message per row, and each statement is a
    round trip (most of the view's CPU per event, issue 15)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[uuid.UUID, ViewRow] = {}
        self._timeline: list[TimelineEntry] = []

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if ids:
            rows = await self._session.execute(LOAD, {"ids": list(ids)})
            self._rows.update({row.dossier_id: ViewRow.of(row._mapping) for row in rows})

    def get(self, dossier_id: uuid.UUID) -> ViewRow | None:
        return self._rows.get(dossier_id)

    def add(self, row: ViewRow) -> None:
        self._rows[row.dossier_id] = row

    def record(self, entry: TimelineEntry) -> None:
        self._timeline.append(entry)

    async def save(self) -> None:
        if not self._timeline:
            return
        touched = {entry.dossier_id for entry in self._timeline}
        await self._session.execute(SAVE, {
            "dossiers": rows_document(self._rows[d].values() for d in touched),
            "timeline": rows_document(entry.row() for entry in self._timeline)})
        self._timeline.clear()


DOSSIERS = cast(Table, DossierView.__table__)
TIMELINE = cast(Table, TimelineRow.__table__)
# The batch's rows by their ids as one array: one statement whatever their number, compiled once.
LOAD = select(DOSSIERS).where(
    DOSSIERS.c.dossier_id == any_(bindparam("ids", type_=ARRAY(Uuid))))
# A batch's writes in one round trip: the timeline's new entries (a CTE), and each touched
# dossier's row inserted, or, when the dossier has one, replaced column by column.
SAVE = upserting(DOSSIERS, "dossier_id", "dossiers").add_cte(
    inserting(TIMELINE, "timeline").cte("timeline_entries"))


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
