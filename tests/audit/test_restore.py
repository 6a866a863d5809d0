"""Restoring an empty broker's topics from the audit archive (motcua_audit.restore), on the real
Postgres and broker: each distinct record once, in order, with its key and headers; the outbox
rows the archive never received after them; and the restored copies not archived twice."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, insert, select, text

from motcua_audit.archive import store
from motcua_audit.orm import EVENTS, RESTORED
from motcua_audit.restore import restore
from motcua_contracts import DLQ_SUFFIX
from motcua_intake.orm import OUTBOX
from motcua_runtime.db import create_engine
from tests.support import header, read_topic


def received(topic: str, partition: int, offset: int, key: bytes | None, value: bytes,
             headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    """A record as the lost broker delivered it to the archive."""
    return ConsumerRecord(topic, partition, offset, 1_700_000_000_000, 0, key, value, None,
                          len(key or b""), len(value), headers)


async def test_the_archive_goes_back_once_in_order_then_what_it_never_received(infra):
    database_url, topic = await infra.isolated("restore")
    dlq = topic + DLQ_SUFFIX
    one, two, three = (f'{{"n": {n}}}'.encode() for n in (1, 2, 3))
    lost_log = [
        received(topic, 0, 0, b"d1", one, [("type", b"DossierSubmitted")]),
        received(topic, 1, 0, b"d2", two, [("type", b"DossierSubmitted")]),
        received(topic, 0, 1, b"d1", three, [("type", b"DossierAccepted")]),
        # The relay sent `one` again after a crash, with another trace context: one record.
        received(topic, 0, 2, b"d1", one, [("type", b"DossierSubmitted"), ("tp", b"other")]),
        received(dlq, 0, 0, b"d2", b"{bad", [("dlq_consumer", b"intake")]),
        received(dlq, 0, 1, b"d2", b"{bad", [("dlq_consumer", b"appraisal")]),  # another letter
    ]
    engine = create_engine(database_url)
    try:
        assert await store(engine, lost_log) == 6

        def row(value: bytes, sent: bool) -> dict:
            return {"topic": topic, "key": b"d1", "value": value,
                    "headers": [["type", base64.b64encode(b"DossierAppraised").decode()]],
                    "sent_at": datetime.now(timezone.utc) if sent else None}
        async with engine.begin() as connection:
            await connection.execute(insert(OUTBOX), [row(three, True)])  # archived: confirmed
            await connection.execute(insert(OUTBOX), [row(b'{"n": 4}', True)])  # sent, lost
            await connection.execute(insert(OUTBOX), [row(b'{"n": 5}', False)])  # the relay's

        result = await restore(database_url, infra.bootstrap_servers, [topic, dlq])

        assert (result.archived, result.republished, result.resent) == (6, 5, 1)
        on_topic = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
        d1 = [r.value for r in sorted(on_topic, key=lambda r: r.offset) if r.key == b"d1"]
        assert d1 == [one, three, b'{"n": 4}']  # the dossier's order, the lost row last
        assert [r.value for r in on_topic if r.key == b"d2"] == [two]
        first = next(r for r in on_topic if r.value == one)
        assert header(first, "type") == "DossierSubmitted" and header(first, "tp") is None
        letters = await read_topic(infra.bootstrap_servers, dlq, quiet_seconds=1)
        assert sorted(header(r, "dlq_consumer") for r in letters) == ["appraisal", "intake"]

        async with engine.connect() as connection:
            places = (await connection.execute(select(RESTORED))).all()
            before = await connection.scalar(select(func.count()).select_from(EVENTS))
        assert len(places) == 5
        assert {(p.topic, p.value_sha256) for p in places} >= {
            (topic, hashlib.sha256(one).digest()), (dlq, hashlib.sha256(b"{bad").digest())}
        # The archive consumer reads the restored topics from offset 0: it keeps only the
        # record it had never received, and counts only that one as archived (what the
        # wallboard shows as the archive's handled events).
        assert await store(engine, on_topic) == 1
        assert await store(engine, letters) == 0
        assert await store(engine, on_topic) == 0  # a redelivery of the restored log
        async with engine.connect() as connection:
            after = await connection.scalar(select(func.count()).select_from(EVENTS))
            newest = await connection.scalar(text("SELECT value FROM audit.events "
                                                   "ORDER BY id DESC LIMIT 1"))
        assert (before, after, newest) == (6, 7, b'{"n": 4}')
    finally:
        await engine.dispose()


async def test_a_record_larger_than_the_limit_goes_back_as_it_was(infra):
    """The embedded broker enforces no record limit, so an oversized record someone put on the
    topic is in the archive; the restore must not stop at it (it once retried for ever and the
    stack never came back)."""
    database_url, topic = await infra.isolated("restore-large")
    large = b'{"pad": "' + b"x" * (3 * 1024 * 1024 // 2) + b'"}'  # 1.5 MiB, the limit 1 MiB
    engine = create_engine(database_url)
    try:
        await store(engine, [
            received(topic, 0, 0, b"d1", large, [("type", b"DossierSubmitted")]),
            received(topic, 0, 1, b"d1", b'{"n": 1}', [("type", b"DossierAccepted")])])
        result = await restore(database_url, infra.bootstrap_servers, [topic])
    finally:
        await engine.dispose()
    assert (result.archived, result.republished, result.refused) == (2, 2, 0)
    on_topic = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
    assert [len(r.value) for r in sorted(on_topic, key=lambda r: r.offset)] == [len(large), 8]


class _RefusingProducer:
    """A broker that enforces its limit (Apache Kafka's max.message.bytes) refuses a record in
    the delivery's result; the embedded broker never does, so this is the only way to see it."""

    def __init__(self) -> None:
        self.offset = 0

    async def send(self, topic, value, *, key=None, headers=None):
        import asyncio

        from aiokafka.errors import RecordTooLargeError
        from aiokafka.structs import RecordMetadata
        delivery = asyncio.get_running_loop().create_future()
        if len(value) > 100:
            delivery.set_exception(RecordTooLargeError())
        else:
            delivery.set_result(RecordMetadata(topic, 0, None, self.offset, -1, -1, -1))
            self.offset += 1
        return delivery


async def test_a_record_the_broker_refuses_is_counted_and_the_rest_go_back():
    from motcua_audit.restore import _publish
    records = [("t", b"k", b"{}", []), ("t", b"k", b"x" * 200, []), ("t", b"k", b"{}", [])]
    assert await _publish(_RefusingProducer(), records) == [(0, 0), None, (0, 1)]
