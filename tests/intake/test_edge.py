"""Intake's edge on a real Postgres: oversized bodies are a 413 and oversized filings a 422
before anything is stored, the largest accepted filing makes an event the broker takes, and an
Idempotency-Key files a dossier once however often (and however concurrently) it is sent."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts.dossier import Document, DossierFacts
from motcua_contracts.intake import (
    MAX_DATA_BYTES,
    MAX_DATA_FIELDS,
    MAX_DOCUMENTS,
    DossierSubmitted,
    SupplementProvided,
)
from motcua_intake.api import create_api
from motcua_intake.deadline_watch import watch_deadlines
from motcua_intake.filing.applicant import SupplementFiling
from motcua_intake.orm import OUTBOX, Dossier, IdempotentRequest, StoredUpload
from motcua_runtime.db import create_engine
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES
from motcua_runtime.kafka import DEFAULT_MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from motcua_runtime.kafka import create_producer
from motcua_runtime.outbox import OutboxRelay, OutgoingMessage
from motcua_runtime.stage import Emitter
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import dossier_files, signer_of

PROCEDURE = default_catalogue().procedures["2.000488"].model_dump()
TWENTY_MB = 20 * 1024 * 1024
WIDE = "𝔸"  # four bytes in UTF-8: the widest a character can make a record


@pytest.fixture
async def api(infra):
    database_url, topic = await infra.isolated("edge")
    engine = create_engine(database_url)
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(),
                     signer=signer_of("intake"),
                     files=dossier_files())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake", timeout=60) as client:
        await upload_sample_files(client, [PROCEDURE])
        yield client, engine
    await engine.dispose()


def valid(seed: int = 1) -> dict:
    return sample_submission(PROCEDURE, random.Random(seed))


async def stored(engine) -> tuple[int, int]:
    async with engine.connect() as connection:
        dossiers = await connection.scalar(select(func.count()).select_from(Dossier))
        outbox = await connection.scalar(select(func.count()).select_from(OUTBOX))
    return dossiers, outbox


async def test_a_20_mb_body_is_a_413_by_content_length_and_nothing_is_stored(api):
    client, engine = api
    body = valid()
    body["data"] = {"scan": "x" * TWENTY_MB}
    response = await client.post("/api/dossiers", content=json.dumps(body),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert f"over the {DEFAULT_MAX_BODY_BYTES} bytes" in response.json()["message"]
    assert "Content-Length" in response.json()["message"]
    assert await stored(engine) == (0, 0)


async def test_a_chunked_body_that_grows_past_the_limit_is_a_413_and_nothing_is_stored(api):
    client, engine = api
    sent = []

    async def chunks():
        yield b'{"procedure_code": "2.000488", "data": {"scan": "'
        for _ in range(TWENTY_MB // 65536):
            sent.append(1)
            yield b"x" * 65536
        yield b'"}}'

    response = await client.post("/api/dossiers", content=chunks(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "while streaming" in response.json()["message"]
    # Refused at the limit, not after reading 20 MB.
    assert len(sent) * 65536 <= DEFAULT_MAX_BODY_BYTES + 2 * 65536
    assert await stored(engine) == (0, 0)
    # A small chunked body goes through.
    small = json.dumps(valid()).encode()

    async def few():
        yield small[:100]
        yield small[100:]

    assert (await client.post("/api/dossiers", content=few(),
                              headers={"content-type": "application/json"})).status_code == 202


@pytest.mark.parametrize("change, field", [
    (lambda b: b.update(data={"note": "x" * (MAX_DATA_BYTES + 1)}), "data: "),
    (lambda b: b.update(data={f"f{i}": 1 for i in range(MAX_DATA_FIELDS + 1)}), "data: "),
    (lambda b: b.update(data={"a": [[[[[[1]]]]]]}), "data: "),
    (lambda b: b.update(documents=b["documents"] * (MAX_DOCUMENTS + 1)), "documents: "),
    (lambda b: b["applicant"].update(full_name="x" * 201), "applicant.full_name"),
    (lambda b: b["delivery"].update(address="x" * 501), "delivery.address"),
])
async def test_an_oversized_filing_is_a_422_naming_the_field_and_nothing_is_stored(
        api, change, field):
    client, engine = api
    body = valid()
    change(body)
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert await stored(engine) == (0, 0)


async def test_an_oversized_supplement_is_a_422_naming_the_documents(api):
    client, _ = api
    document = valid()["documents"][0]
    response = await client.post("/api/dossiers/X-1/supplement", json={
        "id_number": "010203004567", "documents": [document] * (MAX_DOCUMENTS + 1)})
    assert response.status_code == 422 and "documents: " in response.json()["message"]


def largest_filing() -> dict:
    """Every field of a filing at its limit, in four-byte characters where text is free."""
    body = valid()
    body["applicant"].update(full_name=WIDE * 200, address=WIDE * 500,
                             email="a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + ".vn")
    body["delivery"] = {"channel": "postal", "address": WIDE * 500}
    # A stored file (the test makes its row say the contract's largest size, as uploading
    # 50 MB would), named by every document.
    body["documents"] = [{"name": WIDE * 300, "sha256": body["documents"][0]["sha256"]}
                         ] * MAX_DOCUMENTS
    # As many bytes of data as accepted: one field of wide characters, padded with ASCII.
    overhead = len('{"x":""}')
    wide = (MAX_DATA_BYTES - overhead) // 4
    body["data"] = {"x": WIDE * wide + "y" * (MAX_DATA_BYTES - overhead - 4 * wide)}
    return body


def record_size(message: OutgoingMessage) -> int:
    """What the producer (and the broker) count against their limit: a batch of this record."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(
        message.key, message.value, message.headers)


