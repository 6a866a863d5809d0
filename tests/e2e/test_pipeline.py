"""The whole pipeline on real parts: the embedded broker, the embedded Postgres, and the five
stage services as processes, driven over HTTP like the portal drives them. The tests of this
module share one stack, since starting it is most of a small test's time, and each looks only
at its own dossiers: 200 dossiers and a bench all delivered; bad records dead-lettered while
processing goes on; a 20 MB filing refused with a clear 413 however it is sent; a result
delivered online downloading as the PAdES-sealed PDF its ResultSigned announced (pyHanko and
poppler's pdfsig find it valid and trusted, intake fetching it from signing's internal endpoint
at the URL the supervisor gives it), one delivered at the counter answering 409, a wrong ID
number 404."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from motcua_cli.bench import bench
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_cli.stackfile import Stack
from motcua_contracts import DLQ_SUFFIX, Headers, uuid7
from motcua_pki import DEV_PASSPHRASE, Keystore
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES
from motcua_signing.seal import verify
from tests.conftest import ARTIFACTS
from tests.signing.pdf_tools import nss_trusting, pdfsig
from tests.support import (
    RunningStack,
    dev_pki,
    file_dossiers,
    header,
    read_topic,
    resigned,
    running_stack,
    signer_of,
    wait_for_statuses,
)

pytestmark = pytest.mark.e2e

TWENTY_MB = 20 * 1024 * 1024
BUSINESS = "2.001610"  # Sở Kế hoạch và Đầu tư: automatic at every stage on the default


@pytest.fixture(scope="module")
async def stack(infra) -> AsyncIterator[RunningStack]:
    database_url, topic = await infra.isolated("pipeline")
    log_dir = ARTIFACTS / "logs" / "test_pipeline"
    log_dir.mkdir(parents=True, exist_ok=True)
    with running_stack(infra, database_url, topic, log_dir) as running:
        yield running


async def logged_in_roles(database_url: str) -> set[str]:
    url = make_url(database_url)
    admin = await asyncpg.connect(user=url.username, database=url.database,
                                  host=url.query.get("host") or url.host, port=url.port)
    try:
        # Client connections only: an autovacuum worker on this database has no user (None).
        rows = await admin.fetch("SELECT DISTINCT usename FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                 "AND backend_type = 'client backend'")
    finally:
        await admin.close()
    return {row[0] for row in rows}


def delivered_per_dossier(records) -> Counter:
    return Counter(header(r, Headers.DOSSIER_ID) for r in records
                   if header(r, Headers.TYPE) == "ResultDelivered")


async def test_two_hundred_dossiers_filed_over_http_and_a_bench_are_all_delivered(
        infra, stack: RunningStack):
    # The module's first test: the topic holds only its dossiers when it counts them.
    database_url, topic = stack.database_url, stack.topic
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
                               database_url=database_url,  # the dossiers' data keys go there
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


async def test_bad_messages_go_to_the_dead_letter_topic_and_processing_goes_on(
        infra, stack: RunningStack):
    topic = stack.topic
    first = await file_dossiers(stack.api_url, 3, seed=21)
    await wait_for_statuses(stack.api_url, first, {10}, timeout=120)
    accepted = next(r for r in await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1)
                    if header(r, Headers.TYPE) == "DossierAccepted"
                    and header(r, Headers.DOSSIER_ID) in first)
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
    # Its own dead letters: the stack's other tests may add theirs.
    dead = [r for r in await read_topic(infra.bootstrap_servers, topic + DLQ_SUFFIX)
            if r.key in (key, accepted.key)]

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


def filing_of(size: int) -> bytes:
    return json.dumps({"procedure_code": "2.000488", "channel": "online",
                       "data": {"scan": "x" * size}}).encode()


async def test_a_20_mb_filing_is_a_413_and_the_next_dossier_is_delivered(stack: RunningStack):
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as client:
        by_length = await client.post("/api/dossiers", content=filing_of(TWENTY_MB),
                                      headers={"content-type": "application/json"})
        assert by_length.status_code == 413, by_length.text
        assert by_length.json()["message"].startswith(
            f"the request body is over the {DEFAULT_MAX_BODY_BYTES} bytes")

        async def chunks():
            body = filing_of(TWENTY_MB)
            for start in range(0, len(body), 256 * 1024):
                yield body[start:start + 256 * 1024]

        streamed = await client.post("/api/dossiers", content=chunks(),
                                     headers={"content-type": "application/json"})
        assert streamed.status_code == 413, streamed.text
        assert "while streaming" in streamed.json()["message"]
        # The same connection goes on serving: the server read past the refused body.
        assert (await client.get("/api/procedures")).status_code == 200
    # An officers' work queue has the same limit.
    async with httpx.AsyncClient(base_url=stack.queue_url("appraisal"), timeout=60) as queue:
        refused = await queue.post("/api/work-items/0/claim", content=b"x" * TWENTY_MB)
        assert refused.status_code == 413 and "message" in refused.json()
    ids = await file_dossiers(stack.api_url, 1, seed=3)
    final = await wait_for_statuses(stack.api_url, ids, {10}, timeout=120)
    assert final == {ids[0]: 10}
    assert all(service.alive() for service in stack.services)
    for name in ("intake", "appraisal"):  # no 500 behind the refusals
        assert "Exception in ASGI application" not in stack.logs(name), name


async def file_for_delivery(client: httpx.AsyncClient, rng: random.Random,
                            delivery: str) -> dict[str, Any]:
    procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
    await upload_sample_files(client, [procedure])
    body = sample_submission(procedure, rng, channel="online")
    body["delivery"] = {"channel": delivery, "address": body["applicant"]["address"]}
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    return {**response.json(), "id_number": body["applicant"]["id_number"]}


async def wait_delivered(client: httpx.AsyncClient, dossier: dict[str, Any]) -> None:
    deadline = time.monotonic() + 90
    while True:
        view = (await client.get(f"/api/dossiers/{dossier['dossier_id']}")).json()
        if view["status"]["code"] == 10:
            return
        assert time.monotonic() < deadline, f"not delivered: {view['status']}"
        await asyncio.sleep(0.3)


async def test_a_result_delivered_online_downloads_as_the_sealed_pdf_it_was_signed_as(
        stack: RunningStack, tmp_path):
    rng = random.Random(23)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
        online = await file_for_delivery(client, rng, "online")
        counter = await file_for_delivery(client, rng, "counter")
        await asyncio.gather(wait_delivered(client, online), wait_delivered(client, counter))
        url = f"/api/dossiers/{online['code']}/result"
        download = await client.get(url, params={"id_number": online["id_number"]})
        wrong = await client.get(url, params={"id_number": "999999999999"})
        at_counter = await client.get(f"/api/dossiers/{counter['code']}/result",
                                      params={"id_number": counter["id_number"]})
    records = await read_topic(stack.bootstrap_servers, stack.topic)

    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == \
        f'attachment; filename="ket-qua-{online["code"]}.pdf"'
    pdf = download.content
    [signed] = [json.loads(r.value) for r in records if header(r, "type") == "ResultSigned"
                and json.loads(r.value)["dossier_id"] == online["dossier_id"]]
    assert hashlib.sha256(pdf).hexdigest() == signed["document_sha256"] == \
        download.headers["x-document-sha256"]

    verdict = verify(pdf, [Keystore.load(dev_pki(), DEV_PASSPHRASE).root])
    assert (verdict.valid, verdict.trusted, verdict.covers_whole_file) == (True, True, True), \
        verdict.summary
    assert "Sở Kế hoạch và Đầu tư" in verdict.signer
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(pdf)
    report = pdfsig(path, nss_trusting(dev_pki() / "root.crt", tmp_path / "nss"))
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report

    assert wrong.status_code == 404
    assert at_counter.status_code == 409
    assert "not online" in at_counter.json()["detail"]
