"""The work item: one dossier waiting at one stage of one agency, from the hand-off that opened
it to the decision that closed it. Appraisal, approval, signing and delivery each keep a table of
them in their own schema; it is their state, and the officers' work queue reads it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import (
    DateTime,
    Select,
    String,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from motcua_contracts import Event, uuid7
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import field_value
from motcua_runtime.stage import Rejected
from motcua_telemetry import spans

OPEN = "open"  # the stage's turn: its automatic policy or an officer decides
WAITING = "waiting"  # paused until answers arrive: a supplement, fees, consultations
DONE = "done"

DOSSIER = "dossier"  # the stage's own step on the dossier
CONSULTATION = "consultation"  # liên thông: another agency asked this one for its opinion
WITHDRAWAL = "withdrawal"  # the applicant asked to withdraw; the agency confirms


class WorkItemColumns:
    """Columns of a stage's `work_items` table; mix into the stage's declarative class."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=DOSSIER)
    procedure_code: Mapped[str] = mapped_column(String(64))
    dossier: Mapped[dict[str, Any]] = mapped_column(JSONB, doc="DossierFacts as JSON")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_event: Mapped[uuid.UUID] = mapped_column(Uuid)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The newest event that touched the item: what a decision taken on it answers (its cause).
    cause_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cause_hash: Mapped[str | None] = mapped_column(String(64))
    # While WAITING: what for, and the ids of the requests this stage sent whose answers it awaits.
    waiting_for: Mapped[str | None] = mapped_column(String(16))
    awaiting: Mapped[list[str]] = mapped_column(JSONB, default=list)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, doc="What the opening event said (a question, a reason, ...)")
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    # The event this stage emitted when it closed the item: a later hand-off back (a return
    # from approval) must name it as its cause.
    closed_with_event: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return "work_items"

    def facts(self) -> DossierFacts:
        """The item's dossier facts, validated once for as long as `dossier` holds the same
        value (a handler asks two or three times: the terms, the event it emits, the result it
        renders). `dossier` is only ever replaced whole (`touch`), never changed in place."""
        dossier = self.dossier
        memo = self.__dict__.get("_facts_memo")
        if memo is not None and memo[0] is dossier:
            return memo[1]
        facts = DossierFacts.model_validate(dossier)
        self.__dict__["_facts_memo"] = (dossier, facts)
        return facts

    def cause(self) -> Cause:
        return Cause(self.cause_event_id or self.opened_by_event, self.cause_hash,
                     self.dossier_id, self.agency)


@dataclass(frozen=True)
class Cause:
    """The parts of an event that a new event's causal link needs: enough to emit from a work
    item when the causing event itself is no longer at hand (an officer's decision over HTTP)."""

    event_id: uuid.UUID
    hash: str | None
    dossier_id: uuid.UUID
    agency: str


_PRELOADS: dict[type[Any], Select[Any]] = {}


def _preload_statement(model: type[Any]) -> Select[Any]:
    """Every item of the given dossiers, as one statement whatever their number (`= ANY` of an
    array: `IN` of N parameters is a new statement, prepared anew, for every batch size)."""
    statement = _PRELOADS.get(model)
    if statement is None:
        statement = _PRELOADS[model] = (
            select(model).where(model.dossier_id == any_(bindparam("dossier_ids",
                                                                   type_=ARRAY(Uuid))))
            .order_by(model.opened_at, model.id))
    return statement


def rows_insert(table: Table) -> Any:
    """An INSERT of any number of rows as one statement: one array per column, unnested (JSONB
    columns travel as text and are read by Postgres as it reads a JSONB parameter). The unit of
    work sends one INSERT per row; this is one execution per batch, and a constant statement
    the connection prepares once. Its parameters: `row_arrays(table, objects)`."""
    def array_of(column: Any) -> Any:
        return ARRAY(Text) if isinstance(column.type, JSONB) else ARRAY(column.type)

    columns = list(table.columns)
    given = func.unnest(*(bindparam(column.name, type_=array_of(column)) for column in columns)
                        ).table_valued(*(column.name for column in columns)).render_derived()
    return insert(table).from_select(
        [column.name for column in columns],
        select(*(cast(given.c[column.name], JSONB) if isinstance(column.type, JSONB)
                 else given.c[column.name] for column in columns)))


def row_arrays(table: Table, objects: Sequence[Any]) -> dict[str, list[Any]]:
    """The parameters of `rows_insert(table)` for these ORM objects, as they stand. A JSONB
    value is written as JSON (None as JSON null, as the session writes it)."""
    arrays: dict[str, list[Any]] = {}
    for column in table.columns:
        values = [getattr(item, column.key) for item in objects]
        if isinstance(column.type, JSONB):
            values = [orjson.dumps(value).decode() for value in values]
        arrays[column.name] = values
    return arrays


_INSERTS: dict[Table, Any] = {}


async def insert_new(session: AsyncSession, model: type[Any], candidates: Sequence[Any]) -> None:
    """Write the candidates (of `model`) still pending in the session in one statement, taking
    them out of the session so that its flush does not write them again."""
    pending = session.new  # a set built anew at each access: once
    new = [item for item in candidates if item in pending and isinstance(item, model)]
    if not new:
        return
    for item in new:
        session.expunge(item)
    table = model.__table__
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = rows_insert(table)
    # Without autoflush: the session would first write the rest of what is pending (signing's
    # documents) in statements of their own, before this one; they go at the commit's flush.
    with session.no_autoflush:
        await session.execute(statement, row_arrays(table, new))


