"""Trust on the real pipeline: the embedded broker and Postgres, every service as its own process
(the audit archive included). Forged, unsigned and badly signed events published to the topic
go to the dead-letter topic with their reason while dossiers keep flowing; then the auditors'
replay, from the topic and from the archive, names exactly those events and finds every
dossier's rebuilt status equal to intake's database."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from sqlalchemy import func, select, text

from motcua_audit.orm import EVENTS
from motcua_audit.replay import replay
from motcua_audit.sources import ArchiveSource, TopicSource
from motcua_contracts import DLQ_SUFFIX, Headers, uuid7
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import create_producer
from tests.support import (
    file_dossiers,
    header,
    read_topic,
    resigned,
    running_stack,
    wait_for_statuses,
)

pytestmark = pytest.mark.e2e


def forgeries(records) -> dict[str, tuple[bytes, bytes, list]]:
    """Three bad events about real dossiers, by name: (key, value, headers)."""
    accepted = next(r for r in records if header(r, Headers.TYPE) == "DossierAccepted")
    approved = next(r for r in records if header(r, Headers.TYPE) == "DossierApproved")
    unsigned = json.loads(accepted.value) | {"event_id": str(uuid7()), "signature": None}
    tampered = json.loads(resigned(json.loads(accepted.value) | {"event_id": str(uuid7())},
                                   "intake"))
    tampered["signature"] = base64.b64encode(bytes(64)).decode()
    agency = json.loads(approved.value)["agency"]
    other = next(code for code in ("STP", "SXD", "CAT") if code != agency)
    forged = json.loads(resigned(json.loads(approved.value) | {"event_id": str(uuid7()),
                                                               "decision": "Cấp phép"},
                                 "approval", other))
    return {name: (record.key, json.dumps(document, ensure_ascii=False).encode(),
                   [(k, v) for k, v in record.headers if k != Headers.EVENT_ID]
                   + [(Headers.EVENT_ID, document["event_id"].encode())])
            for name, record, document in (("unsigned", accepted, unsigned),
                                           ("bad signature", accepted, tampered),
                                           ("forged", approved, forged))}


async def archived(database_url: str, topic: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(func.count()).select_from(EVENTS)
                                           .where(EVENTS.c.topic == topic))
    finally:
        await engine.dispose()


async def test_bad_events_are_dead_lettered_and_named_by_the_replay(infra, log_dir,
                                                                   signing_keys):
    database_url, topic = await infra.isolated("trust")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        first = await file_dossiers(stack.api_url, 4, seed=31)
        await wait_for_statuses(stack.api_url, first, {10}, timeout=120)
        bad = forgeries(await read_topic(infra.bootstrap_servers, topic, quiet_seconds=0.5))
        producer = create_producer(infra.bootstrap_servers, "forger")
        await producer.start()
        try:
            offsets = {}
            for name, (key, value, headers) in bad.items():
                sent = await producer.send_and_wait(topic, value, key=key, headers=headers)
                offsets[name] = (sent.partition, sent.offset)
        finally:
            await producer.stop()
        later = await file_dossiers(stack.api_url, 4, seed=32)
        await wait_for_statuses(stack.api_url, later, {10}, timeout=120)
        records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.5)
        for _ in range(100):  # the archive catches up within a batch or two
            if await archived(database_url, topic) == len(records):
                break
            await asyncio.sleep(0.2)
        assert await archived(database_url, topic) == len(records)

    dead = await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX, quiet_seconds=0.5)
    reasons = {(header(r, Headers.DLQ_CONSUMER), r.value): header(r, Headers.DLQ_REASON)
               for r in dead}
    unsigned, tampered, forged = (bad[n][1] for n in ("unsigned", "bad signature", "forged"))
    for consumer in ("intake", "appraisal"):
        assert reasons[consumer, unsigned] == \
            "signature: the event is not signed (no producer.key_id or signature)"
        assert reasons[consumer, tampered] == \
            "signature: the signature does not verify with key intake-1"
    for consumer in ("intake", "signing"):
        assert reasons[consumer, forged].startswith("entitlement: DossierApproved for agency ")
    assert len(dead) == 6

    expected = {(*offsets["unsigned"], "signature"), (*offsets["bad signature"], "signature"),
                (*offsets["forged"], "entitlement")}
    registry = signing_keys / "registry.json"
    for source in (TopicSource(infra.bootstrap_servers, topic), ArchiveSource(database_url, topic)):
        result = await asyncio.to_thread(replay, source, registry, workers=2,
                                         database_url=database_url)
        report = result.report()
        assert {(f["partition"], f["offset"], f["kind"]) for f in report["findings"]} == \
            expected, (source, report["findings"])
        assert report["events"] == len(records) and report["dossiers"] == 8
        assert report["statuses"] == {"10": 8}

    # The intake database altered behind the log's back: the replay says where it differs.
    altered, pruned = first[0], first[1]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            applied = await connection.scalar(text(
                "SELECT count(*) FROM intake.timeline WHERE dossier_id = :id"), {"id": pruned})
            await connection.execute(text(
                "UPDATE intake.dossiers SET status_code = 4 WHERE id = :id"), {"id": altered})
            await connection.execute(text(
                "DELETE FROM intake.timeline WHERE dossier_id = :id AND type = 'DossierApproved'"),
                {"id": pruned})
    finally:
        await engine.dispose()
    result = await asyncio.to_thread(replay, ArchiveSource(database_url, topic), registry,
                                     workers=2, database_url=database_url)
    database = {(f["dossier_id"], f["reason"]) for f in result.report()["findings"]
                if f["kind"] == "database"}
    assert database == {
        (altered, "intake's database shows status 4; the log rebuilds status 10"),
        (pruned, f"intake's timeline holds {applied - 1} event(s), the log applied {applied}"),
    }
