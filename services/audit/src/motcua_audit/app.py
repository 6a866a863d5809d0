"""The audit archive's composition root: engine, consumer, metrics; runs until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

import structlog
from prometheus_client import start_http_server

from motcua_audit.archive import archive, create_consumer
from motcua_audit.settings import AuditSettings
from motcua_runtime.db import create_engine
from motcua_runtime.service import stop_on_signals

log = structlog.get_logger(__name__)


async def run(settings: AuditSettings, stop: asyncio.Event | None = None) -> None:
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    engine = create_engine(settings.database_url.get_secret_value())
    consumer = create_consumer(settings.kafka_bootstrap_servers)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    topics = [settings.dossier_topic, settings.dlq_topic]
    await consumer.start()
    log.info("audit archive started", topics=topics)
    try:
        await archive(consumer, engine, topics, stop,
                      batch_max_records=settings.batch_max_records)
    finally:
        await consumer.stop()
        await engine.dispose()
        log.info("audit archive stopped")