async def test_the_largest_accepted_filing_makes_records_the_broker_takes(api):
    client, engine = api
    body = largest_filing()
    async with engine.begin() as connection:
        await connection.execute(update(StoredUpload).values(size=50_000_000))
    response = await client.post("/api/dossiers", json=body)
    assert response.status_code == 202, response.text
    async with engine.connect() as connection:
        row = (await connection.execute(select(OUTBOX))).one()
    submitted = OutgoingMessage(row.topic, row.key, row.value, [
        (name, base64.b64decode(value)) for name, value in row.headers])
    size = record_size(submitted)
    assert size > MAX_DATA_BYTES + MAX_DOCUMENTS * 1200  # it really is the largest filing
    # Room for what a dead letter adds (the reason in headers) and for trace headers.
    assert size + 16 * 1024 < MAX_MESSAGE_BYTES, size
    # The largest supplement, with the dossier's facts (the data again) on the hand-off.
    filing = SupplementFiling.model_validate(
        {"id_number": body["applicant"]["id_number"], "documents": body["documents"]})
    sealed = DossierSubmitted.model_validate_json(row.value)  # as intake sealed them
    facts = DossierFacts(code="000.00.15.H38-251124-0007", procedure_code=body["procedure_code"],
                         applicant=sealed.applicant,
                         received_at=datetime.now(timezone.utc), delivery_channel="postal",
                         delivery_address=sealed.delivery.address, data=body["data"])
    signer = signer_of("intake")
    emitter = Emitter(signer.producer, row.topic, sign=signer.sign)
    emitter.emit(SupplementProvided, cause=DossierSubmitted.model_validate_json(row.value),
                 actor="applicant", resumes="appraisal", documents=[
                     Document(name=d.name, sha256=d.sha256, size=50_000_000,
                              media_type="application/pdf") for d in filing.documents],
                 dossier=facts)
    assert record_size(emitter.messages[0]) + 16 * 1024 < MAX_MESSAGE_BYTES
    # And one byte more of data is refused.
    body["data"]["x"] += "y"
    assert (await client.post("/api/dossiers", json=body)).status_code == 422


async def test_the_same_key_and_body_get_the_first_answer_again(api):
    client, engine = api
    body = valid()
    first = await client.post("/api/dossiers", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    # The same body with other whitespace and key order is the same request.
    again = await client.post("/api/dossiers", content=json.dumps(body, indent=4,
                                                                  sort_keys=True),
                              headers={"Idempotency-Key": "k-1",
                                       "content-type": "application/json"})
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await stored(engine) == (1, 1)
    # Another key is another dossier.
    other = await client.post("/api/dossiers", json=body, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 202 and other.json()["dossier_id"] != first.json()["dossier_id"]
    assert await stored(engine) == (2, 2)


async def test_the_same_key_with_another_body_is_a_409(api):
    client, engine = api
    assert (await client.post("/api/dossiers", json=valid(1),
                              headers={"Idempotency-Key": "k"})).status_code == 202
    response = await client.post("/api/dossiers", json=valid(2), headers={"Idempotency-Key": "k"})
    assert response.status_code == 409
    assert "Idempotency-Key 'k' was used for a different filing" in \
        response.json()["detail"]
    assert await stored(engine) == (1, 1)


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tiếng-việt", "tab\tkey"])
async def test_a_malformed_key_is_a_422_naming_the_header(api, key):
    client, engine = api
    response = await client.post("/api/dossiers", json=valid(),
                                 headers={"Idempotency-Key": key.encode()})
    assert response.status_code == 422, response.text
    assert "idempotency-key" in response.json()["message"].lower()
    assert await stored(engine) == (0, 0)


async def test_the_key_is_a_documented_header_parameter(api):
    client, _ = api
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/dossiers"]["post"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert parameter["in"] == "header" and not parameter.get("required", False)
    assert {"409", "413", "422"} <= set(operation["responses"])


async def test_concurrent_requests_with_one_key_file_one_dossier(api):
    client, engine = api
    body = valid()
    answers = await asyncio.gather(*[
        client.post("/api/dossiers", json=body, headers={"Idempotency-Key": "same"})
        for _ in range(8)])
    assert [a.status_code for a in answers] == [202] * 8
    assert len({a.json()["dossier_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
    assert await stored(engine) == (1, 1)


async def test_the_deadline_watch_purges_keys_older_than_a_day(api, infra):
    client, engine = api
    for key in ("old", "new"):
        assert (await client.post("/api/dossiers", json=valid(),
                                  headers={"Idempotency-Key": key})).status_code == 202
    sessions = async_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(update(IdempotentRequest).where(IdempotentRequest.key == "old")
                              .values(created_at=func.now() - timedelta(hours=25)))
    stop = asyncio.Event()
    relay = OutboxRelay(engine, OUTBOX, create_producer(infra.bootstrap_servers, "edge-test"))
    watch = asyncio.create_task(watch_deadlines(engine, "edge.unused", signer_of("intake"),
                                                relay, stop, every=0.2))
    try:
        for _ in range(100):
            async with sessions() as session:
                keys = (await session.scalars(select(IdempotentRequest.key))).all()
            if keys == ["new"]:
                break
            await asyncio.sleep(0.1)
        assert keys == ["new"]
    finally:
        stop.set()
        await watch
