"""Signing's internal documents endpoint on real Postgres, called by intake's own client: only
intake's service token, signed with intake's own key and addressed to signing, opens it (401
without one or with a forged, expired or misaddressed one; 403 for an officer or another
service), it answers the stored bytes with their SHA-256, and 404 when nothing was issued."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.embedded import create_database
from motcua_contracts import uuid7
from motcua_intake.tracking.result_documents import (
    DocumentMissing,
    SigningDocuments,
    SigningUnavailable,
)
from motcua_runtime.db import create_engine
from motcua_runtime.http import install_error_handlers
from motcua_runtime.keys import Signer
from motcua_runtime.migrations import upgrade
from motcua_runtime.officers import Officer
from motcua_runtime.tokens import ServiceTokens
from motcua_signing.document_api import create_document_router
from motcua_signing.documents import PostgresDocuments
from motcua_signing.orm import ResultDocument
from tests.officer_tokens import current_officer, officer_token
from tests.support import signer_of

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
                                              current_officer("signing")))
    yield app
    await engine.dispose()


def intake_client(app: FastAPI, signer: Signer | None = None) -> SigningDocuments:
    """Intake's real client, its requests answered by signing's app in this process."""
    return SigningDocuments("http://signing", ServiceTokens(signer or signer_of("intake")),
                            transport=httpx.ASGITransport(app=app))


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


async def test_only_intakes_service_token_opens_the_documents(signing_app):
    path = f"/internal/documents/{DOSSIER_ID}"
    intake, appraisal = ServiceTokens(signer_of("intake")), signer_of("appraisal")
    officer = officer_token(Officer("lan", "SXD", "signing"))
    now = datetime.now(timezone.utc)
    # Appraisal's key signing as intake: the key names its owner, whatever the token says.
    impersonation = appraisal.sign_token({
        "iss": "intake", "sub": "intake", "aud": "signing", "role": "service:intake",
        "iat": now, "exp": now + timedelta(minutes=1)})
    expired = intake.for_audience("signing", now=now - timedelta(hours=1))
    misaddressed = intake.for_audience("delivery")

    for token in (None, impersonation, expired, misaddressed, "forged.token.here"):
        assert (await get(signing_app, path, token)).status_code == 401, token
    for token in (officer, ServiceTokens(appraisal).for_audience("signing")):
        refused = await get(signing_app, path, token)
        assert refused.status_code == 403
        assert "service:intake" in refused.json()["detail"]
        assert PDF not in refused.content


async def test_intake_with_a_key_out_of_the_registry_finds_signing_unavailable(signing_app):
    stranger = Signer("intake-99", "intake", None, Ed25519PrivateKey.generate())
    with pytest.raises(SigningUnavailable, match="signing answered 401"):
        await intake_client(signing_app, stranger).fetch(DOSSIER_ID)
