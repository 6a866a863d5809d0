"""Pooled connections that Postgres dropped (a restart, an administrator's kill, an idle timeout)
cost a retry, never a batch. The pool no longer pings at every checkout (motcua_runtime.db,
`ping_after_idle`): a connection in steady use is found dead by the batch's first statement and
the consumer applies the batch again on a fresh one; an idle one is pinged and replaced before
it is used. Real Postgres; the connections are killed with `pg_terminate_backend`."""

from __future__ import annotations

import base64
from functools import partial

from prometheus_client import REGISTRY
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from motcua_appraisal.orm import INBOX, OUTBOX, WorkItem
from motcua_appraisal.settings import AppraisalSettings
from motcua_contracts import Headers
from motcua_contracts.appraisal import DossierAppraised
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine, engine_url, ping_after_idle
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.stage import Stage
from motcua_runtime.work_items import WorkItems, take_over
from tests.runtime.test_redelivery import accepted_event
from tests.runtime.test_rejection import record_of


def appraise(event, items, emitter) -> None:
    take_over(items, WorkItem, event, event.dossier, "appraisal")
    for recommendation in ("approve", "deny"):  # two rows of the outbox per event, in order
        emitter.emit(DossierAppraised, cause=event, dossier=event.dossier,
                     recommendation=recommendation, findings="ok")


async def kill_other_connections(database_url: str) -> int:
    """Terminate every other client connection to this database, as a Postgres restart does
    (client backends only: an autovacuum worker on the database would be counted too)."""
    killer = create_async_engine(engine_url(database_url), poolclass=NullPool)
    try:
        async with killer.connect() as connection:
            killed = await connection.scalar(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"))
    finally:
        await killer.dispose()
    return int(killed or 0)


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


def retries() -> float:
    return REGISTRY.get_sample_value("motcua_batch_retries_total", {"service": "appraisal"}) or 0.0


async def test_a_batch_on_a_killed_connection_is_applied_on_the_retry(infra):
    database_url, topic = await infra.isolated("dropped")
    first, second = accepted_event(), accepted_event()
    stage = Stage(name="appraisal", outbox=OUTBOX, inbox=INBOX,
                  handlers={"DossierAccepted": appraise},
                  open_repository=partial(WorkItems, model=WorkItem))
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0)
    engine = create_engine(database_url)
    try:
        processor = BatchProcessor(stage, engine, settings, OutboxRelay(engine, OUTBOX, None))
        await processor.process((record_of(first, 0),))  # the pool now holds a connection
        pid = await backend_pid(engine)
        assert await kill_other_connections(database_url) >= 1
        before = retries()
        await processor.process((record_of(second, 1),))
        # Its first attempt met the dead connection (no ping hid it), the retry applied it.
        assert retries() == before + 1
        assert await backend_pid(engine) != pid
        async with engine.connect() as connection:
            items = set((await connection.scalars(select(WorkItem.dossier_id))).all())
            outbox = (await connection.execute(
                select(OUTBOX.c.key, OUTBOX.c.value, OUTBOX.c.headers).order_by(OUTBOX.c.id)
            )).all()
    finally:
        await engine.dispose()
    assert items == {first.dossier_id, second.dossier_id}
    # Each batch's rows (one statement of arrays) in the order emitted, bytes and headers exact.
    assert [row.key for row in outbox] == [str(first.dossier_id).encode()] * 2 + [
        str(second.dossier_id).encode()] * 2
    emitted = [DossierAppraised.model_validate_json(row.value) for row in outbox]
    assert [e.recommendation for e in emitted] == ["approve", "deny"] * 2
    for row, appraised in zip(outbox, emitted, strict=True):
        headers = {name: base64.b64decode(value).decode() for name, value in row.headers}
        assert headers[Headers.EVENT_ID] == str(appraised.event_id)
        assert headers[Headers.TYPE] == "DossierAppraised"


async def test_an_idle_connection_is_pinged_and_replaced_before_use(infra):
    database_url, _ = await infra.isolated("idle_ping")
    engine = create_async_engine(engine_url(database_url), pool_size=1, max_overflow=0)
    ping_after_idle(engine, 0.0)  # every checkout counts as after an idle spell
    try:
        pid = await backend_pid(engine)
        assert await kill_other_connections(database_url) == 1
        # No error: the ping at checkout found it dead and the pool connected again.
        assert await backend_pid(engine) != pid
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(infra):
    database_url, _ = await infra.isolated("no_ping")
    engine = create_engine(database_url)
    statements: list[str] = []
    try:
        await backend_pid(engine)
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def seen(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        pings: list[object] = []
        original = engine.sync_engine.dialect.do_ping
        engine.sync_engine.dialect.do_ping = lambda c: pings.append(c) or original(c)
        await backend_pid(engine)
    finally:
        await engine.dispose()
    assert pings == []
    assert statements == ["SELECT pg_backend_pid()"]
