"""What `motcua bench` measures beside the dossiers themselves: the stack's processes (CPU
seconds and peak RSS, with psutil), the backlog over time (the outboxes' unsent rows and every
consumer group's lag), and the ceiling of the same broker and database (raw produce+consume of
records the pipeline's size, and Postgres commits per second)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_contracts import uuid7
from motcua_runtime.kafka import create_producer
from motcua_runtime.transport import kafka_client_options

# Processes whose children are theirs to count: Postgres serves each connection from a child.
# (The bench's own children, when it started the stack, are the stack's processes.)
WITH_CHILDREN = frozenset({"postgres"})


def _tree(name: str, pid: int) -> list[psutil.Process]:
    if not psutil.pid_exists(pid):
        return []
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)] if name in WITH_CHILDREN \
            else [process]
    return []


@dataclass
class ProcessProbe:
    """CPU seconds (user + system; Postgres's with its children) between `start` and `stop`,
    and the peak RSS in MiB of the samples taken every `sample()` (a child's counted without
    the memory it shares: Postgres's backends share its buffers)."""

    pids: dict[str, int]
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # t, cpu %

    def _cpu(self) -> dict[str, float]:
        seconds = {}
        for name, pid in self.pids.items():
            total = 0.0
            for process in _tree(name, pid):
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
            seconds[name] = total
        return seconds

    def start(self) -> None:
        self.cpu_start = self._cpu()
        self._last = (time.monotonic(), self.cpu_start)
        self._began = self._last[0]
        self.sample()

    def sample(self) -> None:
        now, cpu = time.monotonic(), self._cpu()
        for name, pid in self.pids.items():
            rss = 0.0
            for number, process in enumerate(_tree(name, pid)):
                with contextlib.suppress(psutil.Error):
                    memory = process.memory_info()
                    rss += (memory.rss if number == 0 else memory.rss - memory.shared) / 2**20
            self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss)
        then, before = self._last
        if now > then:
            self.timeline.append((now - self._began, {
                name: 100 * (cpu[name] - before.get(name, 0.0)) / (now - then) for name in cpu}))
        self._last = (now, cpu)

    def stop(self) -> None:
        self.sample()
        self.cpu_end = self._cpu()

    def cpu_seconds(self) -> dict[str, float]:
        return {name: max(0.0, self.cpu_end.get(name, 0.0) - self.cpu_start.get(name, 0.0))
                for name in self.pids}


@dataclass
class BacklogProbe:
    """The outboxes' unsent rows (all services together) and the lag of every consumer group
    of the stack on the topic, sampled over time."""

    engine: AsyncEngine | None
    bootstrap_servers: str
    topic: str
    groups: list[str]
    samples: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ends: AIOKafkaConsumer | None = None
        self._watchers: dict[str, AIOKafkaConsumer] = {}
        self._committed: list[int] | None = None  # every group's offsets at the last sample
        self._moved = True  # whether they changed since the sample before

    async def start(self) -> None:
        self._began = time.monotonic()
        options = kafka_client_options(self.bootstrap_servers)
        self._ends = AIOKafkaConsumer(bootstrap_servers=self.bootstrap_servers,
                                      enable_auto_commit=False, **options)
        await self._ends.start()
        partitions = self._ends.partitions_for_topic(self.topic) or set()
        if not partitions:
            await self._ends.topics()
            partitions = self._ends.partitions_for_topic(self.topic) or set()
        self._partitions = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        # One client per group reading its committed offsets, never joining it (the embedded
        # broker answers a consumer's OffsetFetch, not the admin client's).
        for group in self.groups:
            watcher = AIOKafkaConsumer(bootstrap_servers=self.bootstrap_servers, group_id=group,
                                       enable_auto_commit=False, **options)
            await watcher.start()
            self._watchers[group] = watcher
        schemas: list[str] = []
        if self.engine is not None:
            async with self.engine.connect() as connection:
                schemas = list((await connection.execute(text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'outbox'"))).scalars())
        self._outboxes = schemas
        self._forms: list[str] = []
        if self.engine is not None:
            async with self.engine.connect() as connection:
                self._forms = list((await connection.execute(text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'dossier_forms'"))).scalars())

    async def forms_pending(self) -> int:
        """The desk's forms (01 to 05) queued and not yet rendered and stored: intake draws
        them in the background, after the events that caused them have moved on, so a run's
        work is not done until this is 0."""
        if self.engine is None or not self._forms:
            return 0
        query = " UNION ALL ".join(
            f'SELECT count(*) AS n FROM "{schema}".dossier_forms '  # noqa: S608 (catalogue names)
            "WHERE stored_at IS NULL AND failed_at IS NULL" for schema in self._forms)
        async with self.engine.connect() as connection:
            return int((await connection.execute(
                text(f"SELECT coalesce(sum(n), 0) FROM ({query}) AS pending"))).scalar_one())

    async def sample(self) -> None:
        outbox = 0
        if self.engine is not None and self._outboxes:
            query = " UNION ALL ".join(
                f'SELECT count(*) AS n FROM "{schema}".outbox '  # noqa: S608 (catalogue names)
                "WHERE sent_at IS NULL AND parked_at IS NULL" for schema in self._outboxes)
            async with self.engine.connect() as connection:
                outbox = int((await connection.execute(
                    text(f"SELECT coalesce(sum(n), 0) FROM ({query}) AS backlog"))).scalar_one())
        ends = await self._ends.end_offsets(self._partitions) \
            if self._ends is not None and self._partitions else {}
        lag = 0
        committed: list[int] = []
        for watcher in self._watchers.values():
            for partition, end in ends.items():
                done = await watcher.committed(partition)
                done = done if done is not None and done >= 0 else 0
                committed.append(done)
                # The embedded broker's end offsets can trail a group's commits by a few
                # records (seen: 1 to 4 per partition); a group past the end is caught up.
                lag += max(0, end - done)
        self._moved = committed != self._committed
        self._committed = committed
        self.samples.append({"t": round(time.monotonic() - self._began, 2),
                             "outbox_unsent": outbox, "consumer_lag": lag,
                             "forms_pending": await self.forms_pending()})

    def settled(self) -> bool:
        """Nothing left to do in the last sample: every group has read every record and
        committed nothing since the sample before (the broker's end offsets are not exact
        enough to say alone that a group is done), every outbox is sent, every form is
        stored."""
        last = self.samples[-1] if self.samples else None
        return last is not None and not (last["outbox_unsent"] or last["consumer_lag"]
                                         or last["forms_pending"] or self._moved)

    async def stop(self) -> None:
        for client in (self._ends, *self._watchers.values()):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()


async def broker_ceiling(bootstrap_servers: str, record_bytes: int, *, records: int = 20_000,
                         partitions: int = 12) -> float:
    """Records per second produced and consumed back (one consumer reading all of a scratch
    topic's partitions) on the same broker, records of `record_bytes`: the most the broker
    carries for one consumer group. The scratch topic is deleted afterwards."""
    topic = f"motcua.bench.ceiling.{uuid7()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                client_id="motcua-bench-ceiling",
                                **kafka_client_options(bootstrap_servers))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
        producer = create_producer(bootstrap_servers, "bench-ceiling")
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers,
                                    group_id=f"bench-ceiling-{uuid7()}",
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    **kafka_client_options(bootstrap_servers))
        await producer.start()
        await consumer.start()
        try:
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200)
            value = b"x" * max(1, record_bytes)
            started = time.monotonic()
            pending = [await producer.send(topic, value, key=str(n % 997).encode())
                       for n in range(records)]
            await asyncio.gather(*pending)
            seen = 0
            while seen < records and time.monotonic() - started < 120:
                batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
                seen += sum(len(batch) for batch in batches.values())
            seconds = time.monotonic() - started
        finally:
            await producer.stop()
            await consumer.stop()
    finally:
        with contextlib.suppress(Exception):
            await admin.delete_topics([topic])
        await admin.close()
    return seen / seconds if seconds > 0 else 0.0


async def postgres_ceiling(engine: AsyncEngine, *, seconds: float = 2.0,
                           connections: int = 4) -> float:
    """Commits per second of one-row transactions from `connections` connections at once (a
    stage commits an inbox row and its outbox rows per event), into a temporary table."""
    deadline = time.monotonic() + seconds

    async def commits() -> int:
        done = 0
        async with engine.connect() as connection:
            await connection.execute(text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS bench_commits (n bigint)"))
            await connection.commit()
            while time.monotonic() < deadline:
                await connection.execute(text("INSERT INTO bench_commits VALUES (:n)"),
                                         {"n": done})
                await connection.commit()
                done += 1
        return done

    started = time.monotonic()
    total = sum(await asyncio.gather(*(commits() for _ in range(connections))))
    return total / (time.monotonic() - started)


def percentile(values: Iterable[float], share: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
