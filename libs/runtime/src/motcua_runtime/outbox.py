"""The transactional outbox: rows written in the same transaction as a stage's state change, and
the relay that publishes them to Kafka afterwards.

A crash after the commit and before the send leaves the rows unsent: the relay sends them on the
next start. A crash after the send and before `sent_at` is stamped sends them again; consumers
drop the copy by its event id (inbox), so effects happen once."""

from __future__ import annotations

import asyncio
import base64
import zlib
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span, set_span_in_context
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_contracts import Event, headers_for
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
        return {
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
            "headers": [[name, base64.b64encode(value).decode()] for name, value in self.headers],
        }


def _decode_headers(stored: list[list[str]]) -> list[tuple[str, bytes]]:
    return [(name, base64.b64decode(value)) for name, value in stored]


class OutboxRelay:
    """Publishes a stage's outbox in id order, a batch at a time, without waiting for each send.

    Several instances of a stage share one outbox; a transaction-scoped advisory lock lets one
    relay publish at a time, which keeps each dossier's events in the order they were written."""

    def __init__(self, engine: AsyncEngine, outbox: Table, producer: AIOKafkaProducer,
                 *, batch_size: int = 500, idle_poll_seconds: float = 0.5) -> None:
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._lock_key = zlib.crc32(f"motcua.outbox.{outbox.schema}".encode())
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without polling delay."""
        self._wakeup.set()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                while await self.publish_batch() == self._batch_size:
                    pass
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", retry_in_seconds=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._idle_poll)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def publish_batch(self) -> int:
        """Send up to one batch of unsent rows and mark them sent; returns how many were sent."""
        outbox = self._outbox
        started = spans.now()
        async with self._engine.begin() as conn:
            if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key))):
                return 0  # another instance of this stage is publishing
            rows = (await conn.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers)
                .where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(self._batch_size)
            )).all()
            if not rows:
                return 0
            # One PRODUCER span per record, a child of the context the row stored; the record
            # carries the span's own context, so the consumer's span is the publish's child.
            publishing: list[Span] = []
            try:
                # send() only queues the record; awaiting every delivery future together lets
                # the producer pipeline the batch. Each record keeps its key, so its partition.
                deliveries = []
                for row in rows:
                    headers = _decode_headers(row.headers)
                    publishing.append(spans.start_publish(row.topic, headers))
                    deliveries.append(await self._producer.send(
                        row.topic, row.value, key=row.key, headers=spans.with_trace_context(
                            headers, set_span_in_context(publishing[-1]))))
                await asyncio.gather(*deliveries)
            except BaseException as error:
                for span in publishing:
                    spans.fail(span, error)
                    span.end()
                spans.record_transaction(f"outbox {outbox.schema}", start_time=started,
                                         carried=publishing, error=error)
                raise
            for span in publishing:
                span.end()  # the broker has them: published
            await conn.execute(
                update(outbox).where(outbox.c.id.in_([row.id for row in rows]))
                .values(sent_at=func.now())
            )
        spans.record_transaction(f"outbox {outbox.schema}", start_time=started,
                                 carried=publishing, rows=len(rows))
        return len(rows)
