"""Signing's internal documents endpoint on real Postgres, called by intake's own client: only a
service token with the `service:intake` role opens it (401 without or with a bad one, 403 for an
officer), it answers the stored bytes with their SHA-256, and 404 when nothing was issued."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.embedded import create_database
from motcua_contracts import uuid7
from motcua_intake.result_documents import (DocumentMissing, SigningDocuments,
                                            SigningUnavailable)
from motcua_runtime.db import create_engine
from motcua_runtime.http import install_error_handlers
from motcua_runtime.migrations import upgrade
from motcua_runtime.officers import Officer, issue_token, officer_from_bearer
from motcua_signing.document_api import create_document_router
from motcua_signing.documents import PostgresDocuments
from motcua_signing.orm import ResultDocument

SECRET = "test-secret-for-service-tokens-0123456789"
PDF = b"%PDF-1.7\n% sealed bytes\n%%EOF\n"
DOSSIER_ID = uuid7()


@pytest.fixture(scope="module")
async def signing_app(infra):
    url = await create_database(infra.server_url, f"signing_docs_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, "motcua_signing", url)
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        session.add(ResultDocument(
            id=uuid7(), dossier_id=DOSSIER_ID, dossier_code="000.00.14.H38-261124-0001",
            agency="SXD", result_number="0001/2026/GP-SXD", outcome="approved",
            media_type="application/pdf", content=PDF, sha256=hashlib.sha256(PDF).hexdigest(),
            certificate_fingerprint=None, signed_at=datetime(2026, 11, 30, tzinfo=timezone.utc)))
    app = FastAPI()
    install_error_handlers(app, "signing database")
    app.include_router(create_document_router(PostgresDocuments(sessions).for_dossier,
                                              officer_from_bearer(SECRET)))
    yield app
    await engine.dispose()


def intake_client(app: FastAPI, secret: str = SECRET) -> SigningDocuments:
    """Intake's real client, its requests answered by signing's app in this process."""
    return SigningDocuments("http://signing", secret, transport=httpx.ASGITransport(app=app))


async def get(app: FastAPI, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://signing") as client:
        return await client.get(path, headers=headers)


async def test_intake_fetches_the_stored_document_with_its_sha256(signing_app):
    fetched = await intake_client(signing_app).fetch(DOSSIER_ID)

    assert fetched.content == PDF and fetched.media_type == "application/pdf"
    assert fetched.sha256 == hashlib.sha256(PDF).hexdigest()


async def test_a_dossier_without_a_document_is_404(signing_app):
    with pytest.raises(DocumentMissing):
        await intake_client(signing_app).fetch(uuid7())


async def test_only_a_service_token_opens_the_documents(signing_app):
    path = f"/internal/documents/{DOSSIER_ID}"
    officer = issue_token(SECRET, Officer("lan", "SXD", "signing"))
    forged = issue_token("another-secret-of-the-same-length-0123456", Officer(
        "intake", "*", "service:intake"))
    expired = issue_token(SECRET, Officer("intake", "*", "service:intake"),
                          now=datetime.now(timezone.utc) - timedelta(hours=1),
                          valid_for=timedelta(minutes=2))

    assert (await get(signing_app, path, None)).status_code == 401
    assert (await get(signing_app, path, forged)).status_code == 401
    assert (await get(signing_app, path, expired)).status_code == 401
    refused = await get(signing_app, path, officer)
    assert refused.status_code == 403 and "service:intake" in refused.json()["detail"]["message"]
    assert PDF not in refused.content


async def test_intake_with_a_secret_out_of_step_finds_signing_unavailable(signing_app):
    with pytest.raises(SigningUnavailable, match="signing answered 401"):
        await intake_client(signing_app, "another-secret-of-the-same-length-0123456").fetch(
            DOSSIER_ID)
