"""Intake's storage: dossiers, their timeline and the applicant's e-mails for the consumer,
and the code counter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Select,
    String,
    Table,
    TextClause,
    Uuid,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event, Status
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_intake import personal
from motcua_intake import row_statements as rows
from motcua_intake.dossier_row import DossierRecord, DossierRow
from motcua_intake.orm import (
    DailyCounter,
    Dossier,
    DossierForm,
    Notification,
    TimelineEntry,
    WorkItem,
)
from motcua_notify.templates import Message
from motcua_privacy import Keyring, load_keys
from motcua_runtime.work_items import WorkItems


def _columns(entity: type[Any]) -> tuple[Table, tuple[tuple[str, str], ...]]:
    """The table and (attribute, column) names of an ORM class."""
    mapper = sa_inspect(entity)
    return (cast(Table, mapper.local_table),
            tuple((prop.key, prop.columns[0].name) for prop in mapper.column_attrs))


_DOSSIERS = cast(Table, Dossier.__table__)
_TIMELINE, _TIMELINE_COLUMNS = _columns(TimelineEntry)
_TIMELINE_ATTRIBUTES = frozenset(attribute for attribute, _ in _TIMELINE_COLUMNS)
# A batch's dossiers by id or code, the lists as two arrays: one statement compiled once (an IN
# list is rendered again, a cast per value, for every batch).
_BATCH_DOSSIERS = select(_DOSSIERS).where(or_(
    _DOSSIERS.c.id == any_(bindparam("ids", type_=ARRAY(Uuid))),
    _DOSSIERS.c.code == any_(bindparam("codes", type_=ARRAY(String)))))


class Dossiers:
    """The batch's dossiers, read in one query as plain rows (motcua_intake.dossier_row).
    `save` writes what the batch changed in three statements: the new dossiers, the changed
    columns of the others and the timeline entries, each one statement of arrays whatever the
    batch's size (an executemany of every column of every row, and the ORM objects before it,
    were a quarter of the tracking view's CPU per event, issue 15). Forms, notices and work
    items are inserted by the ORM as before."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[uuid.UUID, DossierRow] = {}
        self._by_code: dict[str, DossierRow] = {}
        self._timeline: list[dict[str, Any]] = []
        self.keys = Keyring()  # the data keys of the batch's dossiers (motcua_privacy)
        # The desk's work items (motcua_intake.desk_queue), where officers check completeness.
        self.work_items = WorkItems(session, WorkItem)

    async def preload(self, events: Sequence[Event]) -> None:
        """The batch's dossiers, by id, and by code those a submission claims (a portal that
        publishes submissions itself could reuse a code)."""
        ids = {event.dossier_id for event in events}
        codes = {event.code for event in events
                 if isinstance(event, DossierSubmitted | DossierImported)}
        if ids:
            rows = await self._session.execute(_BATCH_DOSSIERS,
                                               {"ids": list(ids), "codes": list(codes)})
            for values in rows.mappings():
                dossier = DossierRow.of(values)
                self._loaded[dossier.id] = dossier
                self._by_code[dossier.code] = dossier
            self.keys.update(await load_keys(self._session, None, ids))
            await self.work_items.preload(events)

    def get(self, dossier_id: uuid.UUID) -> DossierRow | None:
        return self._loaded.get(dossier_id)

    def with_code(self, code: str) -> DossierRow | None:
        return self._by_code.get(code)

    def add(self, dossier: DossierRow) -> None:
        """A new dossier, inserted by `save`."""
        self._loaded[dossier.id] = dossier
        self._by_code[dossier.code] = dossier

    def person(self, dossier: DossierRecord) -> dict[str, Any] | None:
        """The applicant in clear (motcua_intake.personal), None once erased."""
        return personal.person(self.keys, dossier)

    def seal_message(self, dossier: DossierRecord, recipient: str, message: Message) -> Message:
        """A notice with its recipient and body sealed under the dossier's key, as the queue
        keeps it (motcua_intake.notices.open_notification opens it to send)."""
        body = self.keys.seal(dossier.id, {"to": recipient, "body": message.body})
        return replace(message, body=body.model_dump_json())

    def record(self, **entry: Any) -> None:
        """A timeline entry: orm.TimelineEntry's attributes, kept as plain values (an ORM
        object per entry, built only to be read back by `save`, cost 4% of the view's CPU per
        event, issue 15). An attribute left out is written as null."""
        unknown = entry.keys() - _TIMELINE_ATTRIBUTES
        if unknown:
            raise TypeError(f"not attributes of a timeline entry: {', '.join(sorted(unknown))}")
        self._timeline.append(entry)

    async def save(self) -> None:
        new = [dossier for dossier in self._loaded.values() if dossier.new]
        if new:
            # Before the forms, notices and work items the ORM has pending, which may name a
            # new dossier: they are flushed by the next statement.
            with self._session.no_autoflush:
                await self._write(rows.inserting(_DOSSIERS, DossierRow.COLUMNS), new,
                                  DossierRow.COLUMNS)
        changed: dict[tuple[str, ...], list[DossierRow]] = {}
        for dossier in self._loaded.values():
            if dossier.changed and not dossier.new:
                changed.setdefault(tuple(sorted(dossier.changed)), []).append(dossier)
        # Only the columns the batch changed: the rows were read without a lock, and the
        # deadline watch may have marked one overdue (overdue_at) since; a whole row written
        # back would put back the null read (tests/intake/test_overdue_interleaving.py).
        for columns, group in changed.items():  # one statement per set of columns changed
            await self._write(rows.updating(_DOSSIERS, columns), group, ("id", *columns))
        for dossier in self._loaded.values():
            dossier.changed.clear()
            dossier.new = False
        if self._timeline:  # after the new dossiers
            columns = tuple(column for _, column in _TIMELINE_COLUMNS)
            attribute_of = dict((column, attribute) for attribute, column in _TIMELINE_COLUMNS)
            await self._session.execute(
                rows.inserting(_TIMELINE, columns),
                rows.arrays(_TIMELINE, columns, self._timeline,
                            lambda entry, column: entry.get(attribute_of[column])))
            self._timeline.clear()

    async def _write(self, statement: TextClause, dossiers: Sequence[DossierRow],
                     columns: Sequence[str]) -> None:
        await self._session.execute(statement, rows.arrays(_DOSSIERS, columns, dossiers))

    def queue_form(self, form: DossierForm) -> None:
        """A form 01 to 05, rendered and stored after this batch commits (forms/worker.py)."""
        self._session.add(form)

    def queue(self, notice: Notification) -> None:
        """An e-mail to the applicant, sent after this batch commits (motcua_notify.sender)."""
        self._session.add(notice)


async def next_counter(session: AsyncSession, unit: str, day: date) -> int:
    """Take the next number of the unit's daily counter. The row lock taken by the upsert makes
    concurrent intakes wait for each other, so no two dossiers share a code."""
    statement = insert(DailyCounter).values(unit=unit, day=day, last=1).on_conflict_do_update(
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


def waiting_at_intake() -> Select:
    """Intake's open work for the gauges (motcua_runtime.gauges): rows (agency, state, count,
    overdue). 'open': submitted, the completeness check to do (status 1); 'waiting': intake asked
    for a supplement (status 5), overdue once its deadline passed. Both by the indexed status."""
    waiting = Dossier.status_code == int(Status.SUPPLEMENT_REQUESTED)
    state = case((waiting, "waiting"), else_="open")
    return (select(Dossier.agency, state, func.count(),
                   func.count().filter(Dossier.supplement_due_at < func.now()))
            .where(or_(Dossier.status_code == int(Status.SUBMITTED),
                       waiting & (Dossier.lifecycle["supplement_from"].astext == "intake")))
            .group_by(Dossier.agency, state))
