"""Running a stage service: the shared lifecycle every `__main__` calls into. Builds the engine,
the Kafka producer and relay, the batch consumer and the metrics endpoint; runs until SIGINT or
SIGTERM; then stops consuming first, flushes the outbox, and closes connections in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

import structlog
from faststream.kafka import KafkaBroker
from prometheus_client import start_http_server

from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import create_producer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Stage

log = structlog.get_logger(__name__)

# Extra work a service runs beside its consumer (intake's HTTP server), given the relay and the
# stop signal.
Companion = Callable[[OutboxRelay, asyncio.Event], Awaitable[None]]


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_stage(settings: ServiceSettings, stage: Stage, *,
                    companion: Companion | None = None,
                    stop: asyncio.Event | None = None) -> None:
    if stop is None:  # run as a process: SIGINT and SIGTERM stop it
        stop = asyncio.Event()
        stop_on_signals(stop)
    engine = create_engine(settings.database_url.get_secret_value())
    producer = create_producer(settings.kafka_bootstrap_servers, client_id=stage.name)
    relay = OutboxRelay(engine, stage.outbox, producer, batch_size=settings.relay_batch_size)
    broker = KafkaBroker(settings.kafka_bootstrap_servers, client_id=stage.name,
                         logger=logging.getLogger(f"faststream.{stage.name}"),
                         request_timeout_ms=30_000)
    processor = BatchProcessor(stage, engine, settings, relay)
    processor.subscribe(broker)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)

    await producer.start()
    relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
    companion_task = (asyncio.create_task(companion(relay, stop), name="companion")
                      if companion else None)
    await broker.start()
    log.info("service started", group=processor.group, topic=settings.dossier_topic,
             metrics_port=settings.metrics_port)
    try:
        await stop.wait()
    finally:
        log.info("service stopping")
        await broker.stop()
        if companion_task:
            await companion_task
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(relay.publish_batch(), timeout=5)  # what the last batch wrote
        await producer.stop()
        await engine.dispose()
        log.info("service stopped")
