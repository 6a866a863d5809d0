"""Operators' decisions on dead letters, carried out by the running consumer itself.

`motcua dlq retry` and `skip` only write a request into the dead_letters row (`requested`,
`requested_by`, `request_reason`): the consumer that holds the dossier back is the one that knows
its handlers, its key and the order of the dossier's events, and it must not race an operator's
process applying the same dossier. This loop beside the consumer picks the requests up:

- retry: the row's event is read again from its stored bytes (and verified again) and handed to
  its handler; if it applies, the row is RETRIED and the dossier's WAITING rows are applied in
  arrival order (APPLIED). If it is refused again, it stays as it was, the request is cleared and
  `resolution` says why. A WAITING row refused on release becomes the new PARKED head.
- skip: the row is SKIPPED with the operator's reason; the waiting rows are released likewise.

Each resolution of a trusted event emits `DeadLetterResolved` (caused by the held event, signed
with this service's key), so the auditors' replay shows who re-drove or set aside what. A DEAD
record has no trusted dossier: its resolution is recorded in the row only.

All of a resolution is one transaction, rows locked FOR UPDATE; the consumer reads the held
dossiers of a batch FOR SHARE, so a batch sees a dossier either still held or fully released.
The same loop refreshes the dead-letter gauges."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import structlog
from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from motcua_contracts import PRODUCERS, Event, Headers
from motcua_contracts.dead_letters import DeadLetterResolved
from motcua_runtime import metrics
from motcua_runtime.chains import ChainBook
from motcua_runtime.consumer import BatchProcessor, DeadLetter, HandlerRefused
from motcua_runtime.db import APPLIED, DEAD, PARKED, RETRIED, SKIPPED, WAITING
from motcua_runtime.gauges import _LabelledGauge
from motcua_runtime.records import RecordHeaders
from motcua_runtime.stage import Emitter
from motcua_telemetry import spans

log = structlog.get_logger(__name__)

RETRY, SKIP = "retry", "skip"  # the requests `motcua dlq` writes
POLL_SECONDS = 1.0
GAUGE_SECONDS = 5.0


def stored_record(row: Any) -> ConsumerRecord:
    """A dead_letters row as the record it was received as (its stored bytes)."""
    headers = tuple((name, base64.b64decode(value)) for name, value in row.headers)
    return ConsumerRecord(topic=row.topic, partition=row.partition, offset=row.offset,
                          timestamp=0, timestamp_type=0, key=row.key, value=row.value,
                          checksum=None, serialized_key_size=len(row.key or b""),
                          serialized_value_size=len(row.value), headers=headers)


class DeadLetterDesk:
    def __init__(self, processor: BatchProcessor) -> None:
        self.processor = processor
        self.table = processor.stage.dead_letters
        self.service = processor.stage.name
        # Operations has no key of its own: it cannot sign the event, so it records in the row.
        self.emits_events = self.service in PRODUCERS[DeadLetterResolved.__name__]
        self._states = _LabelledGauge(metrics.DEAD_LETTER_ROWS, self.service)
        # The poll's statements, built once: the loop asks every second in every consumer, and
        # building them (the IN list, the comparisons, the cache key) was a third of what a
        # poll cost the stages' processes (issue 15). A statement is immutable: reusing it is
        # the same query each time.
        table = self.table
        if table is not None:
            self._requests = (
                select(table.c.id, table.c.headers)
                .where(table.c.state.in_((DEAD, PARKED)), table.c.requested.is_not(None),
                       table.c.resolved_at.is_(None))
                .order_by(table.c.id).limit(100))
            self._counts = select(table.c.state, func.count()).group_by(table.c.state)
            self._parked = (select(func.count(func.distinct(table.c.dossier_id)))
                            .where(table.c.state == PARKED))

    async def run(self, stop: asyncio.Event) -> None:
        if self.table is None:
            return
        since_gauges = GAUGE_SECONDS
        while not stop.is_set():
            try:
                await self.resolve_requests()
                if since_gauges >= GAUGE_SECONDS:
                    since_gauges = 0.0
                    await self.refresh_gauges()
            except Exception:  # the consumer goes on; the request stays for the next round
                log.warning("resolving dead letters failed; trying again", exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                since_gauges += POLL_SECONDS

    async def resolve_requests(self) -> int:
        """Carry out the pending requests of the rows this instance serves; how many."""
        assert self.table is not None
        async with self.processor.sessions() as session:
            rows = (await session.execute(self._requests)).all()
        done = 0
        for row in rows:
            agency = RecordHeaders.of(stored_record_headers(row.headers)).get(Headers.AGENCY)
            if agency is not None and not self.processor.settings.serves(agency):
                continue  # another agency instance's, in a schema they share
            await self.resolve(row.id)
            done += 1
        return done

    async def resolve(self, row_id: int) -> None:
        refused: dict[uuid.UUID, str] = {}  # event id -> why its handler refused it this time
        while True:
            try:
                await self._resolve(row_id, refused)
                return
            except HandlerRefused as refusal:  # rolled back: go again with it held back
                refused[refusal.letter.message_id] = refusal.letter.reason

    async def _resolve(self, row_id: int, refused: dict[uuid.UUID, str]) -> None:
        table, processor = self.table, self.processor
        assert table is not None
        emitter = Emitter(processor.producer, processor.settings.dossier_topic,
                          sign=processor.signer.sign)
        dead_letters: list[DeadLetter] = []
        async with processor.sessions() as session, session.begin():
            head = (await session.execute(
                select(table).where(table.c.id == row_id, table.c.requested.is_not(None),
                                    table.c.resolved_at.is_(None))
                .with_for_update())).one_or_none()
            if head is None:
                return  # done meanwhile by another instance
            by = head.requested_by or "unknown"
            record = stored_record(head)
            read = processor.read(record)
            event = read if isinstance(read, Event) else None
            repository = processor.stage.open_repository(session)
            started = spans.now()
            if head.requested == SKIP:
                outcome = "skipped"
                await session.execute(update(table).where(table.c.id == row_id).values(
                    state=SKIPPED, resolved_at=func.now(), resolved_by=by,
                    resolution=f"skipped: {head.request_reason or 'no reason given'}",
                    requested=None))
            else:
                problem = (refused.get(event.event_id) if event is not None
                           else read or "not this consumer's to apply")
                chains = processor.stage.chain_links
                if event is not None and problem is None and chains is not None:
                    # A retry does not step around the chain: a forged hand-off stays dead.
                    book = await ChainBook.load(session, chains, [
                        (event.dossier_id, event.hash), (event.dossier_id, event.causation_hash)])
                    problem = book.admit(event)
                    await book.save(session, chains)
                if event is not None and problem is None and head.state == DEAD:
                    problem = await self._claim(session, event)
                if problem is not None:
                    log.warning("retry of a dead letter failed", row=row_id, reason=problem)
                    await session.execute(update(table).where(table.c.id == row_id).values(
                        requested=None, resolution=f"retry by {by} failed: {problem}"))
                    return
                assert event is not None
                await repository.preload([event])
                processor.handle(record, event, repository, emitter, started, 1).end()
                outcome = "retried"
                await session.execute(update(table).where(table.c.id == row_id).values(
                    state=RETRIED, dossier_id=event.dossier_id, event_type=event.type,
                    resolved_at=func.now(), resolved_by=by, resolution=f"retried by {by}",
                    requested=None))
            # The dossier as the row knows it: a skipped event that no longer verifies (its key
            # revoked since) still releases the ones waiting behind it.
            dossier_id = event.dossier_id if event is not None else head.dossier_id
            released = 0
            if dossier_id is not None:
                released = await self._release(session, head, dossier_id, repository, emitter,
                                               refused, by, dead_letters)
            if event is not None and self.emits_events:
                emitter.emit(DeadLetterResolved, cause=event, actor=f"operator:{by}",
                             consumer=processor.group, resolution=outcome,
                             refused_type=event.type, refusal=head.reason[:2000],
                             note=head.request_reason, released=released)
            messages = emitter.messages + [processor.dead_letter_message(d) for d in dead_letters]
            if messages:
                await session.execute(insert(processor.stage.outbox),
                                      [m.as_row() for m in messages])
        log.info("dead letter resolved", row=row_id, outcome=outcome, by=by, released=released)
        if messages:
            processor.relay.wake()

    async def _claim(self, session: Any, event: Event) -> str | None:
        """A DEAD record that reads as a trusted event now (say, its key was registered since):
        its event id goes into the inbox, unless the real event was applied already."""
        claimed = (await session.scalars(
            insert(self.processor.stage.inbox).values(message_id=event.event_id)
            .on_conflict_do_nothing().returning(self.processor.stage.inbox.c.message_id))).all()
        return None if claimed else f"event {event.event_id} was applied already"

    async def _release(self, session: Any, head: Any, dossier_id: uuid.UUID, repository: Any,
                       emitter: Emitter, refused: dict[uuid.UUID, str], by: str,
                       dead_letters: list[DeadLetter]) -> int:
        """Apply the dossier's waiting events in arrival order; a refused one becomes the new
        head (PARKED, and on the dead-letter topic) and the rest keep waiting behind it."""
        table = self.table
        assert table is not None
        waiting = (await session.execute(
            select(table).where(table.c.dossier_id == dossier_id,
                                table.c.state == WAITING, table.c.id != head.id)
            .order_by(table.c.id).with_for_update())).all()
        records = [(row, stored_record(row)) for row in waiting]
        events = [(row, record, self.processor.read(record)) for row, record in records]
        await repository.preload([e for _, _, e in events if isinstance(e, Event)])
        released = 0
        for row, record, later in events:
            if isinstance(later, Event):
                problem = refused.get(later.event_id)
                if problem is None:
                    self.processor.handle(record, later, repository, emitter, spans.now(), 1).end()
                    await session.execute(update(table).where(table.c.id == row.id).values(
                        state=APPLIED, resolved_at=func.now(), resolved_by=by,
                        resolution=f"applied once #{head.id} was resolved"))
                    released += 1
                    continue
                event: Event | None = later
            else:
                problem, event = later or "not this consumer's to apply", None
            await session.execute(update(table).where(table.c.id == row.id).values(
                state=PARKED, reason=problem))
            dead_letters.append(DeadLetter(record, problem, row.message_id, event))
            break
        return released

    async def refresh_gauges(self) -> None:
        assert self.table is not None
        async with self.processor.sessions() as session:
            counts = (await session.execute(self._counts)).all()
            parked = await session.scalar(self._parked)
        self._states.replace({(state,): n for state, n in counts})
        metrics.PARKED_DOSSIERS.labels(self.service).set(parked or 0)


def stored_record_headers(headers: list[list[str]]) -> ConsumerRecord:
    """Just enough of a record to read its stored headers."""
    return ConsumerRecord(topic="", partition=0, offset=0, timestamp=0, timestamp_type=0,
                          key=None, value=b"", checksum=None, serialized_key_size=0,
                          serialized_value_size=0,
                          headers=tuple((name, base64.b64decode(value))
                                        for name, value in headers))
