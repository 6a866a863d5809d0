"""Intake's storage: dossiers, their timeline and the applicant's e-mails for the consumer,
and the code counter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, case, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event, Status
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_intake import personal
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


_DOSSIERS, _DOSSIER_COLUMNS = _columns(Dossier)
_TIMELINE, _TIMELINE_COLUMNS = _columns(TimelineEntry)
_TIMELINE_ATTRIBUTES = frozenset(attribute for attribute, _ in _TIMELINE_COLUMNS)


class Dossiers:
    """The batch's dossiers, loaded in one query. `save` writes what the batch changed in two
    statements, the changed rows (one executemany) and the timeline entries, instead of the
    ORM's unit of work, which issues an UPDATE per row (a quarter of the tracking view's CPU per
    event, issue 15). New dossiers, forms and notices are inserted by the ORM as before."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[uuid.UUID, Dossier] = {}
        self._by_code: dict[str, Dossier] = {}
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
            rows = await self._session.scalars(
                select(Dossier).where(or_(Dossier.id.in_(ids), Dossier.code.in_(codes))))
            for dossier in rows:
                self._loaded[dossier.id] = dossier
                self._by_code[dossier.code] = dossier
            self.keys.update(await load_keys(self._session, None, ids))
            await self.work_items.preload(events)

    def get(self, dossier_id: uuid.UUID) -> Dossier | None:
        return self._loaded.get(dossier_id)

    def with_code(self, code: str) -> Dossier | None:
        return self._by_code.get(code)

    def add(self, dossier: Dossier) -> None:
        self._session.add(dossier)
        self._loaded[dossier.id] = dossier
        self._by_code[dossier.code] = dossier

    def person(self, dossier: Dossier) -> dict[str, Any] | None:
        """The applicant in clear (motcua_intake.personal), None once erased."""
        return personal.person(self.keys, dossier)

    def seal_message(self, dossier: Dossier, recipient: str, message: Message) -> Message:
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
        changed = []
        for dossier in self._loaded.values():
            state = sa_inspect(dossier)
            if state.persistent and state.modified:
                changed.append({"key": dossier.id, **{
                    column: getattr(dossier, attribute) for attribute, column in _DOSSIER_COLUMNS}})
                self._session.expunge(dossier)  # written here, not by the unit of work
        if changed:
            await self._session.execute(
                update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("key")), changed)
        if self._timeline:  # after the new dossiers: executing flushes them first
            await self._session.execute(insert(_TIMELINE), [
                {column: entry.get(attribute) for attribute, column in _TIMELINE_COLUMNS}
                for entry in self._timeline])
            self._timeline.clear()

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
