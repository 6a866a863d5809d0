"""The audit archive on real Postgres and the real broker: every record stored as received, once,
and the table refuses UPDATE, DELETE and TRUNCATE whoever asks."""

from __future__ import annotations

import asyncio
import base64

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from motcua_audit.archive import archive, create_consumer, store
from motcua_audit.orm import EVENTS
from motcua_contracts import DLQ_SUFFIX
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import create_producer
from tests.support import read_topic


def counted() -> tuple[float, float]:
    """The archive's events handled (archived) and redeliveries suppressed, so far."""
    return (REGISTRY.get_sample_value("motcua_events_handled_total",
                                      {"service": "audit", "type": "archived"}) or 0.0,
            REGISTRY.get_sample_value("motcua_redeliveries_suppressed_total",
                                      {"service": "audit"}) or 0.0)


async def test_every_record_is_archived_as_received_once_even_when_redelivered(infra):
    database_url, topic = await infra.isolated("archive")
    sent = [(b"dossier-1", '{"type": "DossierSubmitted", "note": "Lào Cai"}'.encode(),
             [("type", b"DossierSubmitted"), ("agency", b"STP")]),
            (b"dossier-2", b"{not json", []),
            (None, b"", [("empty", b"")])]
    producer = create_producer(infra.bootstrap_servers, "archive-test")
    await producer.start()
    try:
        for key, value, headers in sent:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
        await producer.send_and_wait(topic + DLQ_SUFFIX, b"dead", key=b"dossier-2",
                                     headers=[("dlq_reason", b"invalid")])
    finally:
        await producer.stop()
    engine = create_engine(database_url)
    try:
        stop = asyncio.Event()
        consumer = create_consumer(infra.bootstrap_servers)
        await consumer.start()
        task = asyncio.create_task(archive(consumer, engine, [topic, topic + DLQ_SUFFIX], stop))
        for _ in range(300):
            async with engine.connect() as connection:
                if await connection.scalar(select(func.count()).select_from(EVENTS)) >= 4:
                    break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        await consumer.stop()
        # Read again from offset 0 by a new group (as after a broker restore): nothing is
        # stored, and nothing counts as archived, only as redeliveries suppressed.
        archived, suppressed = counted()
        again, stop = create_consumer(infra.bootstrap_servers, group="audit-again"), \
            asyncio.Event()
        await again.start()
        task = asyncio.create_task(archive(again, engine, [topic, topic + DLQ_SUFFIX], stop))
        for _ in range(300):
            if counted()[1] >= suppressed + 4:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        await again.stop()
        assert counted() == (archived, suppressed + 4)
        # Redelivered after a crash before the offset commit: stored again, kept once.
        await store(engine, await read_topic(infra.bootstrap_servers, topic, quiet_seconds=0.5))
        async with engine.connect() as connection:
            rows = (await connection.execute(
                select(EVENTS.c.topic, EVENTS.c.key, EVENTS.c.value, EVENTS.c.headers)
                .order_by(EVENTS.c.topic, EVENTS.c.offset))).all()
    finally:
        await engine.dispose()
    main = {(r.key, r.value): r.headers for r in rows if r.topic == topic}
    assert len(main) == len(rows) - 1 == 3  # each record once, though stored twice
    assert main.keys() == {(key, value) for key, value, _ in sent}
    assert main[sent[0][0], sent[0][1]] == [[name, base64.b64encode(value).decode()]
                                            for name, value in sent[0][2]]
    assert [(r.key, r.value) for r in rows if r.topic == topic + DLQ_SUFFIX] == \
        [(b"dossier-2", b"dead")]


@pytest.mark.parametrize("statement", [
    "UPDATE audit.events SET value = 'forged'",
    "DELETE FROM audit.events",
    "TRUNCATE audit.events",
])
async def test_the_archive_refuses_to_change_or_lose_a_record(infra, statement):
    database_url, _ = await infra.isolated("appendonly")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(EVENTS.insert().values(
                topic="t", partition=0, offset=0, key=b"k", value=b"v", value_sha256=b"h",
                headers=[]))
        with pytest.raises(DBAPIError, match="audit.events is append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT value FROM audit.events"))).all() \
                == [(b"v",)]
    finally:
        await engine.dispose()
