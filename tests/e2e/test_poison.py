"""Poison on the real stack: while 40 dossiers are filed over HTTP, a raw Kafka client puts every
kind of bad record on the dossier topic, keyed like the good dossiers so they share partitions
and batches with them. Every bad record is dead-lettered, with its reason, exactly once by each
consumer the rule names (motcua_runtime.consumer); every good dossier is delivered exactly once.
Then an operator skips a parked event with `motcua dlq skip` and the running consumer carries it
out and records it on the topic."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections import Counter, defaultdict

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from motcua_cli.main import main as motcua
from motcua_contracts import DLQ_SUFFIX, Headers, headers_for, uuid7
from motcua_runtime.db import create_engine
from motcua_runtime.kafka import max_message_bytes
from tests.runtime.test_redelivery import accepted_event
from tests.support import (
    file_dossiers,
    read_topic,
    resigned,
    running_stack,
    signed,
    statuses,
    wait_for_statuses,
)

pytestmark = pytest.mark.e2e

GOOD = 40


def header(record, name: str) -> str | None:
    """A header as text; the poison carries headers that are not UTF-8."""
    for key, value in record.headers:
        if key == name:
            return value.decode(errors="replace")
    return None
EVERY_HANDLER = {"intake", "appraisal", "operations"}  # who handles DossierAccepted
GUARD = {"intake"}


def bad_records(keys: list[bytes]) -> list[tuple[str, bytes, list, set[str], str]]:
    """(kind, value, headers, the consumers that must dead-letter it, how its reason starts).
    Every value differs, so each is found by its SHA-256. The known-type ones say
    DossierAccepted (agency BHXH), with headers that match their body unless the kind is
    about headers."""
    event = signed(accepted_event(), "intake")
    document = json.loads(event.model_dump_json())

    def variant(kind: str, **extra) -> dict:
        return {**document, "event_id": str(uuid7()), "chaos": kind, **extra}

    def headers_of(body: bytes | dict, **replaced: bytes) -> list:
        doc = body if isinstance(body, dict) else json.loads(body)
        said = {**{n: v for n, v in headers_for(event)}, Headers.EVENT_ID: doc["event_id"].encode(),
                Headers.EVENT_HASH: str(doc.get("hash")).encode()}
        return [(n, replaced.get(n, v)) for n, v in said.items()]

    def signed_variant(kind: str, **extra) -> bytes:
        return resigned(variant(kind, **extra), "intake")

    changed = json.loads(signed_variant("changed"))
    changed["dossier"]["applicant_name"] = "Kẻ Mạo Danh"
    forged = {**json.loads(signed_variant("forged")),
              "signature": base64.b64encode(b"\x01" * 64).decode()}
    truncated, utf8, bare = (signed_variant(k) for k in ("truncated", "utf8", "bare"))
    missing, mismatch = signed_variant("missing"), signed_variant("mismatch")
    newer = signed_variant("newer", schema_version=99)
    big = signed_variant("oversized", padding="x" * (2 * 1024 * 1024))
    teleported = json.dumps(variant("teleported", type="DossierTeleported")).encode()
    forged_hand_offs = [signed_variant(f"forged {n}", dossier_id=str(uuid7()),
                                       causation_id=str(uuid7()), causation_hash="ab" * 32)
                        for n in range(10)]
    return [
        ("invalid JSON", b"{not json", headers_of(document), EVERY_HANDLER, "invalid JSON"),
        ("truncated JSON", truncated[:-9], headers_of(truncated), EVERY_HANDLER,
         "invalid JSON"),
        ("non-UTF-8 header", utf8, headers_of(utf8, **{Headers.DOSSIER_ID: b"\xff\xfe"}),
         EVERY_HANDLER, "header 'dossier_id' is not UTF-8"),
        ("missing headers", missing, [(Headers.TYPE, b"DossierAccepted"),
                                      (Headers.AGENCY, b"BHXH")], EVERY_HANDLER,
         "missing header(s)"),
        ("no headers at all", bare, [], GUARD, "no type header"),
        ("unknown type", teleported, [(Headers.TYPE, b"DossierTeleported")], GUARD,
         "unknown event type 'DossierTeleported'"),
        ("schema_version 99", newer, headers_of(newer), EVERY_HANDLER,
         "DossierAccepted schema_version 99 is newer"),
        ("wrong signature", json.dumps(forged).encode(), headers_of(forged), EVERY_HANDLER,
         "signature:"),
        ("one field changed", json.dumps(changed).encode(), headers_of(changed), EVERY_HANDLER,
         "hash:"),
        # DossierSubmitted is handled by intake and operations only.
        ("type header mismatch", mismatch,
         headers_of(mismatch, **{Headers.TYPE: b"DossierSubmitted"}), {"intake", "operations"},
         "type header 'DossierSubmitted' does not match the body's type"),
        # Signed and valid, but over the record limit: nothing of ours is that large.
        ("oversized", big, headers_of(big), EVERY_HANDLER, "record of "),
        # What intake's stolen key can sign: hand-offs for dossiers nobody filed. Every stage
        # that acts on DossierAccepted refuses them; the others learn nothing from them.
        *(("forged hand-off", body, headers_of(body, **{
            Headers.DOSSIER_ID: json.loads(body)["dossier_id"].encode()}), EVERY_HANDLER,
           "chain: the cause of DossierAccepted") for body in forged_hand_offs),
    ]


async def inject(bootstrap: str, topic: str, records, keys: list[bytes]) -> list:
    """Put the records on the topic; returns those the broker took (it may refuse the 2 MB
    one: the topic's max.message.bytes is the record limit)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False,
                                max_request_size=4 * max_message_bytes(), request_timeout_ms=30_000)
    await producer.start()
    taken = []
    try:
        for index, (kind, value, headers, *_) in enumerate(records):
            try:
                await producer.send_and_wait(topic, value, key=keys[index % len(keys)],
                                             headers=headers)
                taken.append(records[index])
            except Exception as error:  # noqa: BLE001 - only the oversized one may be refused
                assert kind == "oversized", (kind, error)
    finally:
        await producer.stop()
    return taken


