"""Running a stage service: the shared lifecycle every `__main__` calls into. Builds the engine,
the Kafka producer and relay, the batch consumer and the metrics endpoint; runs until SIGINT or
SIGTERM; then drains: lets the batch in hand finish (its transaction and its offset commit), takes
no new one, stores what the consumer deferred (and commits those offsets), stops consuming,
flushes the outbox, and closes connections in order.

Why the drain: FastStream's `broker.stop()` cancels the subscriber's consume task, and the
handler runs inside it, so a batch in flight would be cut mid-transaction or between the
database commit and the offset commit, and read again after the restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI
from faststream import BaseMiddleware, StreamMessage
from faststream.kafka import KafkaBroker
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_catalogue.calendar_source import CalendarSource
from motcua_catalogue.calendar_store import OverrideStore
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.dead_letter_desk import DeadLetterDesk
from motcua_runtime.gauges import GaugeWatch, OpenWork
from motcua_runtime.health import HealthCheck
from motcua_runtime.kafka import check_record_limit, create_producer
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Stage
from motcua_runtime.transport import kafka_broker_security
from motcua_telemetry.http import TracingMiddleware

log = structlog.get_logger(__name__)

# Builds the service's HTTP API, given sessions of its own pool and the relay to wake when a
# request wrote to the outbox.
ApiFactory = Callable[[async_sessionmaker[AsyncSession], OutboxRelay], FastAPI]
# Work a service runs beside its consumer until stop is set (intake's deadline watch).
Background = Callable[[AsyncEngine, OutboxRelay, asyncio.Event], Coroutine[Any, Any, None]]


DRAIN_SECONDS = 30.0  # at most this long for the batch in hand; below `motcua up`'s 40 s SIGKILL


class Drain:
    """Counts the batches being handled and, once closed, lets no new one start: a stopping
    service waits on `idle()` before it stops its consumer."""

    def __init__(self) -> None:
        self.closed = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def middleware(self, *args: object, **kwargs: object) -> BaseMiddleware:
        return _DrainMiddleware(self, *args, **kwargs)

    def close(self) -> None:
        self.closed = True

    async def idle(self, timeout: float = DRAIN_SECONDS) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def around(self, call_next: Callable[[object], Awaitable[object]], msg: object) -> object:
        if self.closed:
            # Fetched after the stop began: not handled, not committed; the next start (or
            # the member taking the partition) reads it again, as it would any uncommitted one.
            await asyncio.Event().wait()  # until broker.stop() cancels the consume task
        self._in_flight += 1
        self._idle.clear()
        try:
            return await call_next(msg)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()


class _DrainMiddleware(BaseMiddleware):
    def __init__(self, drain: Drain, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._drain = drain

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]],
                            msg: StreamMessage[Any]) -> Any:
        return await self._drain.around(call_next, msg)


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_stage(settings: ServiceSettings, stage: Stage, *,
                    api: ApiFactory | None = None, background: Background | None = None,
                    open_work: OpenWork | None = None, signer: Signer | None = None,
                    stop: asyncio.Event | None = None) -> None:
    """`open_work` is the query behind the open and overdue work gauges (gauges.py); `signer`
    replaces the instance's key from the registry (a read model that emits nothing has none)."""
    if stop is None:  # run as a process: SIGINT and SIGTERM stop it
        stop = asyncio.Event()
        stop_on_signals(stop)
    await check_record_limit(settings.kafka_bootstrap_servers,
                             (settings.dossier_topic, settings.dlq_topic))
    engine = create_engine(settings.database_url.get_secret_value())
    producer = create_producer(settings.kafka_bootstrap_servers, client_id=stage.name)
    relay = OutboxRelay(engine, stage.outbox, producer, batch_size=settings.relay_batch_size)
    drain = Drain()
    broker = KafkaBroker(settings.kafka_bootstrap_servers, client_id=stage.name,
                         logger=logging.getLogger(f"faststream.{stage.name}"),
                         request_timeout_ms=30_000, middlewares=[drain.middleware],
                         security=kafka_broker_security(settings.kafka_bootstrap_servers))
    processor = BatchProcessor(stage, engine, settings, relay, signer=signer)
    processor.subscribe(broker)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)

    await producer.start()
    relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
    extras = [asyncio.create_task(GaugeWatch(engine, stage.name, stage.outbox, open_work)
                                  .run(stop), name="gauges")]
    extras.append(asyncio.create_task(DeadLetterDesk(processor).run(stop), name="dead-letters"))
    if api and settings.http_port:
        extras.append(asyncio.create_task(serve_http(settings, api, relay, stop), name="http"))
    if background:
        extras.append(asyncio.create_task(background(engine, relay, stop), name="background"))
    try:
        # Joining the group can take a session timeout (docs/design.md); a stop meanwhile ends it.
        starting = asyncio.create_task(broker.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            starting.result()  # a start that failed says why
            log.info("service started", group=processor.group, topic=settings.dossier_topic,
                     metrics_port=settings.metrics_port)
            await stopping
    finally:
        log.info("service stopping")
        stop.set()  # also after a failed start: the loops beside the consumer wait on it
        drain.close()
        waited = time.perf_counter()
        if not await drain.idle():
            log.warning("the batch in hand did not finish in time; it will be read again",
                        waited_seconds=DRAIN_SECONDS)
        with contextlib.suppress(TimeoutError):  # too slow: read again at the next start
            await asyncio.wait_for(processor.close(), timeout=DRAIN_SECONDS)
        drained = time.perf_counter()
        await broker.stop()
        log.info("consumer stopped", drain_seconds=round(drained - waited, 2),
                 consumer_stop_seconds=round(time.perf_counter() - drained, 2))
        for task in extras:
            await task
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(relay.publish_batch(), timeout=5)  # what the last batch wrote
        await producer.stop()
        await engine.dispose()
        log.info("service stopped")


async def serve_http(settings: ServiceSettings, api: ApiFactory, relay: OutboxRelay,
                     stop: asyncio.Event) -> None:
    """Serve the API on its own connection pool until `stop` is set."""
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=10)
    app = api(async_sessionmaker(engine, expire_on_commit=False), relay)
    app.state.health = HealthCheck(engine, settings.kafka_bootstrap_servers)  # for /healthz
    app.add_middleware(TracingMiddleware)  # a SERVER span per request (motcua_telemetry.http)
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port or 0, log_config=None,
        access_log=False, lifespan="off"))
    # uvicorn (0.29 on) sets its own SIGINT/SIGTERM handlers while it serves and puts the
    # previous ones back after; stop_on_signals' handlers still run (the loop's wakeup fd).
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving
    await engine.dispose()


@contextlib.asynccontextmanager
async def live_calendar(settings: ServiceSettings) -> AsyncIterator[CalendarSource]:
    """The working calendar with the administrator's overrides, kept fresh for this process."""
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
    try:
        async with CalendarSource(OverrideStore(engine)) as source:
            yield source
    finally:
        await engine.dispose()
