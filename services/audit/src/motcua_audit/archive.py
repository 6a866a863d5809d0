"""The archive consumer: reads every record of the dossier topic and its dead-letter topic (its
own consumer group, `audit`) and stores each one as received, bytes and headers untouched, then
commits the offsets. It verifies nothing: the archive is the evidence, the replay the judge."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_audit import STAGE
from motcua_audit.orm import EVENTS, RESTORED
from motcua_runtime import metrics
from motcua_runtime.assignment import AssignmentGauge
from motcua_runtime.kafka import fetch_limits, group_timing
from motcua_runtime.transport import kafka_client_options

log = structlog.get_logger(__name__)


def row_of(record: ConsumerRecord) -> dict[str, object]:
    value = record.value or b""
    return {
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
        "key": record.key, "value": value, "value_sha256": hashlib.sha256(value).digest(),
        "headers": [[name, base64.b64encode(data or b"").decode()]
                    for name, data in record.headers],
        "broker_timestamp": (datetime.fromtimestamp(record.timestamp / 1000, timezone.utc)
                             if record.timestamp and record.timestamp > 0 else None),
    }


async def store(engine: AsyncEngine, records: Sequence[ConsumerRecord]) -> int:
    """Insert the records in arrival order; a redelivered one is already there and skipped
    (ON CONFLICT DO NOTHING is an insert that does nothing: the append-only triggers allow it),
    and so is a restore's copy, found at its place with its bytes in `audit.restored`. Returns
    how many were archived now: the skipped ones are not counted as handled (after a restore,
    the whole log is offered again and the wallboard would show it archived a second time)."""
    rows = [row_of(record) for record in records]
    async with engine.begin() as connection:
        # A restore's copies of archived records (motcua_audit.restore) are archived already.
        places = [(row["topic"], row["partition"], row["offset"]) for row in rows]
        restored = set((await connection.execute(
            select(RESTORED.c.topic, RESTORED.c.partition, RESTORED.c.offset,
                   RESTORED.c.value_sha256)
            .where(tuple_(RESTORED.c.topic, RESTORED.c.partition, RESTORED.c.offset)
                   .in_(places)))).all())
        rows = [row for row in rows if (row["topic"], row["partition"], row["offset"],
                                        row["value_sha256"]) not in restored]
        if not rows:
            return 0
        stored = await connection.execute(
            insert(EVENTS).on_conflict_do_nothing(constraint="events_record_once")
            .returning(EVENTS.c.id), rows)
        return len(stored.all())


def create_consumer(bootstrap_servers: str, group: str = STAGE) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, client_id=STAGE, group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # the embedded broker's "latest" is wrong (docs/design.md)
        request_timeout_ms=30_000, **group_timing(),
        **fetch_limits(), **kafka_client_options(bootstrap_servers))


async def archive(consumer: AIOKafkaConsumer, engine: AsyncEngine, topics: list[str],
                  stop: asyncio.Event, *, batch_max_records: int = 2000) -> None:
    """Consume `topics` into the archive until `stop` is set. Offsets are committed only after
    the records are stored, so a crash archives them again (and the insert skips the copies)."""
    lag = metrics.ConsumerLag(STAGE, STAGE)  # the archive's group (create_consumer)
    consumer.subscribe(topics, listener=AssignmentGauge(STAGE, lag))
    archived = metrics.EVENTS_HANDLED.labels(STAGE, "archived")
    suppressed = metrics.REDELIVERIES_SUPPRESSED.labels(STAGE)  # held already: not again
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=500, max_records=batch_max_records)
        records = [record for part in batches.values() for record in part]
        if not records:
            continue
        backoff = 0.2
        while True:
            try:
                fresh = await store(engine, records)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.BATCH_RETRIES.labels(STAGE).inc()
                log.exception("archiving failed; retrying the same records",
                              retry_in_seconds=backoff, records=len(records))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        await consumer.commit()
        archived.inc(fresh)
        suppressed.inc(len(records) - fresh)
        await lag.update(consumer)