async def dead_letter_rows(database_url: str) -> list[dict]:
    engine = create_engine(database_url, pool_size=1)
    found = []
    try:
        async with engine.connect() as connection:
            for schema in ("intake", "appraisal", "approval", "signing", "delivery",
                           "operations"):
                rows = (await connection.execute(text(
                    f"SELECT id, state, reason, value, headers, dossier_id, resolved_by, "
                    f"resolution FROM {schema}.dead_letters ORDER BY id"))).mappings().all()
                found += [{**row, "service": schema} for row in rows]
    finally:
        await engine.dispose()
    return found


def value_sha256(row_headers: list) -> str | None:
    for name, value in row_headers:
        if name == Headers.DLQ_VALUE_SHA256:
            return base64.b64decode(value).decode()
    return None


async def cli(argv: list[str]) -> int:
    try:
        return await asyncio.to_thread(motcua, argv)
    except SystemExit as exit_:
        return 1 if exit_.code else 0


async def test_every_bad_record_is_dead_lettered_by_whom_the_rule_says_and_none_costs_a_dossier(
        infra, log_dir, monkeypatch):
    started = time.monotonic()
    database_url, topic = await infra.isolated("poison")
    with running_stack(infra, database_url, topic, log_dir, operations=True) as stack:
        ids: list[str] = []
        filing = asyncio.create_task(file_dossiers(stack.api_url, GOOD, seed=31, into=ids))
        while len(ids) < 5:
            await asyncio.sleep(0.05)
        keys = [i.encode() for i in ids[:5]]  # the good dossiers' partitions
        injected = await inject(infra.bootstrap_servers, topic, bad_records(keys), keys)
        await filing

        # A handler-refused event: the first delivered dossier's acceptance again, re-signed
        # under a new id (a stale hand-off). Every consumer of DossierAccepted refuses it.
        first = await wait_first_delivered(stack.api_url, ids)
        accepted = next(r for r in await read_topic(infra.bootstrap_servers, topic,
                                                    quiet_seconds=0.5)
                        if header(r, Headers.TYPE) == "DossierAccepted"
                        and header(r, Headers.DOSSIER_ID) == first)
        stale = resigned(json.loads(accepted.value) | {"event_id": str(uuid7())}, "intake")
        stale_headers = [(n, v) for n, v in accepted.headers
                         if n not in (Headers.EVENT_ID, Headers.EVENT_HASH)]
        stale_headers += [(Headers.EVENT_ID, json.loads(stale)["event_id"].encode()),
                          (Headers.EVENT_HASH, json.loads(stale)["hash"].encode())]
        await inject(infra.bootstrap_servers, topic,
                     [("handler refused", stale, stale_headers, EVERY_HANDLER, "")],
                     [accepted.key])

        final = await wait_for_statuses(stack.api_url, ids, {10}, timeout=150)
        assert Counter(final.values()) == {10: GOOD}
        rows = await wait_rows(database_url, injected)

        # The operator sets the stale acceptance aside at intake; the running intake does it.
        monkeypatch.setenv("DATABASE_URL", database_url)
        parked = next(r for r in rows if r["service"] == "intake" and r["state"] == "parked")
        assert await cli(["dlq", "skip", f"intake:{parked['id']}", "--reason", "bản sao cũ"]) == 0
        skipped = await wait_resolved(database_url, "intake", parked["id"])
        assert (skipped["state"], skipped["resolution"]) == ("skipped", "skipped: bản sao cũ")
        # At appraisal a retry is refused again (the dossier was handed on long ago): the row
        # stays parked and says why.
        at_appraisal = next(r for r in rows
                            if r["service"] == "appraisal" and r["state"] == "parked")
        assert await cli(["dlq", "retry", f"appraisal:{at_appraisal['id']}"]) == 0
        retried = await wait_resolved(database_url, "appraisal", at_appraisal["id"])
        assert retried["state"] == "parked"
        assert retried["resolution"].startswith("retry by ")
        assert "failed: " in retried["resolution"]
        await asyncio.sleep(1.5)  # the last dead letters and the resolution leave the outboxes
    records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
    dlq = await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX, quiet_seconds=1)

    delivered = Counter(header(r, Headers.DOSSIER_ID) for r in records
                        if header(r, Headers.TYPE) == "ResultDelivered")
    assert all(delivered[i] == 1 for i in ids), "a good dossier was delivered twice or never"

    by_value: dict[str, list] = defaultdict(list)
    for record in dlq:
        by_value[header(record, Headers.DLQ_VALUE_SHA256)].append(record)
        assert len(record.value) + sum(len(v) for _, v in record.headers) < max_message_bytes()
    # The 2 MB record is over the topic's limit; the embedded broker takes it anyway (Apache
    # Kafka would refuse it at the producer's send, which `inject` allows for that one kind).
    assert len(injected) in (len(bad_records([b"k"])), len(bad_records([b"k"])) - 1)
    expected = [*injected, ("handler refused", stale, [], EVERY_HANDLER,
                            "IllegalTransition: DossierAccepted cannot happen now")]
    for kind, value, _, who, reason in expected:
        digest = hashlib.sha256(value).hexdigest()
        letters = by_value.pop(digest, [])
        consumers = Counter(header(r, Headers.DLQ_CONSUMER) for r in letters)
        assert consumers == Counter(who), (kind, consumers)
        if kind != "handler refused":  # each consumer refuses it in its own words
            assert all(header(r, Headers.DLQ_REASON).startswith(reason) for r in letters), \
                (kind, [header(r, Headers.DLQ_REASON) for r in letters])
        else:
            assert all(header(r, Headers.DLQ_REASON) for r in letters), kind
        stored = [r for r in rows if value_sha256(r["headers"]) == digest]
        assert Counter(r["service"] for r in stored) == Counter(who), (kind, stored)
        state = "parked" if kind == "handler refused" else "dead"
        assert {r["state"] for r in stored} == {state}, (kind, stored)
        if kind == "oversized":
            assert all(len(r.value) == 4096 for r in letters)
            assert all(header(r, Headers.DLQ_TRUNCATED) == "true" for r in letters)
    assert by_value == {}, f"dead letters nobody injected: {list(by_value)}"
    resolved = [json.loads(r.value) for r in records
                if header(r, Headers.TYPE) == "DeadLetterResolved"]
    assert [(e["producer"]["service"], e["resolution"], e["note"], e["causation_id"])
            for e in resolved] == [("intake", "skipped", "bản sao cũ",
                                    json.loads(stale)["event_id"])]
    assert resolved[0]["actor"].startswith("operator:")
    assert time.monotonic() - started < 240


async def wait_first_delivered(api_url: str, ids: list[str], timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [i for i, code in (await statuses(api_url, ids[:10])).items() if code == 10]
        if done:
            return done[0]
        await asyncio.sleep(0.3)
    raise AssertionError("no dossier delivered")


async def wait_rows(database_url: str, injected, timeout: float = 60) -> list[dict]:
    """Until every consumer named has stored every bad record (their batches may lag)."""
    wanted = sum(len(who) for *_, who in injected) + len(EVERY_HANDLER)
    deadline = time.monotonic() + timeout
    while True:
        rows = await dead_letter_rows(database_url)
        held = [r for r in rows if r["state"] in ("dead", "parked")]
        if len(held) >= wanted or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)


async def wait_resolved(database_url: str, service: str, row_id: int,
                        timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = next(r for r in await dead_letter_rows(database_url)
                   if r["service"] == service and r["id"] == row_id)
        if row["resolution"]:
            return row
        await asyncio.sleep(0.5)
    raise AssertionError(f"{service}:{row_id} was not resolved by the running consumer")
