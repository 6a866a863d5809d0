"""Every record a consumer reads is applied or dead-lettered, never skipped: each bad kind beside
good events in one batch, dead letters keyed by content (not by offset), oversized copies cut to
fit, and a refused event parking its dossier until an operator retries or skips it. Real
Postgres (and, for the subscriber's codec, the real broker); records are built as Kafka hands
them to the consumer."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import uuid
from functools import partial

from aiokafka.structs import ConsumerRecord
from sqlalchemy import select, update

from motcua_appraisal.orm import DEAD_LETTERS, INBOX, OUTBOX, WorkItem
from motcua_appraisal.settings import AppraisalSettings
from motcua_cli.main import main as motcua
from motcua_contracts import Headers, headers_for
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.sealed import Sealed
from motcua_runtime import metrics
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import APPLIED, DEAD, PARKED, RETRIED, SKIPPED, WAITING, create_engine
from motcua_runtime.dead_letter_desk import DeadLetterDesk
from motcua_runtime.kafka import create_producer, max_message_bytes
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.service import run_stage
from motcua_runtime.stage import Rejected, Stage
from motcua_runtime.work_items import WorkItems
from tests.personal import sealed
from tests.runtime.test_redelivery import accepted_event, appraisal
from tests.support import chained_after_root, resigned, signed

_offsets = iter(range(10**6))


def record(value: bytes, headers, key: bytes | None = b"k", offset: int | None = None,
           topic: str = "t") -> ConsumerRecord:
    return ConsumerRecord(topic=topic, partition=0,
                          offset=next(_offsets) if offset is None else offset, timestamp=0,
                          timestamp_type=0, key=key, value=value, checksum=None,
                          serialized_key_size=len(key or b""), serialized_value_size=len(value),
                          headers=tuple(headers))


def record_of(event, offset: int | None = None) -> ConsumerRecord:
    return record(event.model_dump_json().encode(), headers_for(event),
                  key=str(event.dossier_id).encode(), offset=offset)


def accepted_for(dossier_id: uuid.UUID, data: dict | None = None):
    event = accepted_event()
    facts = event.dossier.model_copy(update={"data": Sealed.model_validate(
        sealed(dossier_id, data or {"n": str(uuid.uuid4())}))})
    return signed(event.model_copy(update={"dossier_id": dossier_id, "dossier": facts}))


def bad_records() -> dict[str, ConsumerRecord]:
    """One record of each kind no consumer may apply, all typed DossierAccepted (a type the
    stage handles), so this consumer must dead-letter every one."""
    good = accepted_event()
    value = good.model_dump_json().encode()
    headers = headers_for(good)
    document = json.loads(value)

    def with_header(name: str, new: bytes) -> list:
        return [(n, new if n == name else v) for n, v in headers]

    changed = copy.deepcopy(document)
    changed["dossier"]["code"] = "000.00.22.H38-261124-9999"  # altered after signing
    forged = {**document, "signature": base64.b64encode(b"\x01" * 64).decode()}
    newer = resigned({**document, "schema_version": 99}, "intake")
    return {
        "invalid JSON": record(b"{not json", headers),
        "truncated JSON": record(value[:-20], headers),
        "not an object": record(b"[1, 2, 3]", headers),
        "non-UTF-8 header": record(value, with_header(Headers.DOSSIER_ID, b"\xff\xfe")),
        "missing headers": record(value, [(Headers.TYPE, b"DossierAccepted")]),
        "schema_version 99": record(newer, headers),
        "wrong signature": record(json.dumps(forged).encode(), headers),
        "one field changed": record(json.dumps(changed).encode(), headers),
        "type header mismatch": record(value, with_header(Headers.TYPE, b"DossierStopped")),
        "agency header mismatch": record(value, with_header(Headers.AGENCY, b"BHXH2")),
    }


def emit_appraised(refuse: set[uuid.UUID], event, items, emitter) -> None:
    """Appraises what it is given, in order (the outbox shows the order); refuses the events
    whose id is in `refuse`."""
    if event.event_id in refuse:
        raise Rejected(f"refused {event.event_id}")
    emitter.emit(DossierAppraised, cause=event, dossier=event.dossier, recommendation="approve",
                 findings="ok")


def stage_refusing(refuse: set[uuid.UUID], *, guards_topic: bool = False) -> Stage:
    handler = partial(emit_appraised, refuse)
    return Stage(name="appraisal", outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS,
                 handlers={"DossierAccepted": handler, "DossierStopped": handler},
                 open_repository=partial(WorkItems, model=WorkItem), guards_topic=guards_topic)


async def processor_for(infra, name: str, stage: Stage):
    database_url, topic = await infra.isolated(name)
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0)
    engine = create_engine(database_url)
    return BatchProcessor(stage, engine, settings, OutboxRelay(engine, OUTBOX, None)), engine


async def rows(engine):
    async with engine.connect() as connection:
        return (await connection.execute(select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.id))).all()


async def outbox(engine, topic_suffix: str = ""):
    async with engine.connect() as connection:
        found = (await connection.execute(select(OUTBOX).order_by(OUTBOX.c.id))).all()
    return [row for row in found if row.topic.endswith(".dlq") == (topic_suffix == ".dlq")]


def header_of(row, name: str) -> str | None:
    for key, value in row.headers:
        if key == name:
            return base64.b64decode(value).decode()
    return None


async def test_every_bad_kind_is_dead_lettered_once_and_its_batch_neighbours_apply(infra):
    processor, engine = await processor_for(infra, "poison_kinds", stage_refusing(set()))
    try:
        bad = bad_records()
        first, last = accepted_event(), accepted_event()
        batch = (record_of(first), *bad.values(), record_of(last))
        await processor.process(batch)
        await processor.process(batch)  # redelivered: nothing more
        dead = await rows(engine)
        emitted = await outbox(engine)
        dlq = await outbox(engine, ".dlq")
    finally:
        await engine.dispose()
    assert [row.key for row in emitted] == [str(first.dossier_id).encode(),
                                            str(last.dossier_id).encode()]
    assert len(dead) == len(bad) and {row.state for row in dead} == {DEAD}
    assert all(row.dossier_id is None and row.reason for row in dead)
    reasons = {kind: row.reason for kind, row in zip(bad, dead, strict=True)}
    assert reasons["invalid JSON"].startswith("invalid JSON")
    assert reasons["truncated JSON"].startswith("invalid JSON")
    assert reasons["not an object"].startswith("not a JSON object")
    assert reasons["non-UTF-8 header"] == "header 'dossier_id' is not UTF-8"
    assert reasons["missing headers"].startswith("missing header(s): schema_version")
    assert "schema_version 99 is newer" in reasons["schema_version 99"]
    assert reasons["wrong signature"].startswith("signature:")
    assert reasons["one field changed"].startswith("hash:")
    assert "does not match the body's type" in reasons["type header mismatch"]
    assert "does not match the body's agency" in reasons["agency header mismatch"]
    assert len(dlq) == len(bad)
    assert [header_of(row, Headers.DLQ_REASON) for row in dlq] == list(reasons.values())


async def test_a_dead_letter_is_keyed_by_its_content_not_its_offset(infra):
    """After a broker restart offsets start again at 0: the same offset with other bytes is
    another dead letter; the same bytes at another offset is a redelivery."""
    processor, engine = await processor_for(infra, "poison_keys", stage_refusing(set()))
    try:
        await processor.process((record(b"{one", [(Headers.TYPE, b"DossierAccepted")],
                                        offset=0),))
        await processor.process((record(b"{two", [(Headers.TYPE, b"DossierAccepted")],
                                        offset=0),))
        await processor.process((record(b"{one", [(Headers.TYPE, b"DossierAccepted")],
                                        offset=7),))
        dead = await rows(engine)
    finally:
        await engine.dispose()
    assert [row.value for row in dead] == [b"{one", b"{two"]


async def test_the_topic_guard_alone_dead_letters_what_has_no_known_type(infra):
    unknown = [record(b"{}", [(Headers.TYPE, b"DossierTeleported")]), record(b"{}", []),
               record(b"{}", [(Headers.TYPE, b"\xff")])]
    guard, engine = await processor_for(infra, "poison_guard", stage_refusing(set(),
                                                                          guards_topic=True))
    try:
        await guard.process(tuple(unknown))
        guarded = await rows(engine)
    finally:
        await engine.dispose()
    other, engine = await processor_for(infra, "poison_noguard", stage_refusing(set()))
    try:
        await other.process(tuple(unknown))
        unguarded = await rows(engine)
    finally:
        await engine.dispose()
    assert [row.reason for row in guarded] == ["unknown event type 'DossierTeleported'",
                                               "no type header", "type header is not UTF-8"]
    assert unguarded == []


async def test_an_oversized_record_is_cut_to_fit_the_dead_letter_topic(infra):
    processor, engine = await processor_for(infra, "poison_big", stage_refusing(set()))
    big = b'{"x": "' + b"y" * (2 * max_message_bytes()) + b'"}'
    try:
        await processor.process((record(big, [(Headers.TYPE, b"DossierAccepted")]),))
        dead = await rows(engine)
        dlq = await outbox(engine, ".dlq")
    finally:
        await engine.dispose()
    assert len(dlq) == 1 and len(dead) == 1
    copy_ = dlq[0]
    assert len(copy_.value) == 4096 and copy_.value == big[:4096]
    assert header_of(copy_, Headers.DLQ_TRUNCATED) == "true"
    assert header_of(copy_, Headers.DLQ_VALUE_BYTES) == str(len(big))
    assert header_of(copy_, Headers.DLQ_VALUE_SHA256) == hashlib.sha256(big).hexdigest()
    size = len(copy_.value) + len(copy_.key or b"") + sum(
        len(name) + len(base64.b64decode(v)) for name, v in copy_.headers)
    assert size < max_message_bytes()
    assert dead[0].value == big[:4096] and header_of(dead[0], Headers.DLQ_TRUNCATED) == "true"
    assert dead[0].reason.startswith(f"record of {len(big)} bytes is over the record limit")


async def request(engine, row_id: int, what: str, reason: str | None = None) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == row_id).values(
            requested=what, requested_by="tester", request_reason=reason))


def appraised_causes(emitted) -> list[str]:
    return [json.loads(row.value)["causation_id"] for row in emitted
            if json.loads(row.value)["type"] == "DossierAppraised"]


async def test_a_refused_event_parks_its_dossier_until_a_retry_releases_it_in_order(infra):
    refuse: set[uuid.UUID] = set()
    stage = stage_refusing(refuse)
    processor, engine = await processor_for(infra, "poison_park", stage)
    parked_dossier, other = uuid.uuid4(), uuid.uuid4()
    x1, x2, x3 = (accepted_for(parked_dossier) for _ in range(3))
    y1 = accepted_for(other)
    refuse.add(x1.event_id)
    try:
        await processor.process((record_of(x1), record_of(y1), record_of(x2)))
        await processor.process((record_of(x3),))  # a later batch waits as well
        held = await rows(engine)
        assert [(row.message_id, row.state) for row in held] == [
            (x1.event_id, PARKED), (x2.event_id, WAITING), (x3.event_id, WAITING)]
        assert held[0].dossier_id == parked_dossier and held[0].reason.startswith("Rejected")
        assert appraised_causes(await outbox(engine)) == [str(y1.event_id)]
        assert len(await outbox(engine, ".dlq")) == 1  # the parked one, not those waiting

        desk = DeadLetterDesk(processor)
        await request(engine, held[0].id, "retry")
        await desk.resolve_requests()  # still refused: stays parked, says why
        after_failed = await rows(engine)
        assert after_failed[0].state == PARKED and after_failed[0].requested is None
        assert after_failed[0].resolution.startswith("retry by tester failed: Rejected")

        refuse.clear()
        await request(engine, held[0].id, "retry")
        await desk.resolve_requests()
        done = await rows(engine)
        emitted = await outbox(engine)
    finally:
        await engine.dispose()
    assert [row.state for row in done] == [RETRIED, APPLIED, APPLIED]
    assert {row.resolved_by for row in done} == {"tester"}
    assert appraised_causes(emitted) == [str(e.event_id) for e in (y1, x1, x2, x3)]
    resolved = [json.loads(row.value) for row in emitted
                if json.loads(row.value)["type"] == "DeadLetterResolved"]
    assert len(resolved) == 1
    assert resolved[0]["causation_id"] == str(x1.event_id)
    assert resolved[0]["actor"] == "operator:tester"
    assert (resolved[0]["resolution"], resolved[0]["released"]) == ("retried", 2)


async def test_a_skip_sets_the_parked_event_aside_and_releases_the_rest(infra):
    refuse: set[uuid.UUID] = set()
    processor, engine = await processor_for(infra, "poison_skip", stage_refusing(refuse))
    dossier = uuid.uuid4()
    z1, z2, z3 = (accepted_for(dossier) for _ in range(3))
    refuse.update({z1.event_id, z3.event_id})
    try:
        await processor.process((record_of(z1), record_of(z2), record_of(z3)))
        held = await rows(engine)
        await request(engine, held[0].id, "skip", "nhập trùng")
        desk = DeadLetterDesk(processor)
        await desk.resolve_requests()
        await desk.refresh_gauges()
        done = await rows(engine)
        emitted = await outbox(engine)
    finally:
        await engine.dispose()
    # z2 applies; z3 is refused on release and becomes the new head.
    assert [row.state for row in done] == [SKIPPED, APPLIED, PARKED]
    assert done[0].resolution == "skipped: nhập trùng"
    assert metrics.PARKED_DOSSIERS.labels("appraisal")._value.get() == 1  # z3's dossier
    assert {state: metrics.DEAD_LETTER_ROWS.labels("appraisal", state)._value.get()
            for state in (SKIPPED, APPLIED, PARKED)} == {SKIPPED: 1, APPLIED: 1, PARKED: 1}
    assert appraised_causes(emitted) == [str(z2.event_id)]
    resolved = [json.loads(row.value) for row in emitted
                if json.loads(row.value)["type"] == "DeadLetterResolved"]
    assert [(r["resolution"], r["note"], r["released"]) for r in resolved] == [
        ("skipped", "nhập trùng", 1)]


async def test_the_running_consumer_dead_letters_what_faststream_could_not_decode(infra):
    """Through the real subscriber: records that say `content-type: application/json` but are
    not JSON, and a header that is not UTF-8, beside a good event. Before raw decoding the
    whole batch raised and the good event was lost with it."""
    database_url, topic = await infra.isolated("poison_subscriber")
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic,
                                 KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, metrics_port=0)
    root, good = chained_after_root(accepted_event())
    headers = headers_for(good)
    bad_header = [(n, b"\xff\xfe" if n == Headers.AGENCY else v) for n, v in headers]
    producer = create_producer(infra.bootstrap_servers, "poison-test")
    await producer.start()
    key = str(good.dossier_id).encode()
    try:  # one partition (one key), so one batch
        await producer.send_and_wait(topic, root.model_dump_json().encode(), key=key,
                                     headers=headers_for(root))
        await producer.send_and_wait(topic, b"{not json", key=key, headers=headers)
        await producer.send_and_wait(topic, good.model_dump_json().encode(), key=key,
                                     headers=headers)
        await producer.send_and_wait(topic, good.model_dump_json().encode()[:-3], key=key,
                                     headers=bad_header)
    finally:
        await producer.stop()
    stop = asyncio.Event()
    service = asyncio.create_task(run_stage(settings, appraisal(), stop=stop))
    engine = create_engine(database_url)
    try:
        for _ in range(300):
            if len(await rows(engine)) == 2:
                break
            await asyncio.sleep(0.1)
        async with engine.connect() as connection:
            items = (await connection.scalars(select(WorkItem.dossier_id))).all()
        dead = await rows(engine)
    finally:
        stop.set()
        await service
        await engine.dispose()
    assert items == [good.dossier_id]
    assert [row.reason.split(":")[0] for row in dead] == ["invalid JSON",
                                                          "header 'agency' is not UTF-8"]


async def test_the_dlq_commands_list_show_and_request_what_the_consumer_then_does(
        infra, monkeypatch, capsys):
    refuse: set[uuid.UUID] = set()
    processor, engine = await processor_for(infra, "poison_cli", stage_refusing(refuse))
    parked, other = uuid.uuid4(), uuid.uuid4()
    p1, p2 = accepted_for(parked), accepted_for(parked)
    o1 = accepted_for(other)
    refuse.update({p1.event_id, o1.event_id})
    monkeypatch.setenv("DATABASE_URL", str(processor.settings.database_url.get_secret_value()))
    try:
        await processor.process((record_of(p1), record_of(p2), record_of(o1),
                                 record(b"{not json", [(Headers.TYPE, b"DossierAccepted")])))
        capsys.readouterr()
        assert await cli(["dlq", "list", "--service", "appraisal", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(r["state"], r["dossier_id"]) for r in listed] == [
            (PARKED, str(parked)), (WAITING, str(parked)), (PARKED, str(other)), (DEAD, None)]
        ids = [r["id"] for r in listed]
        assert await cli(["dlq", "list", "--state", "dead"]) == 0
        assert capsys.readouterr().out.startswith(f"appraisal:{ids[3]}  dead")

        assert await cli(["dlq", "show", f"appraisal:{ids[0]}"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["message_id"] == str(p1.event_id)
        assert shown["headers"][Headers.TYPE] == "DossierAccepted"
        assert json.loads(shown["value"])["event_id"] == str(p1.event_id)

        refuse.clear()
        assert await cli(["dlq", "retry", f"appraisal:{ids[0]}"]) == 0
        assert f"requested retry of 1: appraisal:{ids[0]}" in capsys.readouterr().out
        assert await cli(["dlq", "skip", f"appraisal:{ids[2]}", "--reason", "trùng"]) == 0
        # A waiting row is resolved with the parked one it waits behind, not on its own.
        assert await cli(["dlq", "retry", f"appraisal:{ids[1]}"]) == 1
        capsys.readouterr()
        requested = {row.id: (row.requested, row.requested_by, row.request_reason)
                     for row in await rows(engine)}
        assert requested[ids[0]][0] == "retry" and requested[ids[0]][1]
        assert requested[ids[2]] == ("skip", requested[ids[0]][1], "trùng")
        assert requested[ids[1]] == (None, None, None)

        await DeadLetterDesk(processor).resolve_requests()
        capsys.readouterr()  # the desk's log lines
        assert await cli(["dlq", "list", "--json", "--state", "retried", "--state", "skipped",
                          "--state", "applied"]) == 0
        resolved = json.loads(capsys.readouterr().out)
    finally:
        await engine.dispose()
    assert [(r["id"], r["state"]) for r in resolved] == [(ids[0], RETRIED), (ids[1], APPLIED),
                                                         (ids[2], SKIPPED)]


async def cli(argv: list[str]) -> int:
    """`motcua ...` as an operator runs it (its own event loop, so in a thread here)."""
    try:
        return await asyncio.to_thread(motcua, argv)
    except SystemExit as exit_:
        return 1 if exit_.code else 0


async def test_a_dead_record_retried_applies_once_its_key_is_known_and_not_before(infra):
    """An event signed with a key the registry did not have yet is DEAD; once the key is
    registered, `retry` applies it (its event id then goes into the inbox). A record that still
    cannot be read stays DEAD with the reason."""
    from motcua_runtime.keys import KeyRegistry
    from motcua_runtime.trust import Verifier

    stage = stage_refusing(set())
    database_url, topic = await infra.isolated("poison_dead_retry")
    settings = AppraisalSettings(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0)
    engine = create_engine(database_url)
    relay = OutboxRelay(engine, OUTBOX, None)
    before = BatchProcessor(stage, engine, settings, relay, verifier=Verifier(KeyRegistry({})))
    after = BatchProcessor(stage, engine, settings, relay)
    event = accepted_event()
    try:
        await before.process((record_of(event), record(b"{nope", headers_for(event))))
        dead = await rows(engine)
        assert [(row.state, row.reason.split(":")[0]) for row in dead] == [
            (DEAD, "key"), (DEAD, "invalid JSON")]
        for row in dead:
            await request(engine, row.id, "retry")
        await DeadLetterDesk(after).resolve_requests()
        done = await rows(engine)
        emitted = await outbox(engine)
        await after.process((record_of(event),))  # the real event again: already applied
        emitted_again = await outbox(engine)
    finally:
        await engine.dispose()
    assert [row.state for row in done] == [RETRIED, DEAD]
    assert done[0].dossier_id == event.dossier_id
    assert done[1].resolution.startswith("retry by tester failed: invalid JSON")
    assert appraised_causes(emitted) == [str(event.event_id)]
    assert len(emitted_again) == len(emitted)


async def test_the_subscriber_codec_takes_any_headers_and_decodes_no_body():
    """FastStream's own batch parser decodes every header as strict UTF-8 (a null one breaks it
    too); ours falls back to blanked copies and hands the original records on."""
    from faststream.kafka.message import FAKE_CONSUMER, KafkaAckableMessage
    from faststream.kafka.parser import AioKafkaBatchParser

    from motcua_runtime.records import raw_batch, raw_bodies

    default = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    default._setup(FAKE_CONSUMER)
    records = (record(b"{not json", [("content-type", b"application/json")]),
               record(b"{}", [(Headers.TYPE, b"\xff"), ("x", None)]))
    try:
        await default.parse_batch(records)
    except Exception:  # noqa: BLE001 - what ours must not do
        pass
    else:
        raise AssertionError("FastStream's parser now takes bad headers: simplify raw_batch")
    message = await raw_batch(records, default.parse_batch)
    assert message.raw_message is records
    assert await raw_bodies(message) == [b"{not json", b"{}"]
