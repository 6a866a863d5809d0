"""`motcua bench`: how many dossiers per second the stack carries from submission to delivery.

The entry path is the national portal's topic contract: N `DossierSubmitted` events, signed with
intake's key, published straight onto the dossier topic (HTTP filing adds intake's API in front;
`motcua demo` drives that path). The bench reads the topic until every one has its
`ResultDelivered`, either offering all N at once (closed loop: the stack's maximum throughput)
or at a fixed rate (`rate`: open loop, the latency at that load). Beside it, it samples the
stack's processes and backlog (bench_probes) and, on the same broker and database, measures
the ceiling: raw produce+consume of records the pipeline's size and Postgres commits/s."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli import CONSUMERS
from motcua_cli.bench_probes import (
    BacklogProbe,
    ProcessProbe,
    broker_ceiling,
    percentile,
    postgres_ceiling,
)
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


ENTRY = ("topic: DossierSubmitted signed with intake's key, published onto the dossier topic "
         "as the national portal files")
SAMPLE_SECONDS = 1.0


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


async def _open_engine(stack: Stack) -> Any:
    return create_async_engine(engine_url(stack.database_url)) if stack.database_url else None


def _pids(stack: Stack) -> dict[str, int]:
    """Every process of the stack the bench can see, and the bench itself."""
    pids = {name: int(info["pid"]) for name, info in stack.services.items()  # type: ignore[call-overload]
            if info.get("pid")}
    pids |= {name: int(info["pid"]) for name, info in stack.infrastructure.items()  # type: ignore[call-overload]
             if info.get("pid")}
    pids["bench"] = os.getpid()
    return pids


async def bench(stack: Stack, topic: str, count: int, *, signer: Signer, seed: int = 1,
                timeout: float = 900, rate: float | None = None, ceiling: bool = True,
                instances: dict[str, int] | None = None,
                settle_timeout: float = 300) -> dict[str, Any]:
    """Run `count` dossiers through the stack; the figures (the JSON `motcua bench` writes)."""
    keys = Keyring()
    events = _submissions(count, seed, signer, keys)
    await _store_keys(stack, keys)
    wanted = {str(e.dossier_id) for e in events}
    servers = stack.kafka_bootstrap_servers or ""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers,
                                group_id=f"bench-{uuid7()}", auto_offset_reset="latest",
                                enable_auto_commit=False, **kafka_client_options(servers))
    await consumer.start()
    producer = create_producer(servers, "bench")
    await producer.start()
    engine = await _open_engine(stack)
    processes = ProcessProbe(_pids(stack))
    groups = [name for name, info in stack.services.items()
              if str(info.get("stage") or name.partition(".")[0]) in CONSUMERS]
    backlog = BacklogProbe(engine, servers, topic, groups)
    sent_at: dict[str, float] = {}  # wall clock: the records' timestamps are too
    delivered: dict[str, float] = {}
    seen: dict[str, list[tuple[int, str]]] = defaultdict(list)  # dossier: (timestamp ms, type)
    arrivals: list[float] = []  # when each of the bench's dossiers' events was read
    record_bytes: list[int] = []
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        for partition in consumer.assignment():  # from now on: the topic's history is not ours
            await consumer.position(partition)
        await backlog.start()
        processes.start()
        started_wall, started = time.time(), time.monotonic()

        async def publish() -> float:
            deliveries = []
            for number, event in enumerate(events):
                if rate:
                    await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
                message = OutgoingMessage.for_event(topic, event)
                sent_at[str(event.dossier_id)] = time.time()
                deliveries.append(await producer.send(topic, message.value, key=message.key,
                                                      headers=message.headers))
            await asyncio.gather(*deliveries)
            return time.monotonic() - started

        async def sample() -> None:
            while True:
                await asyncio.sleep(SAMPLE_SECONDS)
                processes.sample()
                with contextlib.suppress(Exception):  # a sample missed is no reason to stop
                    await backlog.sample()

        publishing = asyncio.create_task(publish())
        sampling = asyncio.create_task(sample())
        deadline = started + timeout
        while len(delivered) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                now = time.time()
                for record in records:
                    headers = dict(record.headers)
                    dossier = headers.get(Headers.DOSSIER_ID, b"").decode()
                    if dossier not in wanted:
                        continue
                    kind = headers.get(Headers.TYPE, b"").decode()
                    seen[dossier].append((record.timestamp, kind))
                    arrivals.append(now - started_wall)
                    record_bytes.append(len(record.value or b"") + sum(
                        len(k) + len(v or b"") for k, v in record.headers))
                    if kind == "ResultDelivered":
                        delivered.setdefault(dossier, now)
        published = await publishing
        elapsed = time.monotonic() - started
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
        # The results are out, but the stack's work for these dossiers is not done: the views,
        # the audit archive and the forms intake draws in the background follow behind. The
        # CPU per dossier counts them too, up to when nothing is left (or `settle_timeout`).
        settle_deadline = time.monotonic() + settle_timeout
        await backlog.sample()
        while not backlog.settled() and time.monotonic() < settle_deadline:
            await asyncio.sleep(SAMPLE_SECONDS)
            processes.sample()
            await backlog.sample()
        settled = time.monotonic() - started if backlog.settled() else None
        processes.stop()
    finally:
        await producer.stop()
        await consumer.stop()
        await backlog.stop()
    try:
        mean_bytes = round(statistics.mean(record_bytes)) if record_bytes else 1024
        broker = await broker_ceiling(servers, mean_bytes) if ceiling else None
        commits = await postgres_ceiling(engine) if ceiling and engine is not None else None
    finally:
        if engine is not None:
            await engine.dispose()
    return _figures(count=count, rate=rate, instances=instances or {}, sent_at=sent_at,
                    delivered=delivered, seen=seen, arrivals=arrivals, started=started_wall,
                    elapsed=elapsed, settled=settled, published=published, processes=processes,
                    backlog=backlog, broker=broker, commits=commits, record_bytes=mean_bytes)


def _stage_ms(seen: dict[str, list[tuple[int, str]]]) -> dict[str, float]:
    """The median time each event type comes after the event before it in its dossier (record
    timestamps: when its producer published it): the time the stage emitting it added."""
    added: dict[str, list[float]] = defaultdict(list)
    for timeline in seen.values():
        ordered = sorted(timeline)
        for (before, _), (after, kind) in zip(ordered, ordered[1:], strict=False):
            added[kind].append(after - before)
    return {kind: round(statistics.median(values), 1) for kind, values in sorted(added.items())}


def _figures(*, count: int, rate: float | None, instances: dict[str, int],
             sent_at: dict[str, float], delivered: dict[str, float],
             seen: dict[str, list[tuple[int, str]]], arrivals: list[float], started: float,
             elapsed: float, settled: float | None, published: float,
             processes: ProcessProbe, backlog: BacklogProbe,
             broker: float | None, commits: float | None, record_bytes: int) -> dict[str, Any]:
    latencies = [1000 * (delivered[d] - sent_at[d]) for d in delivered]
    events = len(arrivals)
    dossiers_per_second = len(delivered) / elapsed if elapsed else 0.0
    events_per_second = events / elapsed if elapsed else 0.0
    cpu = processes.cpu_seconds()
    finished = max(1, len(delivered))
    buckets = int(elapsed // SAMPLE_SECONDS) + 1
    per_second: list[dict[str, Any]] = [
        {"t": round(n * SAMPLE_SECONDS, 1), "delivered": 0, "events": 0, "latencies": []}
        for n in range(buckets)]
    for dossier, at in delivered.items():
        bucket = per_second[min(buckets - 1, int((at - started) // SAMPLE_SECONDS))]
        bucket["delivered"] += 1
        bucket["latencies"].append(1000 * (at - sent_at[dossier]))
    for at in arrivals:
        per_second[min(buckets - 1, max(0, int(at // SAMPLE_SECONDS)))]["events"] += 1
    for bucket in per_second:
        latencies_here = bucket.pop("latencies")
        bucket["latency_p50_ms"] = _round(percentile(latencies_here, 0.5))
    return {
        "entry": ENTRY,
        "mode": "open" if rate else "closed",
        "offered_dossiers_per_second": rate,
        "instances": instances,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "dossiers": count,
        "delivered": len(delivered),
        "seconds": round(elapsed, 2),
        "publish_seconds": round(published, 2),
        "dossiers_per_second": round(dossiers_per_second, 1),
        # From the first submission to nothing left to do (every group's lag 0, every outbox
        # sent, every form stored); None if that took longer than the settle timeout.
        "settled_seconds": _round(settled, 2),
        "settled_dossiers_per_second": (round(len(delivered) / settled, 1) if settled
                                        else None),
        "events": events,
        "events_per_second": round(events_per_second, 1),
        "latency_ms": {"p50": _round(percentile(latencies, 0.5)),
                       "p95": _round(percentile(latencies, 0.95)),
                       "p99": _round(percentile(latencies, 0.99)),
                       "max": _round(max(latencies) if latencies else None)},
        "stage_ms": _stage_ms(seen),
        "ceiling": {"broker_messages_per_second": _round(broker),
                    "postgres_commits_per_second": _round(commits),
                    "record_bytes": record_bytes},
        "share_of_ceiling": (round(events_per_second / broker, 4) if broker else None),
        "share_of_postgres_ceiling": (round(events_per_second / commits, 4) if commits
                                      else None),
        "cpu_seconds": {name: round(seconds, 2) for name, seconds in cpu.items()},
        "cpu_ms_per_dossier": {name: round(1000 * seconds / finished, 1)
                               for name, seconds in cpu.items()},
        "rss_mb": {name: round(mb, 1) for name, mb in processes.peak_rss.items()},
        "timeline": per_second,
        "backlog": backlog.samples,
        "cpu_percent": [{"t": round(t, 1), **{n: round(v, 1) for n, v in shares.items()}}
                        for t, shares in processes.timeline],
    }


def show(result: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=f"motcua bench: submission to delivery ({result['mode']} loop)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    latency = result["latency_ms"]
    ceiling = result["ceiling"]
    for name, value in (
            ("dossiers delivered", f"{result['delivered']} of {result['dossiers']}"),
            ("seconds", result["seconds"]),
            ("dossiers/s", result["dossiers_per_second"]),
            ("settled after (s): nothing left to do", result["settled_seconds"]),
            ("dossiers/s to settled", result["settled_dossiers_per_second"]),
            ("events/s", result["events_per_second"]),
            ("latency p50 / p95 / p99 / max (ms)",
             f"{latency['p50']} / {latency['p95']} / {latency['p99']} / {latency['max']}"),
            ("ceiling: broker records/s (produce+consume)", ceiling["broker_messages_per_second"]),
            ("ceiling: Postgres commits/s", ceiling["postgres_commits_per_second"]),
            ("share of the broker's ceiling", result["share_of_ceiling"]),
            ("share of Postgres's ceiling", result["share_of_postgres_ceiling"])):
        table.add_row(name, str(value))
    console.print(table)
    processes = Table(title="per process")
    for column in ("process", "CPU ms per dossier", "peak RSS (MB)"):
        processes.add_column(column, justify="left" if column == "process" else "right")
    for name, ms in sorted(result["cpu_ms_per_dossier"].items(), key=lambda item: -item[1]):
        processes.add_row(name, str(ms), str(result["rss_mb"].get(name)))
    console.print(processes)
    stages = Table(title="time each stage adds (median ms after the event before)")
    stages.add_column("event")
    stages.add_column("ms", justify="right")
    for kind, ms in result["stage_ms"].items():
        stages.add_row(kind, str(ms))
    console.print(stages)
    console.print(f"entry: {result['entry']}")
