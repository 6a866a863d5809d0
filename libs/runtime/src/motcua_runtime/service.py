"""Running a stage service: the shared lifecycle every `__main__` calls into. Builds the engine,
the Kafka producer and relay, the batch consumer and the metrics endpoint; runs until SIGINT or
SIGTERM; then stops consuming first, flushes the outbox, and closes connections in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from faststream.kafka import KafkaBroker
from prometheus_client import start_http_server

from motcua_catalogue.calendar_source import CalendarSource
from motcua_catalogue.calendar_store import OverrideStore
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.gauges import GaugeWatch, OpenWork
from motcua_runtime.kafka import create_producer
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Stage
from motcua_telemetry.http import TracingMiddleware

log = structlog.get_logger(__name__)

# Builds the service's HTTP API, given sessions of its own pool and the relay to wake when a
# request wrote to the outbox.
ApiFactory = Callable[[async_sessionmaker[AsyncSession], OutboxRelay], FastAPI]
# Work a service runs beside its consumer until stop is set (intake's deadline watch).
Background = Callable[[AsyncEngine, OutboxRelay, asyncio.Event], Awaitable[None]]


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
    engine = create_engine(settings.database_url.get_secret_value())
    producer = create_producer(settings.kafka_bootstrap_servers, client_id=stage.name)
    relay = OutboxRelay(engine, stage.outbox, producer, batch_size=settings.relay_batch_size)
    broker = KafkaBroker(settings.kafka_bootstrap_servers, client_id=stage.name,
                         logger=logging.getLogger(f"faststream.{stage.name}"),
                         request_timeout_ms=30_000)
    processor = BatchProcessor(stage, engine, settings, relay, signer=signer)
    processor.subscribe(broker)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)

    await producer.start()
    relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
    extras = [asyncio.create_task(GaugeWatch(engine, stage.name, stage.outbox, open_work)
                                  .run(stop), name="gauges")]
    if api and settings.http_port:
        extras.append(asyncio.create_task(serve_http(settings, api, relay, stop), name="http"))
    if background:
        extras.append(asyncio.create_task(background(engine, relay, stop), name="background"))
    await broker.start()
    log.info("service started", group=processor.group, topic=settings.dossier_topic,
             metrics_port=settings.metrics_port)
    try:
        await stop.wait()
    finally:
        log.info("service stopping")
        await broker.stop()
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
    app.add_middleware(TracingMiddleware)  # a SERVER span per request (motcua_telemetry.http)
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port or 0, log_config=None,
        access_log=False, lifespan="off"))
    server.install_signal_handlers = lambda: None  # run_stage owns SIGINT/SIGTERM
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
