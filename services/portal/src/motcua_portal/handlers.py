"""The portal sync on the topic: every event goes through one handler that folds it into its
dossier's sync position and queues, in the same transaction, the calls the portal is owed for
it: the record (DongBoHoSoMC) when it changed, then the event's progress row
(CapNhatTienDoHoSoMC). The sender (motcua_portal.sender) makes the calls. Nothing is emitted;
what cannot be applied goes to the dead-letter topic like any consumer's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import DossierState, Event, Status, advance
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_contracts.topic import EVENT_TYPES
from motcua_portal import STAGE
from motcua_portal.orm import (
    CHAIN_LINKS,
    DEAD_LETTERS,
    INBOX,
    OUTBOX,
    PROGRESS,
    RECORD,
    PendingCall,
    SyncedDossier,
)
from motcua_portal.payloads import folded_record, opened_record, progress_row
from motcua_runtime.stage import Emitter, Rejected, Stage


class Dossiers:
    """The batch's dossier rows, loaded in one query; the handler then works in memory."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[uuid.UUID, SyncedDossier] = {}

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if ids:
            rows = await self._session.scalars(
                select(SyncedDossier).where(SyncedDossier.dossier_id.in_(ids)))
            self._rows.update({row.dossier_id: row for row in rows})

    def get(self, dossier_id: uuid.UUID) -> SyncedDossier | None:
        return self._rows.get(dossier_id)

    def add(self, row: SyncedDossier) -> None:
        self._session.add(row)
        self._rows[row.dossier_id] = row

    def queue(self, row: SyncedDossier, kind: str, status: int, payload: dict[str, Any],
              event: Event) -> None:
        self._session.add(PendingCall(dossier_id=row.dossier_id, seq=row.next_seq, kind=kind,
                                      status=status, payload=payload, event_id=event.event_id))
        row.next_seq += 1


def on_event(event: Event, dossiers: Dossiers, _emitter: Emitter) -> None:
    row = dossiers.get(event.dossier_id)
    if row is None:
        if not isinstance(event, DossierSubmitted | DossierImported):
            raise Rejected(f"{event.type}: no dossier {event.dossier_id} was submitted")
        row = SyncedDossier(dossier_id=event.dossier_id, code=event.code, lifecycle={},
                            record=opened_record(event), events=0, next_seq=0,
                            updated_at=event.occurred_at, on_portal=False, attempts=0,
                            unsure=False)
        dossiers.add(row)
    state = advance(DossierState.from_json(row.lifecycle), event)  # IllegalTransition: DLQ
    status = state.status or Status.SUBMITTED
    record = folded_record(row.record, event, status, state.agency)
    if record != row.record:
        dossiers.queue(row, RECORD, int(record["TrangThaiHoSo"]), record, event)
    progress = progress_row(row.code, event, status, state.holder)
    if progress is not None:
        dossiers.queue(row, PROGRESS, int(progress["TrangThai"]), progress, event)
    row.lifecycle, row.record = state.to_json(), record
    row.events = (row.events or 0) + 1
    row.updated_at = event.occurred_at


def portal_stage() -> Stage:
    return Stage(name=STAGE, handlers={event_type: on_event for event_type in EVENT_TYPES},
                 open_repository=Dossiers, outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS,
                 chain_links=CHAIN_LINKS)
