"""The batch consumer every stage runs: one FastStream batch subscriber on the dossier topic,
one consumer group per stage (and agency), one database transaction per batch.

For each batch: skip, by headers alone, what this stage does not handle; read the rest, one
record at a time, from raw bytes (motcua_runtime.records: a bad record never fails the batch);
claim the message ids in the inbox (a redelivery finds them there and is skipped); load the
state the batch touches; run the handlers in order; write state, outbox rows and dead letters;
commit; and only then commit the Kafka offsets. Database or broker trouble retries the same
batch with backoff, so nothing is skipped. Every record read is either applied or
dead-lettered, never dropped.

Who dead-letters what (the same answer from every consumer, so an operator can count):
- a record whose `type` header names a known event type is dead-lettered, when it cannot be
  applied, by every consumer that handles that type for that record's agency (its `agency`
  header; a record without a readable one is every instance's), each in its own
  `dead_letters` table and on the dead-letter topic. Reasons: not UTF-8 headers, missing
  envelope headers, invalid or truncated JSON, not an object, not a valid event, a newer
  schema_version, headers that disagree with the body (type, agency, ids), a bad hash,
  signature, key or entitlement, or a handler that refused it;
- a record with no `type` header, an unreadable one, or a type no contract knows is
  dead-lettered by the topic guard only (intake, `Stage.guards_topic`); every other consumer
  skips it, operations included.

What is held back: a record that cannot be read or trusted is DEAD and holds back nothing (its
dossier id cannot be believed). A trusted event its handler refused is PARKED with its dossier
id; the later events of that dossier then wait in the same table (WAITING, in arrival order)
instead of applying, while other dossiers flow, until an operator retries or skips the parked
one (`motcua dlq`, motcua_runtime.dead_letter_desk).

Before any of that, every record of the batch is followed along its dossier's chain
(motcua_runtime.chains): an event whose cause this consumer does not know for its dossier is
DEAD ("chain: ..."), however well it is signed.

Deferred links. A batch this consumer acts on none of (every record skipped by its headers)
changes nothing but the chain links it teaches, and its own transaction (checkout with the
pool's pre-ping, BEGIN, the chain book's SELECT and INSERT, COMMIT) was nearly all it cost
(issue 15). So the subscriber keeps such a batch in memory, neither followed nor stored, and
does not commit its offsets; the next batch it acts on follows the kept records first, in their
order, and stores their links in its own transaction, before its offsets (and theirs: a commit
is every partition's position) are committed. Nothing is lost on a crash: the kept records'
offsets were never committed, so they are read again and followed then; nothing is applied
twice (the kept records apply nothing, and the inbox still guards what does). The records kept
are at most DEFER_RECORDS and at most DEFER_SECONDS old (then stored alone, `settle`), so
the consumer lag and the re-read after a crash stay small. `process` called directly (tests,
tools) defers nothing unless told to."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import Span, use_span
from sqlalchemy import Uuid, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from motcua_contracts import EVENT_TYPES, Event, Headers, Producer
from motcua_runtime import metrics
from motcua_runtime.assignment import AssignmentGauge
from motcua_runtime.chains import ROOT_TYPES, ChainBook, saving
from motcua_runtime.db import DEAD, PARKED, WAITING
from motcua_runtime.kafka import fetch_limits, group_timing, max_message_bytes
from motcua_runtime.keys import KeyRegistry, Signer, signer_from_settings
from motcua_runtime.outbox import OutboxRelay, OutgoingMessage, outbox_arrays, outbox_insert
from motcua_runtime.records import (
    _UNPARSED,
    RecordHeaders,
    content_id,
    kept_copy,
    raw_batch,
    raw_bodies,
    read_event,
)
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.trust import Verifier
from motcua_telemetry import spans

log = structlog.get_logger(__name__)

# A batch this consumer acts on none of is kept until a batch it acts on, or until this many
# records are kept, or DEFER_SECONDS have passed ("Deferred links" in the module's docstring).
DEFER_RECORDS = 2000
DEFER_SECONDS = 1.0


@dataclass(frozen=True)
class DeadLetter:
    """A record this consumer will not apply. `event` is set for a trusted event its handler
    refused (its dossier is parked behind it); None for one that could not be read or trusted."""

    record: ConsumerRecord
    reason: str
    message_id: uuid.UUID  # its inbox key, so a redelivery does not dead-letter it twice
    event: Event | None = None

    @classmethod
    def untrusted(cls, record: ConsumerRecord, reason: str, consumer: str) -> DeadLetter:
        """Keyed by its content: an unverified event's id cannot be trusted (a forged copy may
        reuse the id of a real event), and its offset is reused after a broker restart."""
        return cls(record, reason, content_id(record, consumer))


class HandlerRefused(Exception):
    """A handler raised on this event: whatever it changed is rolled back with the transaction,
    and the work is done again with the event held back."""

    def __init__(self, letter: DeadLetter) -> None:
        self.letter = letter


def group_id(stage_name: str, agency: str | None) -> str:
    return stage_name if agency is None else f"{stage_name}.{agency}"


def _type_header(record: ConsumerRecord) -> str:
    for name, value in record.headers:
        if name == Headers.TYPE:
            return (value or b"").decode(errors="replace")
    return "unknown"


def _observe_handling(service: str, applied: list[tuple[ConsumerRecord, Event]]) -> None:
    """Each applied event's time from its publication (record timestamp) to now, the commit."""
    now_ms = time.time() * 1000
    histograms: dict[str, Any] = {}  # .labels() costs more than .observe(): once per type
    for record, event in applied:
        if record.timestamp and record.timestamp > 0:
            histogram = histograms.get(event.type)
            if histogram is None:
                histogram = histograms[event.type] = metrics.HANDLING_SECONDS.labels(
                    service, event.type)
            histogram.observe(max(0.0, now_ms - record.timestamp) / 1000)


