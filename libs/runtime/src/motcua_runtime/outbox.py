"""The transactional outbox: rows written in the same transaction as a stage's state change, and
the relay that publishes them to Kafka afterwards.

A crash after the commit and before the send leaves the rows unsent: the relay sends them on the
next start. A crash after the send and before `sent_at` is stamped sends them again; consumers
drop the copy by its event id (inbox), so effects happen once."""

from __future__ import annotations

import asyncio
import base64
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from opentelemetry.trace import Span, set_span_in_context
from sqlalchemy import (
    LargeBinary,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    false,
    func,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from motcua_contracts import Event, headers_for
from motcua_runtime import metrics
from motcua_runtime.kafka import max_message_bytes
from motcua_telemetry import spans

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    @classmethod
    def for_event(cls, topic: str, event: Event) -> OutgoingMessage:
        """The event as a record, carrying the trace context of the current span (the consume
        span or the request that emitted it): the relay continues the trace from there."""
        return cls(topic, str(event.dossier_id).encode(), event.model_dump_json().encode(),
                   spans.with_trace_context(headers_for(event)))

    def as_row(self) -> dict[str, Any]:
        return {"topic": self.topic, "key": self.key, "value": self.value,
                "headers": self.stored_headers()}

    def stored_headers(self) -> list[list[str]]:
        """The headers as the outbox's JSON column keeps them: [name, base64 of the value]."""
        return [[name, base64.b64encode(value).decode()] for name, value in self.headers]


def outbox_insert(outbox: Table) -> Any:
    """The INSERT of any number of outbox rows as one statement: one array per column (topic,
    key, value, headers as JSON text), unnested by Postgres. An executemany sends a Bind and an
    Execute per row (a consumer's batch writes one to a few rows per dossier); this is one
    execution whatever their number, built and prepared once per table. Its parameters:
    `outbox_arrays(messages)`."""
    statement = _OUTBOX_INSERTS.get(outbox)
    if statement is None:
        given = func.unnest(bindparam("topics", type_=ARRAY(Text)),
                            bindparam("keys", type_=ARRAY(LargeBinary)),
                            bindparam("values", type_=ARRAY(LargeBinary)),
                            bindparam("headers", type_=ARRAY(Text)),
                            ).table_valued("topic", "key", "value", "headers",
                                           with_ordinality="position").render_derived()
        # In the arrays' order: the ids it draws are the relay's sending order.
        statement = _OUTBOX_INSERTS[outbox] = insert(outbox).from_select(
            ["topic", "key", "value", "headers"],
            select(given.c.topic, given.c.key, given.c.value, cast(given.c.headers, JSONB))
            .order_by(given.c.position))
    return statement


_OUTBOX_INSERTS: dict[Table, Any] = {}


def outbox_arrays(messages: Sequence[OutgoingMessage]) -> dict[str, list[Any]]:
    """The parameters of `outbox_insert`: the same columns `OutgoingMessage.as_row` gives, in
    the messages' order (the rows' ids, hence the relay's sending order, follow it)."""
    return {
        "topics": [m.topic for m in messages],
        "keys": [m.key for m in messages],
        "values": [m.value for m in messages],
        "headers": [orjson.dumps(m.stored_headers()).decode() for m in messages],
    }


# The relay adds the publish span's `traceparent` (55 bytes) and may add `tracestate`: room for
# them in the size check, so the producer never refuses what the check let through.
_TRACE_HEADER_BYTES = 256


def _decode_headers(stored: list[list[str]]) -> list[tuple[str, bytes]]:
    return [(name, base64.b64decode(value)) for name, value in stored]


# A dropped row keeps parked_at and gets this prefix on its reason; sent_at stays null, so it
# is never mistaken for a published one.
DROPPED = "dropped: "
BEHIND = "behind parked row "

# Refusals that concern the record itself and will recur on every attempt: parked. Everything
# else (timeouts, NotLeader, connection errors, authorization, unknown errors) is retried with
# backoff: a broker-wide problem must hold the outbox, not park all of it.
PERMANENT = (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordTooLargeError,
             kafka_errors.RecordListTooLargeError, kafka_errors.InvalidTopicError,
             kafka_errors.CorruptRecordException, kafka_errors.InvalidTimestampError,
             kafka_errors.UnsupportedForMessageFormatError)
_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def behind(head: int) -> str:
    return f"{BEHIND}{head}"


def record_size(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> int:
    """The size Kafka counts for a record sent alone: its record batch (aiokafka's bound)."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)


def unsendable(topic: str, size: int, limit: int) -> str | None:
    """Why a record can never be sent, checked before sending; None when it can."""
    if not _LEGAL_TOPIC.fullmatch(topic) or topic in (".", ".."):
        # aiokafka would wait for metadata of it for 40 s and call it retriable, for ever
        return f"invalid topic name {topic!r}"
    if size > limit:
        return f"too large: {size} bytes > limit {limit} (KAFKA_MAX_MESSAGE_BYTES)"
    return None


def refusal(error: BaseException) -> str | None:
    """The reason to park a record its send failed with; None when the send is to be retried."""
    if isinstance(error, PERMANENT):
        return f"refused: {type(error).__name__}: {error}"
    return None


@dataclass
class _Row:
    id: int
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def group(self) -> tuple[str, bytes] | None:
        return None if self.key is None else (self.topic, self.key)


class OutboxRelay:
    """Publishes a stage's outbox in id order, a batch at a time, without waiting for each send.

    Several instances of a stage share one outbox; a transaction-scoped advisory lock lets one
    relay publish at a time, which keeps each dossier's events in the order they were written.

    A row that can never be sent (too large, invalid topic, refused for good by the broker) is
    parked with its reason in the transaction that stamps the others sent, so it never blocks
    later rows. Later rows of the same topic and key are parked behind it ("behind parked row
    N"): a consumer must never see a dossier's event N+1 without N (it would refuse it as an
    illegal transition, or apply it out of order), so the dossier waits, visibly, while every
    other dossier flows; `motcua outbox retry N` releases N and the rows behind it together.
    Rows with the same key on another topic are not held: the dead-letter topic's copies carry
    an attacker-chosen key, and no consumer orders them against the dossier topic."""

    def __init__(self, engine: AsyncEngine, outbox: Table, producer: AIOKafkaProducer,
                 *, batch_size: int = 500, idle_poll_seconds: float = 0.5,
                 max_record_bytes: int | None = None) -> None:
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._limit = max_record_bytes or max_message_bytes()
        self._lock_key = zlib.crc32(f"motcua.outbox.{outbox.schema}".encode())
        self._wakeup = asyncio.Event()
        self._service = str(outbox.schema)
        self._lock = select(func.pg_try_advisory_xact_lock(self._lock_key))
        self._statement: Select[Any] | None = None
        self._publishing = asyncio.Lock()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without polling delay."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until cancelled. The relay keeps one connection of the pool while it runs:
        a checkout per batch cost the pool's pre-ping (BEGIN, a ping, ROLLBACK: three round
        trips) before every batch and every idle poll. A failure gives the connection back
        (invalidated when it broke) and the next attempt takes a fresh one."""
        backoff = 0.5
        while True:
            try:
                async with self._engine.connect() as connection:
                    while True:
                        while await self.publish_batch(connection) == self._batch_size:
                            pass
                        backoff = 0.5
                        try:
                            await asyncio.wait_for(self._wakeup.wait(), timeout=self._idle_poll)
                        except TimeoutError:
                            pass
                        self._wakeup.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", retry_in_seconds=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def _pending_and_parked(self) -> Select[Any]:
        """What a batch reads, in one statement: up to a batch of pending rows, and the first
        parked row of each topic and key still waiting for an operator (a partial index keeps
        that part cheap: parked rows are few); rows of that second kind have `head` true and no
        value. Built once per relay, so the connection prepares it once. (The advisory lock
        stays a statement of its own, before this one: taken inside it, the lock would come
        after the statement's snapshot, which could then still show as pending the rows another
        instance stamped sent just before letting the lock go.)"""
        if self._statement is not None:
            return self._statement
        outbox = self._outbox
        pending = (
            select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers,
                   false().label("head"))
            .where(outbox.c.sent_at.is_(None), outbox.c.parked_at.is_(None))
            .order_by(outbox.c.id).limit(self._batch_size))
        heads = (
            select(func.min(outbox.c.id), outbox.c.topic, outbox.c.key,
                   cast(null(), LargeBinary), cast(null(), JSONB), true())
            .where(outbox.c.parked_at.is_not(None), outbox.c.sent_at.is_(None),
                   outbox.c.key.is_not(None), outbox.c.park_reason.not_like(f"{DROPPED}%"))
            .group_by(outbox.c.topic, outbox.c.key))
        self._statement = select(union_all(pending, heads).subquery("batch"))
        return self._statement

    async def publish_batch(self, connection: AsyncConnection | None = None) -> int:
        """Send up to one batch of pending rows, mark them sent or parked; returns how many it
        settled. A retriable failure commits what was settled, then raises (the caller backs
        off); the failed rows and those after them of the same key stay pending. `connection`:
        the relay's own (run); without it, one of the pool's for this batch."""
        if connection is None:
            async with self._engine.connect() as own:
                return await self.publish_batch(own)
        async with self._publishing:  # the run loop's and a last one at shutdown: one by one
            return await self._publish(connection)

    async def _publish(self, conn: AsyncConnection) -> int:
        outbox = self._outbox
        started = spans.now()
        publishing: list[Span] = []
        retry: BaseException | None = None
        async with conn.begin():
            if not await conn.scalar(self._lock):
                return 0  # another instance of this stage is publishing
            fetched = []
            heads: dict[tuple[str, bytes], int] = {}
            for batch_row in await conn.execute(self._pending_and_parked()):
                if batch_row.head:
                    heads[(batch_row.topic, batch_row.key)] = batch_row.id
                else:
                    fetched.append(batch_row)
            if not fetched:
                return 0
            fetched.sort(key=lambda pending_row: pending_row.id)  # a union keeps no order
            parked: dict[int, str] = {}
            # Waves: the n-th row of each topic and key goes in wave n. A wave is pipelined
            # (send() only queues; the futures are awaited together), and a key's next row is
            # sent only once its previous one is on the broker, so a row refused by the broker
            # is never overtaken by a later row of its dossier.
            waves: list[list[_Row]] = []
            seen: dict[tuple[str, bytes], int] = {}
            by_id = {r.id: r for r in fetched}
            for fetched_row in fetched:
                row = _Row(fetched_row.id, fetched_row.topic, fetched_row.key, fetched_row.value,
                           _decode_headers(fetched_row.headers))
                group = row.group
                if group is not None and group in heads and heads[group] < row.id:
                    parked[row.id] = behind(heads[group])
                    continue
                reason = unsendable(row.topic, record_size(row.key, row.value, row.headers)
                                    + _TRACE_HEADER_BYTES, self._limit)
                if reason:
                    parked[row.id] = reason
                    if group is not None:
                        heads[group] = row.id
                    continue
                wave = 0 if group is None else seen.get(group, 0)
                if group is not None:
                    seen[group] = wave + 1
                if wave == len(waves):
                    waves.append([])
                waves[wave].append(row)
            sent: list[int] = []
            try:
                for wave_rows in waves:
                    retry = await self._send_wave(wave_rows, heads, parked, sent, publishing)
                    if retry is not None:
                        break
            except BaseException as error:
                for span in publishing:
                    spans.fail(span, error)
                    span.end()
                spans.record_transaction(f"outbox {outbox.schema}", start_time=started,
                                         carried=publishing, error=error)
                raise
            if sent:
                await conn.execute(update(outbox).where(outbox.c.id.in_(sent))
                                   .values(sent_at=func.now()))
            if parked:
                await conn.execute(
                    update(outbox).where(outbox.c.id == bindparam("row_id"))
                    .values(parked_at=func.now(), park_reason=bindparam("reason")),
                    [{"row_id": row_id, "reason": reason} for row_id, reason in parked.items()])
        for row_id, reason in parked.items():
            record = by_id[row_id]
            log.warning("outbox row parked", service=self._service, row=row_id,
                        topic=record.topic,
                        key=record.key.decode(errors="replace") if record.key else None,
                        value_bytes=len(record.value), reason=reason)
        if parked:
            metrics.OUTBOX_PARKED.labels(self._service).inc(len(parked))
        spans.record_transaction(f"outbox {outbox.schema}", start_time=started,
                                 carried=publishing, rows=len(sent), parked=len(parked))
        if retry is not None:
            raise retry
        return len(sent) + len(parked)

    async def _send_wave(self, rows: list[_Row], heads: dict[tuple[str, bytes], int],
                         parked: dict[int, str], sent: list[int],
                         publishing: list[Span]) -> BaseException | None:
        """Send one wave; record each row as sent or parked. Returns the first retriable
        failure (the rest of the batch then waits), None when every row was settled."""
        queued: list[tuple[_Row, Span, asyncio.Future]] = []
        retry: BaseException | None = None
        for row in rows:
            group = row.group
            if group is not None and group in heads and heads[group] < row.id:
                parked[row.id] = behind(heads[group])  # its previous row was refused just now
                continue
            # One PRODUCER span per record, a child of the context the row stored; the record
            # carries the span's own context, so the consumer's span is the publish's child.
            span = spans.start_publish(row.topic, row.headers)
            publishing.append(span)
            try:
                delivery = await self._producer.send(
                    row.topic, row.value, key=row.key, headers=spans.with_trace_context(
                        row.headers, set_span_in_context(span)))
            except Exception as error:  # the producer refused it before queueing
                retry = self._settle(row, span, error, heads, parked)
                if retry is not None:
                    break
                continue
            queued.append((row, span, delivery))
        # Each record's own outcome: one refused record must not fail the others.
        results = await asyncio.gather(*(d for _, _, d in queued), return_exceptions=True)
        for (row, span, _), result in zip(queued, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                failed = self._settle(row, span, result, heads, parked)
                retry = retry or failed
            else:
                span.end()  # the broker has it: published
                sent.append(row.id)
        return retry

    def _settle(self, row: _Row, span: Span, error: BaseException,
                heads: dict[tuple[str, bytes], int], parked: dict[int, str]
                ) -> BaseException | None:
        reason = refusal(error)
        spans.fail(span, error)
        span.end()
        if reason is None:  # publishing failed: the row is retried
            log.warning("outbox row not sent; will retry", service=self._service, row=row.id,
                        topic=row.topic, error=f"{type(error).__name__}: {error}")
            return error
        parked[row.id] = reason
        if row.group is not None:
            heads[row.group] = min(heads.get(row.group, row.id), row.id)
        return None
