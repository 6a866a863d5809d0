"""The workspace's calls to the other services, made server-side with a token it mints for the
signed-in officer (the embedded identity provider): a stage instance's work queue (list, show,
claim, decide, and its OpenAPI document for the decisions' forms) and intake's officer API (the
dossier, its files). Each call carries a new token of a few minutes, with the role of the stage
it goes to; none is ever sent to the browser."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from motcua_runtime.officers import Officer
from motcua_runtime.tokens import IssuerKey

OPENAPI_SECONDS = 300.0  # a stage's decisions change with a deployment, not between requests


class Unreachable(Exception):
    """A service did not answer; the page says which."""


@dataclass(frozen=True)
class Answer:
    """A service's answer: its status, its JSON body (None for none), and its message when it
    refused (the error model's `detail`)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def message(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body.get("message") or "")
        return ""


class Directory:
    """Where each stage instance is: `stage.AGENCY` when the agency runs its own instance of
    the stage, else `stage` (as `motcua officer` finds them in the stack file)."""

    def __init__(self, stage_urls: Mapping[str, str]) -> None:
        self.urls = dict(stage_urls)

    def queue_url(self, stage: str, agency: str) -> str | None:
        return self.urls.get(f"{stage}.{agency}") or self.urls.get(stage)


class Upstream:
    def __init__(self, directory: Directory, intake_url: str, issuer: IssuerKey | None, *,
                 token_lifetime: timedelta, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.directory = directory
        self.intake_url = intake_url.rstrip("/")
        self.issuer = issuer
        self.token_lifetime = token_lifetime
        self.client = httpx.AsyncClient(timeout=30, transport=transport)
        self._openapi: dict[str, tuple[float, dict[str, Any]]] = {}

    async def close(self) -> None:
        await self.client.aclose()

    def token(self, officer: Officer) -> str:
        if self.issuer is None:
            raise Unreachable("the workspace has no token issuer key "
                              "(MOTCUA_TOKEN_ISSUER_PRIVATE_KEY)")
        return self.issuer.issue(officer, valid_for=self.token_lifetime)

    def _headers(self, officer: Officer) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(officer)}"}

    def _queue(self, officer: Officer, stage: str | None = None) -> str:
        """The work queue of `stage` (default: the officer's role) for the officer's agency; a
        manager reads every stage's with their own role."""
        stage = stage or officer.role
        url = self.directory.queue_url(stage, officer.agency)
        if url is None:
            raise Unreachable(f"no {stage} work queue is configured "
                              "(WORKSPACE_STAGE_URLS)")
        return url

    async def _call(self, method: str, url: str, officer: Officer, **kwargs: Any) -> Answer:
        try:
            response = await self.client.request(method, url, headers=self._headers(officer),
                                                  **kwargs)
        except httpx.HTTPError as error:
            raise Unreachable(f"{url.split('/api/')[0]} did not answer "
                              f"({type(error).__name__})") from None
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return Answer(response.status_code, body)

    # ---- a stage's work queue -----------------------------------------------------------------

    async def items(self, officer: Officer, state: str, *, stage: str | None = None,
                    overdue: bool = False) -> Answer:
        params: dict[str, Any] = {"state": state, "limit": 1000}
        if overdue:
            params["overdue"] = "true"
        return await self._call("GET", f"{self._queue(officer, stage)}/api/work-items", officer,
                                params=params)

    async def item(self, officer: Officer, item_id: str, *, stage: str | None = None) -> Answer:
        return await self._call(
            "GET", f"{self._queue(officer, stage)}/api/work-items/{item_id}", officer)

    async def item_document(self, officer: Officer, item_id: str, name: str, *,
                            stage: str | None = None) -> httpx.Response:
        """A document the stage draws from the item (a PDF), read whole: a page or two."""
        url = f"{self._queue(officer, stage)}/api/work-items/{item_id}/documents/{name}"
        return await self._raw("GET", url, officer)

    async def claim(self, officer: Officer, item_id: str) -> Answer:
        return await self._call("POST",
                                f"{self._queue(officer)}/api/work-items/{item_id}/claim", officer)

    async def decide(self, officer: Officer, item_id: str, decision: str,
                     body: dict[str, Any]) -> Answer:
        return await self._call(
            "POST", f"{self._queue(officer)}/api/work-items/{item_id}/decisions/{decision}",
            officer, json=body)

    async def openapi(self, officer: Officer) -> dict[str, Any]:
        """The stage instance's OpenAPI document (its decisions' bodies), cached a while."""
        url = self._queue(officer)
        cached = self._openapi.get(url)
        if cached and time.monotonic() - cached[0] < OPENAPI_SECONDS:
            return cached[1]
        try:
            response = await self.client.get(f"{url}/openapi.json")
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise Unreachable(f"{url} did not give its OpenAPI document "
                              f"({type(error).__name__})") from None
        self._openapi[url] = (time.monotonic(), document)
        return document

    async def _raw(self, method: str, url: str, officer: Officer,
                   **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, url, headers=self._headers(officer),
                                             **kwargs)
        except httpx.HTTPError as error:
            raise Unreachable(f"{url.split('/api/')[0]} did not answer "
                              f"({type(error).__name__})") from None

    # ---- intake's officer API -----------------------------------------------------------------

    async def report(self, officer: Officer, params: dict[str, str]) -> httpx.Response:
        """Intake's report (II.06a) for the manager's agency: JSON, or `format=csv`."""
        return await self._raw("GET", f"{self.intake_url}/api/reports", officer, params=params)

    async def dossier(self, officer: Officer, code: str) -> Answer:
        return await self._call("GET", f"{self.intake_url}/api/officer/dossiers/{code}", officer)

    async def open_file(self, officer: Officer, code: str, sha256: str) -> httpx.Response:
        """The file's response, streaming: the caller reads it, then closes it."""
        request = self.client.build_request(
            "GET", f"{self.intake_url}/api/officer/dossiers/{code}/files/{sha256}",
            headers=self._headers(officer))
        try:
            return await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise Unreachable(f"intake did not answer ({type(error).__name__})") from None
