"""Where a replay reads the log from, each as a stream of raw records (partition, offset, key,
value) for one share of the partitions: a dossier's events all live in one partition (the key is
the dossier id), so a share holds whole histories.

- the topic, from offset 0 with no consumer group (manual assignment), up to the high-water mark
  each partition reported when the replay started reading it;
- the audit archive (`audit.events`), in arrival order;
- a log file: one record a line, `partition TAB offset TAB key TAB value` (the value is compact
  JSON, so it holds no raw tab or newline) - what `motcua audit bench` generates."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text

from motcua_runtime.db import create_engine
from motcua_runtime.kafka import fetch_limits
from motcua_runtime.transport import kafka_client_options

Record = tuple[int, int, bytes | None, bytes]

_BUFFER = 1 << 20  # the read buffer of a log file


class SourceError(RuntimeError):
    """The log cannot be read; the message says why, for the terminal."""


@dataclass(frozen=True)
class TopicSource:
    bootstrap_servers: str
    topic: str

    def describe(self) -> str:
        return f"topic {self.topic} on {self.bootstrap_servers}"

    async def read(self, share: int, shares: int) -> AsyncIterator[list[Record]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap_servers, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    request_timeout_ms=30_000, **fetch_limits(),
                                    **kafka_client_options(self.bootstrap_servers))
        try:
            await consumer.start()
        except Exception as error:
            raise SourceError(f"cannot reach the broker {self.bootstrap_servers}: {error}") \
                from None
        try:
            partitions = consumer.partitions_for_topic(self.topic)
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self.topic)
            if not partitions:
                raise SourceError(f"no topic {self.topic!r} on {self.bootstrap_servers}")
            mine = [TopicPartition(self.topic, p) for p in sorted(partitions)
                    if p % shares == share]
            if not mine:
                return
            consumer.assign(mine)
            await consumer.seek_to_beginning(*mine)
            # The embedded broker's ListOffsets(latest) is wrong (docs/design.md): the end of each
            # partition is the high-water mark its first fetch reports.
            ends: dict[TopicPartition, int] = {}
            quiet_since = time.monotonic()
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp in mine:
                    if tp not in ends and consumer.highwater(tp) is not None:
                        ends[tp] = consumer.highwater(tp)
                records = [(r.partition, r.offset, r.key, r.value or b"")
                           for part in batch.values() for r in part]
                if records:
                    quiet_since = time.monotonic()
                    yield records
                done = True
                for tp in mine:
                    if tp not in ends or await consumer.position(tp) < ends[tp]:
                        done = False
                        break
                if done or (not records and time.monotonic() - quiet_since > 10):
                    return
        finally:
            await consumer.stop()


@dataclass(frozen=True)
class ArchiveSource:
    database_url: str
    topic: str

    def describe(self) -> str:
        return f"archive audit.events (topic {self.topic})"

    async def read(self, share: int, shares: int) -> AsyncIterator[list[Record]]:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                result = await connection.stream(text(
                    'SELECT "partition", "offset", key, value FROM audit.events '
                    'WHERE topic = :topic AND "partition" % :shares = :share ORDER BY id'),
                    {"topic": self.topic, "shares": shares, "share": share})
                async for rows in result.partitions(2000):
                    yield [(row[0], row[1], row[2], row[3]) for row in rows]
        except Exception as error:
            if isinstance(error, SourceError):
                raise
            raise SourceError(f"cannot read the archive: {error}") from None
        finally:
            await engine.dispose()


@dataclass(frozen=True)
class FileSource:
    path: Path

    def describe(self) -> str:
        return f"log file {self.path}"

    async def read(self, share: int, shares: int) -> AsyncIterator[list[Record]]:
        for records in self.read_sync(share, shares):
            yield records

    def read_sync(self, share: int, shares: int) -> Iterable[list[Record]]:
        try:
            file = self.path.open("rb", buffering=_BUFFER)
        except OSError as error:
            raise SourceError(f"cannot read {self.path}: {error.strerror}") from None
        # Each share's process reads every line, so a line's partition decides first, before
        # the rest of it is split: another share's line costs a find and a dict look-up, not a
        # split and two ints; and the file is read through a large buffer, which with lines of
        # 1.4 kB is a third cheaper per line than the default 8 kB (issue 15). A malformed line
        # is still reported, by the share its partition falls to, or by every share when its
        # partition is not a number.
        partitions: dict[bytes, int | None] = {}  # partition field -> number if mine, else None
        with file:
            records: list[Record] = []
            for number, line in enumerate(file, 1):
                head = line[:line.find(b"\t")]
                try:
                    partition_number = partitions[head]
                except KeyError:
                    partition_number = self._partition(head, share, shares, number)
                    partitions[head] = partition_number
                if partition_number is None:
                    continue
                try:
                    _, offset, key, value = line.rstrip(b"\n").split(b"\t", 3)
                    records.append((partition_number, int(offset), key or None, value))
                except ValueError:
                    raise self._not_a_line(number) from None
                if len(records) == 2000:
                    yield records
                    records = []
            if records:
                yield records

    def _partition(self, head: bytes, share: int, shares: int, number: int) -> int | None:
        """The partition a line's first field names, if it is this share's; else None."""
        try:
            partition = int(head)
        except ValueError:
            raise self._not_a_line(number) from None
        return partition if partition % shares == share else None

    def _not_a_line(self, number: int) -> SourceError:
        return SourceError(f"{self.path}:{number}: not a log line "
                           "(partition TAB offset TAB key TAB value)")


def write_log(path: Path, records: Iterable[Record]) -> int:
    count = 0
    with path.open("wb") as file:
        for partition, offset, key, value in records:
            if b"\n" in value or b"\t" in (key or b""):
                raise ValueError("a log record's value holds a newline or its key a tab")
            file.write(b"%d\t%d\t%s\t%s\n" % (partition, offset, key or b"", value))
            count += 1
    return count


Source = TopicSource | ArchiveSource | FileSource
