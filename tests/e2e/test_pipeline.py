"""The whole pipeline on real parts: the embedded broker, the embedded Postgres, and the five
stage services as five OS processes, driven over HTTP like the portal drives them."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from motcua_cli.bench import bench
from motcua_cli.stackfile import Stack
from motcua_contracts import DLQ_SUFFIX, Headers, uuid7
from tests.support import (
    file_dossiers,
    header,
    read_topic,
    resigned,
    running_stack,
    signer_of,
    wait_for_statuses,
)

pytestmark = pytest.mark.e2e


async def logged_in_roles(database_url: str) -> set[str]:
    url = make_url(database_url)
    admin = await asyncpg.connect(user=url.username, database=url.database,
                                  host=url.query.get("host") or url.host, port=url.port)
    try:
        rows = await admin.fetch("SELECT DISTINCT usename FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    return {row[0] for row in rows}


def delivered_per_dossier(records) -> Counter:
    return Counter(header(r, Headers.DOSSIER_ID) for r in records
                   if header(r, Headers.TYPE) == "ResultDelivered")


async def test_two_hundred_dossiers_filed_over_http_and_a_bench_are_all_delivered(infra, log_dir):
    database_url, topic = await infra.isolated("happy")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        ids = await file_dossiers(stack.api_url, 200)
        final = await wait_for_statuses(stack.api_url, ids, {10}, timeout=180)
        assert Counter(final.values()) == {10: 200}
        assert all(service.alive() for service in stack.services)
        # Every process logs in as its own role, as `motcua up` runs them; none as the admin.
        assert await logged_in_roles(database_url) == {
            f"motcua_{s.stage}" for s in stack.services}
        # `motcua bench` on the same stack: events straight onto the topic, every one delivered
        # (fees paid when filing, as its samples say; none waits on an applicant).
        result = await bench(Stack(kafka_bootstrap_servers=infra.bootstrap_servers,
                                   services={s.name: {"pid": s.pid} for s in stack.services}),
                             topic, 60, signer=signer_of("intake"), timeout=120)
        assert result["delivered"] == 60, result
        assert result["events"] >= 60 * 6 and result["events_per_second"] > 0
    records = await read_topic(infra.bootstrap_servers, topic)
    types = Counter(header(r, Headers.TYPE) for r in records)
    for event_type in ("DossierSubmitted", "DossierAccepted", "DossierAppraised",
                       "DossierApproved", "ResultSigned", "ResultDelivered"):
        assert types[event_type] == 260, (event_type, types)
    assert set(delivered_per_dossier(records).values()) == {1}


# A stage SIGKILLed mid-run is tests/e2e/test_chaos.py's (three stage kills among 200 dossiers,
# exactly one delivery each) and tests/e2e/test_supervision.py's.


async def test_bad_messages_go_to_the_dead_letter_topic_and_processing_goes_on(infra, log_dir):
    database_url, topic = await infra.isolated("dlq")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        first = await file_dossiers(stack.api_url, 3, seed=21)
        await wait_for_statuses(stack.api_url, first, {10}, timeout=120)
        accepted = next(r for r in await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
                        if header(r, Headers.TYPE) == "DossierAccepted")
        # A stale hand-off: the same acceptance again under a new id, after delivery.
        replayed_document = json.loads(accepted.value) | {"event_id": str(uuid7())}
        replayed = json.loads(resigned(replayed_document, "intake"))
        producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers)
        await producer.start()
        try:
            key = str(uuid7()).encode()
            await producer.send_and_wait(topic, b"{not json", key=key, headers=[
                ("type", b"DossierAccepted"), ("agency", b"STP"), ("dossier_id", key)])
            await producer.send_and_wait(topic, b'{"type": "DossierTeleported"}', key=key,
                                         headers=[("type", b"DossierTeleported")])
            # Its headers say the new id and hash too: a header that disagrees with the body
            # is a dead letter of its own (motcua_runtime.records).
            new = {Headers.EVENT_ID: replayed["event_id"].encode(),
                   Headers.EVENT_HASH: replayed["hash"].encode()}
            headers = [(n, new.get(n, v)) for n, v in accepted.headers]
            await producer.send_and_wait(topic, json.dumps(replayed).encode(), key=accepted.key,
                                         headers=headers)
        finally:
            await producer.stop()
        later = await file_dossiers(stack.api_url, 5, seed=22)
        final = await wait_for_statuses(stack.api_url, later, {10}, timeout=120)
        assert set(final.values()) == {10}
        await asyncio.sleep(1.5)  # let the last dead letters leave the outboxes
        intake_log = stack.logs("intake")
    dead = await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX)

    def letters(value: bytes) -> dict[str, str]:
        return {header(r, Headers.DLQ_CONSUMER): header(r, Headers.DLQ_REASON)
                for r in dead if r.value == value}

    malformed = letters(b"{not json")
    assert set(malformed) == {"intake", "appraisal"}
    assert all(reason.startswith("invalid JSON") for reason in malformed.values())
    unknown = letters(b'{"type": "DossierTeleported"}')
    assert unknown == {"intake": "unknown event type 'DossierTeleported'"}
    stale = letters(json.dumps(replayed).encode())
    assert "DossierAccepted cannot happen now: the dossier has ended" in stale["intake"]
    assert "already handed to appraisal" in stale["appraisal"]
    assert len(dead) == 5, [(header(r, Headers.DLQ_CONSUMER), header(r, Headers.DLQ_REASON))
                            for r in dead]
    assert all(header(r, Headers.DLQ_TOPIC) == topic for r in dead)
    assert "dead-letter" in intake_log
    assert json.loads(intake_log.splitlines()[-1])["service"] == "intake"
