"""Fetching a dossier's signed result from signing, which keeps the sealed PDFs (and the agencies'
keys) and serves them only to services: a service token of intake's (signed with intake's own
key, addressed to signing, five minutes long: motcua_runtime.tokens), on its internal endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from motcua_runtime.tokens import ServiceTokens

AUDIENCE = "signing"


@dataclass(frozen=True)
class FetchedDocument:
    content: bytes
    media_type: str
    sha256: str | None  # as signing states it; the caller checks the bytes against its own


class SigningUnavailable(Exception):
    """Signing cannot answer now (down, overloaded, misconfigured): try again later."""


class DocumentMissing(Exception):
    """Signing answered, and holds no document for the dossier."""


FetchDocument = Callable[[uuid.UUID], Awaitable[FetchedDocument]]


class SigningDocuments:
    def __init__(self, base_url: str, tokens: ServiceTokens, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        self.transport = transport  # tests: signing's app in the same process

    async def fetch(self, dossier_id: uuid.UUID) -> FetchedDocument:
        token = self.tokens.for_audience(AUDIENCE)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.get(f"{self.base_url}/internal/documents/{dossier_id}",
                                            headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise SigningUnavailable(f"signing unreachable: {type(error).__name__}") from error
        if response.status_code == 404:
            raise DocumentMissing(f"signing has no document for dossier {dossier_id}")
        if response.status_code != 200:  # 401/403: keys out of step; 5xx: signing's trouble
            raise SigningUnavailable(f"signing answered {response.status_code}")
        return FetchedDocument(
            content=response.content,
            media_type=response.headers.get("content-type", "application/octet-stream"),
            sha256=response.headers.get("x-document-sha256"))