class BatchProcessor:
    def __init__(self, stage: Stage, engine: AsyncEngine, settings: ServiceSettings,
                 relay: OutboxRelay, *, signer: Signer | None = None,
                 verifier: Verifier | None = None) -> None:
        self.stage = stage
        self.settings = settings
        self.relay = relay
        self.group = group_id(stage.name, settings.agency)
        # Every event this stage emits is signed with its key; every event it acts on is
        # verified against the key registry first (motcua_runtime.trust).
        self.signer = signer or signer_from_settings(settings, stage.name)
        self.verifier = verifier or Verifier(KeyRegistry.load(settings.registry_path()))
        self.producer: Producer = self.signer.producer
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._claim = _claiming(stage)
        # Records of batches this consumer acts on none of, with their decoded headers, not
        # yet followed along their chains nor stored; and the last of their messages, unacked.
        self._deferred: list[tuple[ConsumerRecord, RecordHeaders]] = []
        self._unacked: KafkaMessage | None = None
        self._settling = asyncio.Lock()  # a batch, or the settling of the deferred ones
        self._settle_task: asyncio.Task[None] | None = None
        self._lag = metrics.ConsumerLag(stage.name, self.group)

    def subscribe(self, broker: KafkaBroker) -> None:
        subscriber = broker.subscriber(
            self.settings.dossier_topic,
            group_id=self.group,
            batch=True,
            max_records=self.settings.batch_max_records,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",  # the embedded broker's "latest" is wrong (design.md)
            ack_policy=AckPolicy.MANUAL,
            **group_timing(),
            listener=AssignmentGauge(self.stage.name, self._lag),
            # Raw bytes in, nothing decoded before process(): see motcua_runtime.records.
            parser=raw_batch,
            decoder=raw_bodies,
            **fetch_limits(),  # room for the largest record we produce (kafka.py)
        )

        @subscriber
        async def on_dossier_events(message: KafkaMessage) -> None:
            async with self._settling:
                if await self.process(message.raw_message, may_defer=True):
                    self._unacked = None
                    # Commits every partition's position: only after the transaction committed
                    # (with what earlier deferred batches learned, when there were some).
                    await message.ack()
                    await self._lag.update(message.consumer)
                    return
                self._unacked = message
                if self._settle_task is None or self._settle_task.done():
                    self._settle_task = asyncio.create_task(self._settle_later(),
                                                            name="settle-deferred")

    async def _settle_later(self) -> None:
        """At most DEFER_SECONDS after a batch was deferred, it is stored even if no batch
        that acts has come meanwhile."""
        await asyncio.sleep(DEFER_SECONDS)
        try:
            await self.settle()
        except Exception:  # e.g. the consumer stopped meanwhile: its records are read again
            log.warning("deferred records not settled; they will be read again", exc_info=True)

    async def close(self) -> None:
        """Before the consumer stops: what was deferred stored and its offsets committed (a
        failure here only means those records are read again at the next start)."""
        if self._settle_task is not None:
            self._settle_task.cancel()
        try:
            await self.settle()
        except Exception:
            log.warning("deferred records not settled; they will be read again", exc_info=True)

    async def settle(self) -> None:
        """Store what the deferred batches learned, then commit their offsets. A stopping
        service calls it after the batch in hand (motcua_runtime.service)."""
        async with self._settling:
            message = self._unacked
            if message is None:
                return
            await self.process(())
            self._unacked = None
            await message.ack()
            await self._lag.update(message.consumer)

    async def process(self, records: tuple[ConsumerRecord, ...], *,
                      may_defer: bool = False) -> bool:
        """Apply a batch, retrying on infrastructure errors until it is applied; with the
        records deferred before it, if any. True when it is stored, and with it everything
        deferred: their offsets may be committed. False only with `may_defer`, for a batch this
        consumer acts on none of, kept to be stored with a later one ("Deferred links" in the
        module's docstring): its offsets must not be committed before."""
        rejected: dict[uuid.UUID, DeadLetter] = {}
        backoff = 0.2
        while True:
            try:
                stored = await self._apply(records, rejected, may_defer)
                if stored:
                    self._deferred = []
                return stored
            except HandlerRefused as rejection:
                # The transaction was rolled back with whatever the handler had changed; apply
                # the batch again with this event as a dead letter.
                rejected[rejection.letter.message_id] = rejection.letter
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.BATCH_RETRIES.labels(self.stage.name).inc()
                log.exception("batch failed; retrying the same batch", retry_in_seconds=backoff,
                              records=len(records))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def read(self, record: ConsumerRecord, headers: RecordHeaders | None = None,
             limit: int | None = None) -> Event | str | None:
        """The record's event if this consumer acts on it; the reason if it must dead-letter
        it; None if it is not this consumer's to judge (the rule in this module's docstring).
        `headers`: the record's, if read already; `limit`: the record limit, if looked up."""
        headers = headers or RecordHeaders.of(record)
        event_type = headers.get(Headers.TYPE)
        if event_type not in self.stage.handlers:
            if self.stage.guards_topic and event_type not in EVENT_TYPES:
                if event_type is None:
                    return ("type header is not UTF-8" if headers.not_utf8 == Headers.TYPE
                            else "no type header")
                return f"unknown event type {event_type!r}"
            return None
        agency = headers.get(Headers.AGENCY)
        if agency is not None and not self.settings.serves(agency):
            return None  # another agency's dossier: its own instance handles it
        return read_event(record, headers, self.verifier, limit)

    def _select(self, reads: list[tuple[ConsumerRecord, Event | str | None]],
                book: ChainBook | None, headers: list[RecordHeaders]
                ) -> tuple[list[tuple[ConsumerRecord, Event]], list[DeadLetter]]:
        """What to apply and what to dead-letter, in the batch's order; with a chain book,
        every record is followed along its dossier's chain first."""
        wanted: list[tuple[ConsumerRecord, Event]] = []
        dead: list[DeadLetter] = []
        for (record, read), record_headers in zip(reads, headers, strict=True):
            if isinstance(read, str):
                dead.append(DeadLetter.untrusted(record, read, self.group))
            elif read is not None:
                broken = book.admit(read) if book is not None else None
                if broken is not None:
                    dead.append(DeadLetter.untrusted(record, broken, self.group))
                else:
                    wanted.append((record, read))
            elif book is not None:
                self._follow(record, record_headers, book)
        return wanted, dead

    def _follow(self, record: ConsumerRecord, headers: RecordHeaders, book: ChainBook) -> None:
        """A record this consumer does not act on, learned for the chain: a root or a record
        without the chain headers read in full and verified, any other by its headers."""
        dossier_id = _dossier_of(headers)
        if dossier_id is None:
            return
        event_hash = headers.get(Headers.EVENT_HASH)
        if headers.get(Headers.TYPE) in ROOT_TYPES or event_hash is None:
            event = read_event(record, headers, self.verifier)
            if isinstance(event, Event):
                book.admit(event)
            return
        causation_hash = headers.get(Headers.CAUSATION_HASH)
        if causation_hash is not None:
            book.follow(dossier_id, event_hash, causation_hash)

    async def held_dossiers(self, session: AsyncSession,
                            dossier_ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """The dossiers among these whose events wait behind a parked one. FOR SHARE: an
        operator's release of one of them (dead_letter_desk) commits before or after this batch,
        never in between, so no event is left waiting behind a head that was just resolved."""
        table = self.stage.dead_letters
        if table is None or not dossier_ids:
            return set()
        # The ids as one array (any_), not an IN list: one statement to compile whatever their
        # number.
        rows = await session.scalars(
            select(table.c.dossier_id)
            .where(table.c.dossier_id == any_(bindparam("dossier_ids", type_=ARRAY(Uuid))),
                   table.c.state.in_((PARKED, WAITING)))
            .with_for_update(read=True), {"dossier_ids": list(dossier_ids)})
        return set(rows.all())

    async def _apply(self, batch: tuple[ConsumerRecord, ...],
                     rejected: dict[uuid.UUID, DeadLetter], may_defer: bool) -> bool:
        started, started_at = time.perf_counter(), spans.now()
        chains = self.stage.chain_links
        # Each record's headers are decoded once, for reading, skipping and following it.
        batch_headers = [RecordHeaders.of(record) for record in batch]
        limit = max_message_bytes()
        batch_reads = [(record, self.read(record, record_headers, limit))
                       for record, record_headers in zip(batch, batch_headers, strict=True)]
        if chains is None:
            wanted, dead = self._select(batch_reads, None, batch_headers)
            if not wanted and not dead:
                return True
        skipped_all = all(read is None for _, read in batch_reads)
        if (chains is not None and skipped_all and may_defer
                and len(self._deferred) + len(batch) < DEFER_RECORDS):
            # Nothing this consumer acts on: kept, unsaved, its offsets not committed (module
            # docstring, "Deferred links").
            self._deferred.extend(zip(batch, batch_headers, strict=True))
            return False
        records, headers, reads = batch, batch_headers, batch_reads
        if self._deferred:
            # The deferred records come first, in the order they were read: this batch follows
            # them along their chains. None is acted on (else it would not have been deferred).
            records = (*(record for record, _ in self._deferred), *batch)
            headers = [*(record_headers for _, record_headers in self._deferred), *batch_headers]
            reads = [*((record, None) for record, _ in self._deferred), *batch_reads]
        if chains is not None and skipped_all:
            # Only what the chains learn, without a batch span.
            async with self.sessions() as session, session.begin():
                book = await ChainBook.load(session, chains, _asked(reads, headers))
                self._select(reads, book, headers)
                await book.save(session, chains)
            return True
        emitter = Emitter(self.producer, self.settings.dossier_topic, sign=self.signer.sign)
        handled: Counter[str] = Counter()
        applied: list[tuple[ConsumerRecord, Event]] = []
        held_back: list[tuple[DeadLetter, str]] = []  # (letter, state): PARKED or WAITING
        to_dlq: list[DeadLetter] = []
        messages: list[OutgoingMessage] = []
        async with spans.batch_transaction(self.stage.name, started_at) as processing, \
                self.sessions() as session, session.begin():
            chain_book: ChainBook | None = None
            if chains is not None:
                chain_book = await ChainBook.load(session, chains, _asked(reads, headers))
                wanted, dead = self._select(reads, chain_book, headers)
            unique: dict[uuid.UUID, tuple[ConsumerRecord, Event]] = {}
            for record, event in wanted:
                unique.setdefault(event.event_id, (record, event))  # a copy inside one batch
            letters = {letter.message_id: letter for letter in dead}
            if not unique and not letters:
                if chain_book is not None and chains is not None:
                    await chain_book.save(session, chains)
                return True  # commits what the chains learned
            # The inbox's claim and the chain's new links in one round trip (issue 15).
            claimed = set((await session.scalars(self._claim, {
                "message_ids": [*unique, *letters],
                **(chain_book.learned() if chain_book is not None else {})})).all())
            metrics.REDELIVERIES_SUPPRESSED.labels(self.stage.name).inc(len(unique) + len(letters) - len(claimed))  # noqa: E501
            todo = [pair for event_id, pair in unique.items() if event_id in claimed]
            fresh_dead = [letter for i, letter in letters.items() if i in claimed]
            held = await self.held_dossiers(session, {event.dossier_id for _, event in todo})
            repository = self.stage.open_repository(session)
            await repository.preload([event for _, event in todo
                                      if event.dossier_id not in held])
            for record, event in todo:
                refused = rejected.get(event.event_id)
                if event.dossier_id in held:
                    held_back.append((DeadLetter(record, f"waiting behind a refused event of "
                                                 f"dossier {event.dossier_id}", event.event_id,
                                                 event), WAITING))
                elif refused is not None:
                    if self.stage.dead_letters is not None:
                        held.add(event.dossier_id)  # what follows waits behind it
                    held_back.append((refused, PARKED))
                else:
                    processing.append(self.handle(record, event, repository, emitter,
                                                  started_at, len(records)))
                    handled[event.type] += 1
                    applied.append((record, event))
            save = getattr(repository, "save", None)
            if save is not None:
                await save()
            to_dlq = fresh_dead + [letter for letter, state in held_back if state == PARKED]
            messages = emitter.messages + [self.dead_letter_message(d) for d in to_dlq]
            if messages:
                await session.execute(outbox_insert(self.stage.outbox), outbox_arrays(messages))
            # In the batch's order: a dossier's waiting rows are released in id order.
            position = {id(record): i for i, record in enumerate(records)}
            rows = [self.dead_letter_row(d, state) for d, state in sorted(
                [*((d, DEAD) for d in fresh_dead), *held_back],
                key=lambda pair: position.get(id(pair[0].record), 0))]
            if rows and self.stage.dead_letters is not None:
                await session.execute(insert(self.stage.dead_letters)
                                      .on_conflict_do_nothing(index_elements=["message_id"]), rows)
        for event_type, count in handled.items():
            metrics.EVENTS_HANDLED.labels(self.stage.name, event_type).inc(count)
        _observe_handling(self.stage.name, applied)
        for letter in to_dlq:
            metrics.DEAD_LETTERS.labels(self.stage.name, _type_header(letter.record)).inc()
            log.error("message sent to the dead-letter topic", reason=letter.reason,
                      partition=letter.record.partition, offset=letter.record.offset,
                      parked=letter.event is not None)
        for letter, state in held_back:
            if state == WAITING:
                log.warning("event held back behind a parked one of its dossier",
                            dossier_id=str(letter.event.dossier_id) if letter.event else None,
                            event_id=str(letter.message_id))
        metrics.BATCH_SECONDS.labels(self.stage.name).observe(time.perf_counter() - started)
        if messages:
            self.relay.wake()
        return True

    def handle(self, record: ConsumerRecord, event: Event, repository: object,
               emitter: Emitter, started_at: int, batch_size: int) -> Span:
        """Run the event's handler inside its consume span (a child of the publish that sent
        it), with its ids on every log line, so that what it emits carries this span's context.
        Returns the span, ended once the batch is committed. A handler that raises makes this
        raise HandlerRefused: the caller rolls back and goes again without the event."""
        span = spans.start_consume(record.headers, event, start_time=started_at,
                                   batch_size=batch_size)
        # The ids are bound by their tokens and reset after, not with bound_contextvars: that
        # copies the whole context and walks every variable in it to save what it rebinds, a
        # tenth of the operations view's CPU per event (issue 15). A reset restores the values
        # bound before exactly, as bound_contextvars does.
        tokens = structlog.contextvars.bind_contextvars(
            dossier_id=str(event.dossier_id), event_id=str(event.event_id),
            event_type=event.type)
        try:
            with use_span(span, record_exception=False, set_status_on_exception=False):
                try:
                    self.stage.handlers[event.type](event, repository, emitter)
                except Exception as error:  # handlers do no I/O: a failure is the message's
                    log.warning("event rejected", reason=str(error),
                                exc_info=not isinstance(error, ValueError))
                    spans.fail(span, error)
                    span.end()
                    raise HandlerRefused(DeadLetter(record, f"{type(error).__name__}: {error}",
                                                    event.event_id, event)) from error
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
        return span

    def dead_letter_message(self, letter: DeadLetter) -> OutgoingMessage:
        """The copy for the dead-letter topic: never larger than the record limit (a value that
        would not fit is cut to its first 4 KiB, its SHA-256 and size in the headers)."""
        record = letter.record
        kept = kept_copy(record)
        extra = [
            (Headers.DLQ_REASON, letter.reason.encode()[:4096]),
            (Headers.DLQ_CONSUMER, self.group.encode()),
            (Headers.DLQ_TOPIC, record.topic.encode()),
            (Headers.DLQ_PARTITION, str(record.partition).encode()),
            (Headers.DLQ_OFFSET, str(record.offset).encode()),
        ]
        return OutgoingMessage(self.settings.dlq_topic, kept.key, kept.value,
                               kept.headers + extra)

    def dead_letter_row(self, letter: DeadLetter, state: str) -> dict[str, Any]:
        """Its dead_letters row: the same bytes as the dead-letter topic's copy (whole up to the
        record limit, else the first 4 KiB), so `motcua dlq retry` can re-read a parked event."""
        record, event = letter.record, letter.event
        kept = kept_copy(record)
        return {
            "message_id": letter.message_id,
            "dossier_id": event.dossier_id if event is not None else None,
            "event_type": event.type if event is not None else _readable_type(record),
            "state": state, "reason": letter.reason,
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": kept.key, "value": kept.value,
            "headers": [[name, base64.b64encode(value).decode()] for name, value in kept.headers],
        }


def _claiming(stage: Stage) -> ReturningInsert[Any]:
    """A batch's claim of its message ids in the inbox (those already there are redeliveries:
    not returned), the ids as one array; with a chain table, what the batch learned of the
    chains stored by the same statement (a CTE: one round trip, built and compiled once)."""
    inbox = stage.inbox
    claim = (insert(inbox)
             .from_select(["message_id"],
                          select(func.unnest(bindparam("message_ids", type_=ARRAY(Uuid)))))
             .on_conflict_do_nothing().returning(inbox.c.message_id))
    if stage.chain_links is None:
        return claim
    return claim.add_cte(saving(stage.chain_links).cte("chain_links_learned"))


def _dossier_of(headers: RecordHeaders) -> uuid.UUID | None:
    """The dossier its header names, parsed once per record (a batch asks twice)."""
    if headers.dossier_id is _UNPARSED:
        try:
            parsed: uuid.UUID | None = uuid.UUID(headers.get(Headers.DOSSIER_ID) or "")
        except ValueError:
            parsed = None
        headers.dossier_id = parsed
    return headers.dossier_id


def _asked(reads: list[tuple[ConsumerRecord, Event | str | None]],
           headers: list[RecordHeaders]) -> Iterator[tuple[uuid.UUID, str | None]]:
    """The (dossier, hash) pairs the chain book may be asked about for a batch: every record's
    own hash and its cause's, as its headers say and, for a record read in full, as its body
    says (a record written before the chain headers, a root followed in full, is read then)."""
    for (record, read), record_headers in zip(reads, headers, strict=True):
        # Not isinstance(read, Event): on a pydantic class that is ABCMeta's, a tenth of what a
        # skipped record (None) costs (issue 15). A read is an Event, a reason (str) or None.
        if read is not None and not isinstance(read, str):
            yield read.dossier_id, read.hash
            yield read.dossier_id, read.causation_hash
        dossier_id = _dossier_of(record_headers)
        if dossier_id is None:
            continue
        if record_headers.get(Headers.EVENT_HASH) is None:  # followed by its body (_follow)
            body = _json_object(record.value)
            yield dossier_id, _text(body.get("hash"))
            yield dossier_id, _text(body.get("causation_hash"))
        yield dossier_id, record_headers.get(Headers.EVENT_HASH)
        yield dossier_id, record_headers.get(Headers.CAUSATION_HASH)


def _json_object(value: bytes | None) -> dict[str, Any]:
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _readable_type(record: ConsumerRecord) -> str | None:
    return RecordHeaders.of(record).get(Headers.TYPE)
