"""Downloading the signed result, on real Postgres: the applicant's code and ID number checked as
for tracking; 409 saying when and how the result comes when it is not downloadable; the document
handed over only with the SHA-256 that ResultSigned announced (502 otherwise); 503, never 500,
when signing cannot be reached or is not configured."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.embedded import free_port
from motcua_intake.orm import Dossier
from motcua_intake.tracking.result_api import create_result_router
from motcua_intake.tracking.result_documents import (
    DocumentMissing,
    FetchedDocument,
    SigningDocuments,
    SigningUnavailable,
)
from motcua_runtime.db import create_engine
from motcua_runtime.http import install_error_handlers
from motcua_runtime.tokens import ServiceTokens
from tests.intake.tracking_rows import VN, dossier, insert, tracking_app
from tests.support import signer_of

MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
ID = "010203004567"
PDF = b"%PDF-1.7\n% a sealed result would be here\n%%EOF\n"
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()


def tokens() -> ServiceTokens:
    return ServiceTokens(signer_of("intake"))  # the session's keys exist only once it started


def online(status: int, *, delivered_via: str | None = None, sha256: str | None = PDF_SHA256,
           wanted: str = "online", due_at: datetime | None = None) -> Dossier:
    row = dossier(received_at=MONDAY, status=status, channel="online",
                  due_at=due_at or MONDAY + timedelta(days=14))
    row.delivery = {"channel": wanted}
    row.delivered_via, row.result_sha256 = delivered_via, sha256
    return row


DELIVERED = online(10, delivered_via="online")
TAMPERED = online(10, delivered_via="online")
MISSING = online(10, delivered_via="online")
AT_COUNTER = online(10, delivered_via="counter", wanted="counter")
BY_POST = online(4, sha256=None, wanted="postal")
IN_PROGRESS = online(4, sha256=None, due_at=datetime(2025, 12, 8, 17, 0, tzinfo=VN))
SIGNED = online(9)
REFUSED = online(3, sha256=None)
LEGACY = online(10, delivered_via=None, sha256=None)  # tracked before the hash was kept


async def fake_signing(dossier_id: uuid.UUID) -> FetchedDocument:
    """Signing's documents as the fetch port returns them (its own endpoint is tested in
    tests/signing/test_document_api.py, with this service's real client)."""
    if dossier_id == TAMPERED.id:
        return FetchedDocument(PDF.replace(b"sealed", b"forged"), "application/pdf", PDF_SHA256)
    if dossier_id == MISSING.id:
        raise DocumentMissing("signing has no document")
    return FetchedDocument(PDF, "application/pdf", PDF_SHA256)


@pytest.fixture(scope="module")
async def engine(infra):
    database_url, _ = await infra.isolated("results")
    engine = create_engine(database_url)
    await insert(engine, DELIVERED, TAMPERED, MISSING, AT_COUNTER, BY_POST, IN_PROGRESS, SIGNED,
                 REFUSED, LEGACY)
    yield engine
    await engine.dispose()


def client_with(engine, fetch: Callable[[uuid.UUID], Awaitable[FetchedDocument]] | None
                ) -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app, "dossier store")
    app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
    app.include_router(create_result_router(fetch))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


def url(row: Dossier) -> str:
    return f"/api/dossiers/{row.code}/result"


async def test_a_result_delivered_online_downloads_as_the_signed_pdf(engine):
    async with client_with(engine, fake_signing) as client:
        response = await client.get(url(DELIVERED), params={"id_number": ID})

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="ket-qua-{DELIVERED.code}.pdf"'
    assert response.headers["x-document-sha256"] == PDF_SHA256


