"""The desk's calls to intake, as the signed-in desk officer (a token minted for the call, as
every call of motcua_workspace.upstream): store the scanned files (`POST /api/files`), file the
dossier at the counter (`POST /api/officer/dossiers`) and a supplement brought to it
(`POST /api/officer/dossiers/{code}/supplement`), and read the dossier's forms 01 to 05."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import httpx

from motcua_runtime.officers import Officer
from motcua_workspace.upstream import Answer, Unreachable, Upstream

# Each file as intake's upload takes it: (the file's name, its bytes, its declared type).
FilePart = tuple[str, IO[bytes], str]


async def _send(upstream: Upstream, method: str, path: str, officer: Officer,
                **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {upstream.token(officer)}",
               **kwargs.pop("headers", {})}
    try:
        return await upstream.client.request(method, f"{upstream.intake_url}{path}",
                                             headers=headers, **kwargs)
    except httpx.HTTPError as error:
        raise Unreachable(f"intake did not answer ({type(error).__name__})") from None


def _answer(response: httpx.Response) -> Answer:
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    return Answer(response.status_code, body)


async def upload(upstream: Upstream, officer: Officer, files: Sequence[FilePart]) -> Answer:
    """All the dossier's files in one request: intake answers with their SHA-256, in order."""
    response = await _send(upstream, "POST", "/api/files", officer,
                           files=[("file", part) for part in files])
    return _answer(response)


async def file_at_counter(upstream: Upstream, officer: Officer, body: dict[str, Any],
                          idempotency_key: str) -> Answer:
    """The filing; the form's own key makes a second click file nothing twice."""
    response = await _send(upstream, "POST", "/api/officer/dossiers", officer, json=body,
                           headers={"Idempotency-Key": idempotency_key})
    return _answer(response)


async def supplement(upstream: Upstream, officer: Officer, code: str,
                     documents: list[dict[str, Any]]) -> Answer:
    """The supplement the citizen brought to the counter, its files stored first."""
    response = await _send(upstream, "POST", f"/api/officer/dossiers/{code}/supplement",
                           officer, json={"documents": documents})
    return _answer(response)


async def forms(upstream: Upstream, officer: Officer, code: str) -> Answer:
    return _answer(await _send(upstream, "GET", f"/api/officer/dossiers/{code}/forms", officer))


async def form_pdf(upstream: Upstream, officer: Officer, code: str,
                   form: str) -> tuple[Answer, bytes]:
    """The form's PDF (a few tens of KB, read whole) and intake's answer."""
    response = await _send(upstream, "GET", f"/api/officer/dossiers/{code}/forms/{form}",
                           officer)
    if response.status_code >= 400:
        return _answer(response), b""
    return Answer(response.status_code, None), response.content
