"""The batch consumer every stage runs: one FastStream batch subscriber on the dossier topic,
one consumer group per stage (and agency), one database transaction per batch.

For each batch: skip, by headers alone, what this stage does not handle; parse the rest; claim
the message ids in the inbox (a redelivery finds them there and is skipped); load the state the
batch touches; run the handlers in order; write state, outbox rows and dead letters; commit; and
only then commit the Kafka offsets. Database or broker trouble retries the same batch with
backoff, so nothing is skipped; a message that can never be applied goes to the dead-letter
topic with its reason, and the consumer moves on."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiokafka import ConsumerRebalanceListener
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import Span, use_span
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from motcua_contracts import (
    EVENT_TYPES,
    Event,
    Headers,
    Producer,
    UnsupportedEvent,
    parse_event,
)
from motcua_runtime import metrics
from motcua_runtime.keys import KeyRegistry, Signer, signer_from_settings
from motcua_runtime.outbox import OutboxRelay, OutgoingMessage
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.trust import Verifier
from motcua_telemetry import spans

log = structlog.get_logger(__name__)

# Poison messages may carry no event id; their inbox key is derived from their topic position.
_POSITION_NAMESPACE = uuid.UUID("6f1d2a43-9c3e-4b8e-9a57-0f3d6b1c2e10")


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord
    reason: str
    message_id: uuid.UUID  # its inbox key, so a redelivery does not dead-letter it twice

    @classmethod
    def at_position(cls, record: ConsumerRecord, reason: str) -> DeadLetter:
        """For a message that has no readable event id: keyed by its place on the topic."""
        return cls(record, reason, _position_id(record))


class _Rejection(Exception):
    def __init__(self, letter: DeadLetter) -> None:
        self.letter = letter


class _AssignmentGauge(ConsumerRebalanceListener):
    """Publishes how many partitions this instance holds: > 0 means it is consuming."""

    def __init__(self, service: str, lag: metrics.ConsumerLag) -> None:
        self._gauge = metrics.ASSIGNED_PARTITIONS.labels(service)
        self._lag = lag

    async def on_partitions_revoked(self, revoked: list) -> None:
        self._gauge.set(0)
        self._lag.forget(revoked)

    async def on_partitions_assigned(self, assigned: list) -> None:
        self._gauge.set(len(assigned))


def group_id(stage_name: str, agency: str | None) -> str:
    return stage_name if agency is None else f"{stage_name}.{agency}"


def _type_header(record: ConsumerRecord) -> str:
    for name, value in record.headers:
        if name == Headers.TYPE:
            return value.decode(errors="replace")
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


def _position_id(record: ConsumerRecord) -> uuid.UUID:
    return uuid.uuid5(_POSITION_NAMESPACE, f"{record.topic}:{record.partition}:{record.offset}")


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
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._lag = metrics.ConsumerLag(stage.name, self.group)

    def subscribe(self, broker: KafkaBroker) -> None:
        subscriber = broker.subscriber(
            self.settings.dossier_topic,
            group_id=self.group,
            batch=True,
            max_records=self.settings.batch_max_records,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",  # the embedded broker's "latest" is wrong (DESIGN.md)
            ack_policy=AckPolicy.MANUAL,
            session_timeout_ms=15_000,
            heartbeat_interval_ms=3_000,
            listener=_AssignmentGauge(self.stage.name, self._lag),
        )

        @subscriber
        async def on_dossier_events(message: KafkaMessage) -> None:
            await self.process(message.raw_message)
            await message.ack()  # commits offsets: only after the transaction committed
            await self._lag.update(message.consumer)

    async def process(self, records: tuple[ConsumerRecord, ...]) -> None:
        """Apply a batch, retrying on infrastructure errors until it is applied."""
        rejected: dict[uuid.UUID, DeadLetter] = {}
        backoff = 0.2
        while True:
            try:
                await self._apply(records, rejected)
                return
            except _Rejection as rejection:
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

    def _select(self, records: tuple[ConsumerRecord, ...]
                ) -> tuple[list[tuple[ConsumerRecord, Event]], list[DeadLetter]]:
        wanted: list[tuple[ConsumerRecord, Event]] = []
        dead: list[DeadLetter] = []
        for record in records:
            headers = {name: value.decode(errors="replace") for name, value in record.headers}
            event_type = headers.get(Headers.TYPE)
            if event_type not in self.stage.handlers:
                if self.stage.guards_topic and event_type not in EVENT_TYPES:
                    reason = ("no type header" if event_type is None
                              else f"unknown event type {event_type!r}")
                    dead.append(DeadLetter.at_position(record, reason))
                continue
            if not self.settings.serves(headers.get(Headers.AGENCY)):
                continue  # another agency's dossier: its own instance handles it
            try:
                event = parse_event(record.value)
            except UnsupportedEvent as error:
                dead.append(DeadLetter.at_position(record, str(error)))
                continue
            if event.type != event_type:
                dead.append(DeadLetter.at_position(
                    record, f"type header {event_type!r} does not match body type {event.type!r}"))
                continue
            verdict = self.verifier.check(orjson.loads(record.value), event.occurred_at)
            if verdict is not None:
                # Keyed by its place on the topic: an unverified event's id cannot be trusted
                # (a forged copy may reuse the id of a real event).
                dead.append(DeadLetter.at_position(record, str(verdict)))
                continue
            wanted.append((record, event))
        return wanted, dead

    async def _apply(self, records: tuple[ConsumerRecord, ...],
                     rejected: dict[uuid.UUID, DeadLetter]) -> None:
        started, started_at = time.perf_counter(), spans.now()
        wanted, dead = self._select(records)
        unique: dict[uuid.UUID, tuple[ConsumerRecord, Event]] = {}
        for record, event in wanted:
            if event.event_id in rejected:
                dead.append(rejected[event.event_id])
            else:
                unique.setdefault(event.event_id, (record, event))  # a copy inside one batch
        letters = {letter.message_id: letter for letter in dead}
        if not unique and not letters:
            return
        emitter = Emitter(self.producer, self.settings.dossier_topic, sign=self.signer.sign)
        handled: Counter[str] = Counter()
        async with spans.batch_transaction(self.stage.name, started_at) as processing, \
                self._sessions() as session, session.begin():
            claimed = set((await session.scalars(
                insert(self.stage.inbox)
                .values([{"message_id": i} for i in [*unique, *letters]])
                .on_conflict_do_nothing().returning(self.stage.inbox.c.message_id)
            )).all())
            todo = [pair for event_id, pair in unique.items() if event_id in claimed]
            fresh_dead = [letter for i, letter in letters.items() if i in claimed]
            repository = self.stage.open_repository(session)
            await repository.preload([event for _, event in todo])
            for record, event in todo:
                processing.append(self._handle(record, event, repository, emitter,
                                               started_at, len(records)))
                handled[event.type] += 1
            messages = emitter.messages + [self._dead_letter(d) for d in fresh_dead]
            if messages:
                await session.execute(insert(self.stage.outbox), [m.as_row() for m in messages])
        for event_type, count in handled.items():
            metrics.EVENTS_HANDLED.labels(self.stage.name, event_type).inc(count)
        _observe_handling(self.stage.name, todo)
        for letter in fresh_dead:
            metrics.DEAD_LETTERS.labels(self.stage.name, _type_header(letter.record)).inc()
            log.error("message sent to the dead-letter topic", reason=letter.reason,
                      partition=letter.record.partition, offset=letter.record.offset)
        metrics.BATCH_SECONDS.labels(self.stage.name).observe(time.perf_counter() - started)
        if messages:
            self.relay.wake()

    def _handle(self, record: ConsumerRecord, event: Event, repository: object,
                emitter: Emitter, started_at: int, batch_size: int) -> Span:
        """Run the event's handler inside its consume span (a child of the publish that sent
        it), with its ids on every log line, so that what it emits carries this span's context.
        Returns the span, ended once the batch is committed."""
        span = spans.start_consume(record.headers, event, start_time=started_at,
                                   batch_size=batch_size)
        with use_span(span, record_exception=False, set_status_on_exception=False), \
                structlog.contextvars.bound_contextvars(
                    dossier_id=str(event.dossier_id), event_id=str(event.event_id),
                    event_type=event.type):
            try:
                self.stage.handlers[event.type](event, repository, emitter)
            except Exception as error:  # handlers do no I/O: a failure here is the message's
                log.warning("event rejected", reason=str(error),
                            exc_info=not isinstance(error, ValueError))
                spans.fail(span, error)
                span.end()
                raise _Rejection(DeadLetter(record, f"{type(error).__name__}: {error}",
                                            event.event_id)) from error
        return span

    def _dead_letter(self, letter: DeadLetter) -> OutgoingMessage:
        record = letter.record
        extra = [
            (Headers.DLQ_REASON, letter.reason.encode()),
            (Headers.DLQ_CONSUMER, self.group.encode()),
            (Headers.DLQ_TOPIC, record.topic.encode()),
            (Headers.DLQ_PARTITION, str(record.partition).encode()),
            (Headers.DLQ_OFFSET, str(record.offset).encode()),
        ]
        return OutgoingMessage(self.settings.dlq_topic, record.key, record.value or b"",
                               list(record.headers) + extra)
