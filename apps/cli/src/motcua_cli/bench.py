"""`motcua bench`: how many dossiers per second the running stack carries from submission to
delivery. Publishes N `DossierSubmitted` events straight onto the topic, as a portal may, and
reads the topic until every one has its `ResultDelivered`. Reports throughput, end-to-end
latency percentiles and the services' memory."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import datetime, timezone

import psutil
from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.keys import privacy_master_key
from motcua_cli.samples import sample_submission
from motcua_cli.stackfile import Stack
from motcua_contracts import Headers, new_event, uuid7
from motcua_contracts.dossier import Applicant, DeliveryChoice, Document
from motcua_contracts.intake import DossierSubmitted
from motcua_intake.domain import dossier_code
from motcua_privacy import DOSSIER_KEYS, Keyring, new_data_key, wrap
from motcua_runtime.db import engine_url
from motcua_runtime.kafka import create_producer
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutgoingMessage
from motcua_runtime.transport import kafka_client_options


def _submissions(count: int, seed: int, signer: Signer,
                 keys: Keyring | None = None) -> list[DossierSubmitted]:
    """`keys` receives each dossier's new data key (the personal values are sealed under it;
    `bench` stores them in the key store, as intake would)."""
    keys = Keyring() if keys is None else keys
    catalogue = default_catalogue()
    procedures = [p.model_dump() for p in catalogue.procedures.values()]
    rng = random.Random(seed)
    today = datetime.now(timezone.utc)
    run = int(time.time()) % 100_000  # keeps this run's codes apart from earlier runs'
    events = []
    for number in range(count):
        body = sample_submission(rng.choice(procedures), rng)
        agency = catalogue.agencies[catalogue.procedures[body["procedure_code"]].agency]
        dossier_id = uuid7()
        keys.keys[dossier_id] = new_data_key()
        delivery = body["delivery"]
        events.append(new_event(
            DossierSubmitted, dossier_id=dossier_id, agency=agency.code,
            # Signed with intake's key: the portal files through intake, and consumers act only
            # on events from a key entitled to emit them.
            producer=signer.producer, sign=signer.sign, actor="portal",
            # Counters far above a day's intake, so they never meet the codes intake gives.
            code=dossier_code(agency.electronic_id, today.date(), (run * 10_000 + number) * 10),
            procedure_code=body["procedure_code"], channel=body["channel"],
            applicant=keys.seal(dossier_id, Applicant(**body["applicant"]).model_dump(mode="json")),
            documents=[Document(**d) for d in body["documents"]],
            delivery=DeliveryChoice(channel=delivery["channel"], address=keys.seal(
                dossier_id, delivery["address"]) if delivery.get("address") else None),
            data=keys.seal(dossier_id, body["data"]), received_at=today,
            # Paid when filing, as the samples are: a bench dossier never waits on its applicant.
            fees_paid=body["fees_paid"]))
    return events


async def _store_keys(stack: Stack, keys: Keyring) -> None:
    """The bench's dossiers' data keys, in the key store as intake writes them."""
    if not stack.database_url:
        raise SystemExit("the stack file names no database: the bench's data keys have nowhere "
                         "to go")
    master = privacy_master_key()
    engine = create_async_engine(engine_url(stack.database_url))
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(DOSSIER_KEYS), [
                {"dossier_id": dossier_id, "created_at": datetime.now(timezone.utc),
                 "wrapped_key": wrap(master, dossier_id, key)}
                for dossier_id, key in keys.keys.items()])
    finally:
        await engine.dispose()


async def bench(stack: Stack, topic: str, count: int, *, signer: Signer, seed: int = 1,
                timeout: float = 900) -> dict[str, float]:
    keys = Keyring()
    events = _submissions(count, seed, signer, keys)
    await _store_keys(stack, keys)
    wanted = {str(e.dossier_id) for e in events}
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.kafka_bootstrap_servers,
                                group_id=f"bench-{uuid7()}", auto_offset_reset="earliest",
                                enable_auto_commit=False,
                                **kafka_client_options(stack.kafka_bootstrap_servers))
    await consumer.start()
    producer = create_producer(stack.kafka_bootstrap_servers, "bench")
    await producer.start()
    delivered: dict[str, float] = {}
    events_seen = 0  # of the bench's dossiers, on the topic: the path length varies (fees,
    # consultation, postal delivery)
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        started = time.monotonic()
        sent_at: dict[str, float] = {}
        deliveries = []
        for event in events:
            message = OutgoingMessage.for_event(topic, event)
            sent_at[str(event.dossier_id)] = time.monotonic()
            deliveries.append(await producer.send(topic, message.value, key=message.key,
                                                  headers=message.headers))
        await asyncio.gather(*deliveries)
        published = time.monotonic() - started
        deadline = started + timeout
        while len(delivered) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in records:
                    headers = dict(record.headers)
                    dossier = headers.get(Headers.DOSSIER_ID, b"").decode()
                    events_seen += dossier in wanted
                    if headers.get(Headers.TYPE) == b"ResultDelivered" and dossier in wanted:
                        delivered.setdefault(dossier, time.monotonic())
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
        await consumer.stop()
    latencies = sorted(delivered[d] - sent_at[d] for d in delivered)
    memory = {name: psutil.Process(int(info["pid"])).memory_info().rss / 2**20
              for name, info in stack.services.items() if psutil.pid_exists(int(info["pid"]))}
    return {
        "dossiers": count,
        "delivered": len(delivered),
        "seconds": round(elapsed, 2),
        "publish_seconds": round(published, 2),
        "dossiers_per_second": round(len(delivered) / elapsed, 1),
        "events": events_seen,
        "events_per_second": round(events_seen / elapsed, 1),
        "latency_p50_seconds": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_seconds": (round(latencies[int(len(latencies) * 0.95) - 1], 2)
                                if latencies else None),
        "max_service_rss_mib": round(max(memory.values()), 1) if memory else None,
    }


def show(result: dict[str, float]) -> None:
    table = Table(title="motcua bench: submission to delivery")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
