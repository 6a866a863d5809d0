"""Putting the log back after the embedded broker lost it (memory storage: a crash or a new
`motcua up` starts it empty). Run once the topics exist again and before any service consumes:

1. every distinct record of the dossier topic and its dead-letter topic, from the archive
   (`audit.events`), in archive order, with its key and headers: a record's key gives it its
   partition again, and archive order is each partition's order, so every dossier's order holds.
   The archive may hold the same record twice (a relay's re-send, or copies at new offsets after
   an earlier restore); it goes back once. Each copy's new place is noted in `audit.restored`, so
   the archive consumer does not archive it a second time;
2. then every outbox row a relay sent that the archive never received (lost with the broker):
   `sha256(value)` not among the archive's `value_sha256`. They go out in the order they were
   sent (`sent_at` is the relay's transaction start, before the send, so an effect always
   comes after its cause, across outboxes too).

The consumer groups went with the broker, so every consumer reads the restored log from offset 0;
their inboxes turn what they had applied into no-ops.

A record larger than the record limit can be in the archive: the embedded broker enforces no
`max.message.bytes`, so an oversized record someone put on the topic was delivered, dead-lettered
by every consumer and archived. It goes back as it was (the auditors' replay must see the log it
saw), so the restore's producer allows the largest archived record; a broker that refuses one
all the same leaves it in the archive, counted, and the restore goes on: a restore that stops at
one record would leave the whole stack without its log."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_audit.orm import RESTORED
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import create_producer, max_message_bytes

log = structlog.get_logger(__name__)

# Every schema with an outbox (motcua_runtime.db.outbox_table); audit has none.
OUTBOX_SCHEMAS = ("intake", "appraisal", "approval", "signing", "delivery", "operations",
                  "portal")
_CHUNK = 2000
_DLQ_CONSUMER = "dlq_consumer"  # motcua_contracts.Headers.DLQ_CONSUMER
# What a request adds to its one record: the batch header, the key and the headers.
_REQUEST_OVERHEAD = 64 * 1024
_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError)


@dataclass(frozen=True)
class Restored:
    archived: int      # records read from the archive
    republished: int   # distinct archived records published again
    resent: int        # outbox rows the archive never confirmed, sent again
    seconds: float
    refused: int = 0   # archived records the broker refused as too large (still archived)

    def describe(self) -> str:
        refused = f", {self.refused} too large for the broker (kept in the archive)" \
            if self.refused else ""
        return (f"{self.republished} records from the archive ({self.archived - self.republished}"
                f" copies left out), {self.resent} unconfirmed outbox rows re-sent{refused}")


async def restore(database_url: str, bootstrap_servers: str, topics: Sequence[str], *,
                  schemas: Sequence[str] = OUTBOX_SCHEMAS) -> Restored:
    """Publish the archive and the unconfirmed outbox rows to the (empty) `topics`."""
    started = asyncio.get_running_loop().time()
    engine = create_engine(database_url)
    try:
        largest = await _largest_archived(engine, list(topics))
        producer = create_producer(bootstrap_servers, client_id="motcua-restore",
                                   max_record_bytes=max(max_message_bytes(),
                                                        largest + _REQUEST_OVERHEAD))
        await producer.start()
        try:
            archived, republished, refused = await _republish_archive(engine, producer,
                                                                      list(topics))
            resent = await _resend_unconfirmed(engine, producer, list(topics), schemas)
        finally:
            await producer.stop()
    finally:
        await engine.dispose()
    result = Restored(archived, republished, resent,
                      asyncio.get_running_loop().time() - started, refused)
    log.info("log restored", archived=archived, republished=republished, resent=resent,
             refused=refused, seconds=round(result.seconds, 2))
    return result


async def _largest_archived(engine: AsyncEngine, topics: list[str]) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text(
            "SELECT coalesce(max(octet_length(value)), 0) FROM audit.events "
            "WHERE topic = ANY(:topics)"), {"topics": topics}) or 0


def _identity(topic: str, value_sha256: bytes, headers: list) -> tuple[str, bytes, str | None]:
    """Which archived records are one record: the same bytes on the same topic. A dead letter
    of the same bytes from another consumer is another record (its reason is its own); other
    headers (the relay's trace context) differ between copies of one record."""
    consumer = next((value for name, value in headers if name == _DLQ_CONSUMER), None)
    return topic, bytes(value_sha256), consumer


async def _republish_archive(engine: AsyncEngine, producer: object,
                             topics: list[str]) -> tuple[int, int, int]:
    seen: set[tuple[str, bytes, str | None]] = set()
    archived = republished = refused = 0
    async with engine.connect() as reader:
        result = await reader.stream(text(
            'SELECT id, topic, key, value, value_sha256, headers FROM audit.events '
            'WHERE topic = ANY(:topics) ORDER BY id'), {"topics": topics})
        async for rows in result.partitions(_CHUNK):
            archived += len(rows)
            fresh = []
            for row in rows:
                identity = _identity(row.topic, row.value_sha256, row.headers)
                if identity not in seen:
                    seen.add(identity)
                    fresh.append(row)
            places = await _publish(producer, [
                (row.topic, row.key, row.value, row.headers) for row in fresh])
            landed = [(row, place) for row, place in zip(fresh, places, strict=True)
                      if place is not None]
            for row, place in zip(fresh, places, strict=True):
                if place is None:
                    log.warning("archived record too large for the broker, left in the archive",
                                archived_id=row.id, topic=row.topic,
                                bytes=len(row.value))
            if landed:
                async with engine.begin() as writer:
                    await writer.execute(insert(RESTORED).on_conflict_do_nothing(), [
                        {"topic": row.topic, "partition": partition, "offset": offset,
                         "value_sha256": row.value_sha256, "archived_id": row.id}
                        for row, (partition, offset) in landed])
            republished += len(landed)
            refused += len(fresh) - len(landed)
    return archived, republished, refused


async def _resend_unconfirmed(engine: AsyncEngine, producer: object, topics: list[str],
                              schemas: Sequence[str]) -> int:
    async with engine.connect() as connection:
        present = [schema for schema in schemas if await connection.scalar(
            text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{schema}.outbox"})]
        if not present:
            return 0
        # Each schema's rows in its own id order, all of them interleaved by the time they
        # were sent. The anti-join hashes the archive's digests once.
        union = " UNION ALL ".join(
            f"SELECT sent_at, {index} AS outbox, id, topic, key, value, headers "
            f"FROM {schema}.outbox o WHERE sent_at IS NOT NULL AND parked_at IS NULL "
            f"AND topic = ANY(:topics) AND NOT EXISTS (SELECT 1 FROM audit.events e "
            f"WHERE e.topic = o.topic AND e.value_sha256 = sha256(o.value))"
            for index, schema in enumerate(present))
        rows = (await connection.execute(
            text(f"SELECT * FROM ({union}) unconfirmed ORDER BY sent_at, outbox, id"),
            {"topics": topics})).all()
    for start in range(0, len(rows), _CHUNK):
        await _publish(producer, [(row.topic, row.key, row.value, row.headers)
                                  for row in rows[start:start + _CHUNK]])
    return len(rows)


async def _publish(producer: object, records: list[tuple[str, bytes | None, bytes, list]]
                   ) -> list[tuple[int, int] | None]:
    """Send in order without waiting for each (the producer keeps each partition's order);
    returns where each landed, None for a record refused as too large. Any other failure
    raises: the supervisor tries the whole restore again."""
    deliveries: list[asyncio.Future | BaseException] = []
    for topic, key, value, headers in records:
        try:
            deliveries.append(await producer.send(  # type: ignore[attr-defined]
                topic, value, key=key,
                headers=[(name, base64.b64decode(data)) for name, data in headers]))
        except _TOO_LARGE as error:
            deliveries.append(error)
    outcomes = await asyncio.gather(*(d for d in deliveries if isinstance(d, asyncio.Future)),
                                    return_exceptions=True)
    sent = iter(outcomes)
    places: list[tuple[int, int] | None] = []
    for delivery in deliveries:
        outcome = next(sent) if isinstance(delivery, asyncio.Future) else delivery
        if isinstance(outcome, _TOO_LARGE):
            places.append(None)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            places.append((outcome.partition, outcome.offset))
    return places