class WorkItems:
    """Repository over a stage's work items. `preload` reads every item of a batch's dossiers in
    one query; after that, handlers look items up and add new ones without I/O; `save` writes
    the batch's new items in one statement (the consumer calls it after the handlers; an
    officer's decision leaves its new items to the session's flush)."""

    def __init__(self, session: AsyncSession, model: type[Any]) -> None:
        self._session = session
        self._model = model
        self._by_dossier: dict[uuid.UUID, list[Any]] = defaultdict(list)
        self._new: list[Any] = []

    async def preload(self, events: Sequence[Event]) -> None:
        ids = {event.dossier_id for event in events}
        if not ids:
            return
        rows = await self._session.scalars(_preload_statement(self._model),
                                           {"dossier_ids": list(ids)})
        for item in rows:
            self._by_dossier[item.dossier_id].append(item)

    async def save(self) -> None:
        """The items the batch opened, as they stand after its handlers, in one INSERT instead
        of the unit of work's one execution per item. Items loaded and changed are still the
        session's to update."""
        new, self._new = self._new, []
        await insert_new(self._session, self._model, new)

    def for_dossier(self, dossier_id: uuid.UUID) -> list[Any]:
        """Every item this stage has held for the dossier, oldest first."""
        return list(self._by_dossier[dossier_id])

    def add(self, item: Any) -> None:
        self._session.add(item)
        self._new.append(item)
        self._by_dossier[item.dossier_id].append(item)


TRACE_PARENT = "trace_parent"  # key in a work item's context


def take_over(items: WorkItems, model: type[Any], event: Event, facts: DossierFacts,
              stage: str, *, kind: str = DOSSIER, agency: str | None = None,
              context: dict[str, Any] | None = None) -> Any:
    """Open the work item for a hand-off. The stage takes a dossier once, and again only when
    the hand-off answers what the stage last sent (approval returning a draft names the draft as
    its cause): a replayed or forged hand-off changes nothing."""
    earlier = [item for item in items.for_dossier(event.dossier_id) if item.kind == kind]
    if earlier:
        latest = earlier[-1]
        # An agency may be consulted again once it has answered (after a return, say).
        answers_us = kind == CONSULTATION or latest.closed_with_event == event.causation_id
        if latest.state != DONE or not answers_us:
            raise Rejected(f"{event.type}: dossier {facts.code} was already handed to {stage} "
                           f"({kind}) and this hand-off does not answer what {stage} sent")
    context = dict(context or {})
    if (trace_parent := spans.current_traceparent()) is not None:
        # The hand-off's consume span: an officer's decision on this item, made later over
        # HTTP, continues the dossier's trace from here (motcua_runtime.work_queue).
        context[TRACE_PARENT] = trace_parent
    item = model(id=uuid7(), dossier_id=event.dossier_id, agency=agency or event.agency,
                 kind=kind, procedure_code=facts.procedure_code,
                 dossier=facts.model_dump(mode="json"), opened_at=event.occurred_at,
                 opened_by_event=event.event_id, cause_event_id=event.event_id,
                 cause_hash=event.hash, due_at=facts.step_due_at.get(stage, facts.due_at),
                 state=OPEN, awaiting=[], answers=[], context=context)
    items.add(item)
    return item


def wait_for(item: Any, what: str, requests: Sequence[Event]) -> None:
    """Pause the item until every request in `requests` is answered."""
    item.state, item.waiting_for = WAITING, what
    item.awaiting = [str(request.event_id) for request in requests]


def resume(items: WorkItems, event: Event, what: str) -> Any:
    """The waiting item that `event` answers (its cause is a request the item sent). The item is
    open again once every request is answered. Anything else is stale or forged."""
    cause = str(event.causation_id)
    item = next((item for item in items.for_dossier(event.dossier_id)
                 if item.state == WAITING and item.waiting_for == what
                 and cause in (item.awaiting or [])), None)
    if item is None:
        raise Rejected(f"{event.type}: no {what} request of this stage is awaiting it "
                       f"(cause {cause})")
    item.awaiting = [request for request in item.awaiting if request != cause]
    touch(item, event)
    if not item.awaiting:
        item.state, item.waiting_for = OPEN, None
    return item


def touch(item: Any, event: Event, facts: DossierFacts | None = None, *,
          stage: str | None = None) -> None:
    """Record `event` as the item's newest cause, and the dossier facts it brings (with the
    stage's deadline in them, moved when the applicant's wait moved it)."""
    item.cause_event_id, item.cause_hash = event.event_id, event.hash
    if facts is not None:
        item.dossier = facts.model_dump(mode="json")
        if stage is not None:
            item.due_at = facts.step_due_at.get(stage, facts.due_at)


def close(item: Any, *, outcome: str, reason: str | None, by: str = "auto",
          at: datetime | None = None, emitted: Event | None = None) -> None:
    item.state, item.outcome, item.reason = DONE, outcome, reason
    item.decided_at, item.decided_by = at or datetime.now(timezone.utc), by
    item.waiting_for, item.awaiting = None, []
    item.closed_with_event = emitted.event_id if emitted is not None else None


def close_all(items: WorkItems, event: Event) -> None:
    """Processing stopped (withdrawal): whatever the stage still holds for the dossier closes."""
    for item in items.for_dossier(event.dossier_id):
        if item.state != DONE:
            close(item, outcome="stopped", reason=field_value(event, "reason"),
                  by=event.actor, at=event.occurred_at)