async def test_the_id_number_is_checked_as_for_tracking(engine):
    async with client_with(engine, fake_signing) as client:
        missing = await client.get(url(DELIVERED))
        wrong = await client.get(url(DELIVERED), params={"id_number": "999999999999"})
        unknown = await client.get("/api/dossiers/000.00.15.H38-251124-9999/result",
                                   params={"id_number": ID})
        by_id = await client.get(f"/api/dossiers/{DELIVERED.id}/result",
                                 params={"id_number": ID})

    assert missing.status_code == 404 and "id_number" in missing.json()["detail"]
    assert wrong.status_code == unknown.status_code == by_id.status_code == 404
    assert wrong.json() == unknown.json() == by_id.json()


@pytest.mark.parametrize("row, english, vietnamese", [
    (AT_COUNTER, "handed over at the one-stop centre's counter, not online", "tại quầy"),
    (BY_POST, "handed over by public postal service, not online", "qua dịch vụ bưu chính"),
    (IN_PROGRESS, "once it is delivered online (status 10); the appointment is 17:00 08/12/2025",
     "thời gian hẹn trả kết quả: 17:00 08/12/2025"),
    (SIGNED, "being delivered online; it can be downloaded within minutes", "sau ít phút"),
    (REFUSED, "ended without a result document", "không có văn bản kết quả"),
    (LEGACY, "delivered before downloads were offered", "liên hệ Trung tâm"),
], ids=["counter", "postal", "in-progress", "signed", "refused", "legacy"])
async def test_a_result_not_delivered_online_says_when_and_how_it_comes(engine, row, english,
                                                                       vietnamese):
    async with client_with(engine, fake_signing) as client:
        response = await client.get(url(row), params={"id_number": ID})

    assert response.status_code == 409
    problem = response.json()
    assert english in problem["detail"] and vietnamese in problem["message_vi"]


async def test_a_document_that_is_not_the_one_signed_is_refused(engine):
    async with client_with(engine, fake_signing) as client:
        tampered = await client.get(url(TAMPERED), params={"id_number": ID})
        missing = await client.get(url(MISSING), params={"id_number": ID})

    assert tampered.status_code == missing.status_code == 502
    assert "not the document announced" in tampered.json()["detail"]
    assert "missing" in missing.json()["detail"]
    assert b"forged" not in tampered.content


async def test_signing_unreachable_is_a_503_with_retry_after(engine):
    nobody = SigningDocuments(f"http://127.0.0.1:{free_port()}", tokens(), timeout=2)
    async with client_with(engine, nobody.fetch) as client:
        response = await client.get(url(DELIVERED), params={"id_number": ID})

    assert response.status_code == 503 and response.headers["retry-after"] == "30"
    assert "retry shortly" in response.json()["detail"]
    with pytest.raises(SigningUnavailable, match="unreachable: ConnectError"):
        await nobody.fetch(DELIVERED.id)


async def test_signing_answering_with_an_error_is_a_503(engine):
    async def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": "boom"})

    broken = SigningDocuments("http://signing", tokens(), transport=httpx.MockTransport(failing))
    async with client_with(engine, broken.fetch) as client:
        response = await client.get(url(DELIVERED), params={"id_number": ID})

    assert response.status_code == 503


async def test_without_a_signing_url_downloads_are_503(engine):
    async with client_with(engine, None) as client:
        response = await client.get(url(DELIVERED), params={"id_number": ID})

    assert response.status_code == 503
    assert "INTAKE_SIGNING_URL" in response.json()["detail"]


async def test_the_lookup_page_offers_the_download_only_when_it_is_available(engine):
    app = tracking_app(engine, MONDAY + timedelta(days=20))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        ready = await client.get("/tra-cuu", params={"code": DELIVERED.code, "id_number": ID})
        counter = await client.get("/tra-cuu", params={"code": AT_COUNTER.code, "id_number": ID})

    assert ready.status_code == counter.status_code == 200
    assert f'action="/api/dossiers/{DELIVERED.code}/result"' in ready.text
    assert "Tải kết quả (PDF, đã ký số)" in ready.text and ID not in ready.text
    assert "/result" not in counter.text
