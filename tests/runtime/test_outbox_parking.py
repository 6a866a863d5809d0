"""No record can block an outbox: a row too large to send, or one the producer refuses for good,
is parked with its reason while the rows after it flow; rows of the same dossier wait behind it;
`motcua outbox` re-drives it. Real Postgres and the real broker (appraisal's outbox)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import insert, select

from motcua_appraisal.orm import OUTBOX
from motcua_cli.main import main as motcua
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import (
    RecordLimitMismatch,
    check_record_limit,
    create_producer,
    create_topics,
    limit_problems,
)
from motcua_runtime.outbox import OutboxRelay, OutgoingMessage
from tests.support import read_topic

LIMIT = 128 * 1024


def message(topic: str, key: str, size: int = 100) -> OutgoingMessage:
    return OutgoingMessage(topic, key.encode(), key.encode() + b"." * size,
                           [("type", b"Test"), ("dossier_id", key.encode())])


async def write(engine, *messages: OutgoingMessage) -> list[int]:
    async with engine.begin() as connection:
        return list((await connection.execute(
            insert(OUTBOX).returning(OUTBOX.c.id), [m.as_row() for m in messages])).scalars())


async def states(engine) -> dict[int, tuple[bool, str | None, str | None]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(
            OUTBOX.c.id, OUTBOX.c.sent_at, OUTBOX.c.parked_at, OUTBOX.c.park_reason))).all()
    return {r.id: ("sent" if r.sent_at else "parked" if r.parked_at else "pending", r.park_reason)
            for r in rows}


async def relay_once(engine, bootstrap: str, relay_limit: int, producer_limit: int) -> int:
    producer = create_producer(bootstrap, "outbox-test", max_record_bytes=producer_limit)
    await producer.start()
    try:
        return await OutboxRelay(engine, OUTBOX, producer,
                                 max_record_bytes=relay_limit).publish_batch()
    finally:
        await producer.stop()


async def cli(argv: list[str]) -> int:
    """`motcua ...` as an operator runs it (its own event loop, so in a thread here)."""
    return await asyncio.to_thread(motcua, argv)


def keys_on(records) -> list[str]:
    return [r.key.decode() for r in records]


async def test_an_oversized_row_is_parked_later_rows_flow_and_retry_sends_it(
        infra, monkeypatch, capsys):
    database_url, topic = await infra.isolated("parking")
    engine = create_engine(database_url)
    try:
        ids = await write(engine, message(topic, "a"), message(topic, "big", 200_000),
                          message(topic, "c"), message(topic, "big"), message(topic, "d"))
        assert await relay_once(engine, infra.bootstrap_servers, LIMIT, LIMIT) == 5
        state = await states(engine)
        assert [state[i][0] for i in ids] == ["sent", "parked", "sent", "parked", "sent"]
        assert state[ids[1]][1].startswith("too large: ")
        assert state[ids[3]][1] == f"behind parked row {ids[1]}"
        assert sorted(keys_on(await read_topic(infra.bootstrap_servers, topic,
                                               quiet_seconds=1))) == ["a", "c", "d"]

        # A later row of the parked dossier, written after the park, waits behind it too.
        later = (await write(engine, message(topic, "big"), message(topic, "e")))
        await relay_once(engine, infra.bootstrap_servers, LIMIT, LIMIT)
        state = await states(engine)
        assert state[later[0]] == ("parked", f"behind parked row {ids[1]}")
        assert state[later[1]][0] == "sent"

        monkeypatch.setenv("DATABASE_URL", database_url)
        capsys.readouterr()  # the relay's log lines so far
        assert await cli(["outbox", "list", "--service", "appraisal", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(r["id"], r["key"]) for r in listed] == [(ids[1], "big"), (ids[3], "big"),
                                                          (later[0], "big")]
        assert listed[0]["size"] > 200_000 and listed[0]["reason"].startswith("too large")

        # The operator raised the limit (broker and KAFKA_MAX_MESSAGE_BYTES) and re-drives it.
        assert await cli(["outbox", "retry", f"appraisal:{ids[1]}"]) == 0
        assert "released 3" in capsys.readouterr().out
        await relay_once(engine, infra.bootstrap_servers, 512 * 1024, 512 * 1024)
        state = await states(engine)
        assert {state[i][0] for i in (ids[1], ids[3], later[0])} == {"sent"}
        records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
        big = [r for r in records if r.key == b"big"]
        assert [len(r.value) for r in big] == [200_003, 103, 103]  # in the order written
    finally:
        await engine.dispose()


async def test_a_refused_row_and_an_invalid_topic_are_parked_not_retried_for_ever(
        infra, monkeypatch, capsys):
    """The measured failure: the producer refuses a record (MessageSizeTooLargeError) and the
    relay used to retry the whole batch every 30 s. Here the relay's own check lets it through
    (limit above the producer's), so the refusal itself must park it."""
    database_url, topic = await infra.isolated("refusal")
    engine = create_engine(database_url)
    try:
        ids = await write(engine, message(topic, "a"), message(topic, "big", 200_000),
                          message("not a topic!", "x"), message(topic, "big"),
                          message(topic, "b"))
        assert await relay_once(engine, infra.bootstrap_servers, 512 * 1024, LIMIT) == 5
        state = await states(engine)
        assert [state[i][0] for i in ids] == ["sent", "parked", "parked", "parked", "sent"]
        assert state[ids[1]][1].startswith("refused: MessageSizeTooLargeError")
        assert state[ids[2]][1] == "invalid topic name 'not a topic!'"
        assert state[ids[3]][1] == f"behind parked row {ids[1]}"
        assert sorted(keys_on(await read_topic(infra.bootstrap_servers, topic,
                                               quiet_seconds=1))) == ["a", "b"]

        monkeypatch.setenv("DATABASE_URL", database_url)
        assert await cli(["outbox", "drop", f"appraisal:{ids[2]}", "--reason", "test row"]) == 0
        assert await cli(["outbox", "drop", f"appraisal:{ids[1]}", "--reason", "too big"]) == 0
        capsys.readouterr()
        state = await states(engine)
        assert state[ids[1]][0] == "parked" and state[ids[1]][1].startswith("dropped: too big")
        assert state[ids[3]][0] == "pending"  # released: the dossier goes on without it
        assert await cli(["outbox", "list", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []
        await relay_once(engine, infra.bootstrap_servers, LIMIT, LIMIT)
        assert (await states(engine))[ids[3]][0] == "sent"
        with pytest.raises(SystemExit):
            await cli(["outbox", "retry", f"appraisal:{ids[1]}"])  # dropped: no longer parked
    finally:
        await engine.dispose()


async def test_start_up_refuses_a_topic_that_accepts_less_than_we_produce(infra):
    topic = "limits.check.dossier.events"
    await create_topics(infra.bootstrap_servers, topic, topic + ".dlq", partitions=1,
                        max_record_bytes=200_000)
    # Tansu answers DescribeConfigs on a topic with the configs it was created with.
    with pytest.raises(RecordLimitMismatch, match="accepts records up to 200000 bytes"):
        await check_record_limit(infra.bootstrap_servers, [topic, topic + ".dlq"], 1024 * 1024)
    await check_record_limit(infra.bootstrap_servers, [topic, topic + ".dlq"], 200_000)
    await check_record_limit(infra.bootstrap_servers, [topic], 100_000)
    # A topic whose limit the broker does not report (Tansu: created without one): not checked.
    await check_record_limit(infra.bootstrap_servers, ["limits.unknown.topic"], 1024 * 1024)


def test_the_topic_limit_overrides_the_brokers_and_the_smallest_broker_counts():
    assert limit_problems(1000, {"t": 2000}, [500]) == ([], [])
    problems, unknown = limit_problems(1000, {"t": None, "u": 999}, [800, 5000])
    assert len(problems) == 2 and "message.max.bytes" in problems[0] and unknown == []
    assert limit_problems(1000, {"t": None}, []) == ([], ["t"])


async def test_a_stage_refuses_to_start_when_it_would_produce_more_than_its_topics_take(
        infra, monkeypatch):
    from motcua_appraisal.settings import AppraisalSettings
    from motcua_runtime.service import run_stage
    from tests.runtime.test_redelivery import appraisal

    database_url, topic = await infra.isolated("limitstart")  # topics made with the 1 MiB default
    monkeypatch.setenv("KAFKA_MAX_MESSAGE_BYTES", str(2 * 1024 * 1024))
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic,
                                 KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, metrics_port=0)
    with pytest.raises(RecordLimitMismatch, match=f"topic {topic} accepts records up to 1048576"):
        await asyncio.wait_for(run_stage(settings, appraisal(), stop=asyncio.Event()), 60)


async def test_the_relays_lookup_of_parked_rows_uses_their_index(infra):
    from sqlalchemy import text

    database_url, _ = await infra.isolated("parkedindex")
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET enable_seqscan = off"))  # a tiny table otherwise
            plan = "\n".join((await connection.execute(text(
                "EXPLAIN SELECT topic, key, min(id) FROM appraisal.outbox WHERE parked_at IS "
                "NOT NULL AND sent_at IS NULL AND key IS NOT NULL AND park_reason NOT LIKE "
                "'dropped: %' GROUP BY topic, key"))).scalars())
        assert "ix_outbox_parked" in plan
    finally:
        await engine.dispose()
