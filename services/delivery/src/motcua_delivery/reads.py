"""The hand-over record's reads in intake's access log. The record prints the receiver's and the
applicant's names, so reading it is a read of personal data like a dossier's or a file's; the
access log is intake's table (`intake.personal_data_reads`, queried by the auditors in one
place), so delivery records each read there, over intake's internal endpoint
(`POST /internal/personal-data-reads`) with a service token of its own (signed with delivery's
event key, addressed to intake: motcua_runtime.tokens), before it serves the record. When intake
cannot record it, the record is not served (503): an unrecorded read is what the log exists to
prevent.

The same goes for delivery's work items themselves: their view opens the personal data they keep
sealed (the post office's postal address, the receiver's name once handed over), so each item
an officer is shown with it opened is recorded (`what` `work-item`, one row per item, a list in
one request) before the queue answers (motcua_runtime.work_queue.RecordPresented)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx

from motcua_runtime.officers import Officer
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.work_queue import ReadNotRecorded

AUDIENCE = "intake"
PATH = "/internal/personal-data-reads"
WORK_ITEM = "work-item"  # an item shown with its sealed personal data opened


class IntakeAccessLog:
    def __init__(self, intake_url: str | None, tokens: ServiceTokens, *, what: str,
                 timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.intake_url = intake_url.rstrip("/") if intake_url else None
        self.tokens = tokens
        self.what = what
        self.timeout = timeout
        self.transport = transport  # tests: intake's app in the same process

    async def record(self, item: Any, officer: Officer, content: bytes,
                     client: str | None) -> None:
        """Record `officer`'s read of the document `content` drawn from `item`."""
        await self._post({**self._read(item, officer, client), "what": self.what,
                          "sha256": hashlib.sha256(content).hexdigest()})

    async def record_opened(self, items: Sequence[Any], officer: Officer,
                            client: str | None) -> None:
        """Record `officer`'s reads of `items`, shown with their personal data opened."""
        await self._post([{**self._read(item, officer, client), "what": WORK_ITEM}
                          for item in items])

    @staticmethod
    def _read(item: Any, officer: Officer, client: str | None) -> dict[str, Any]:
        return {"dossier_id": str(item.dossier_id), "officer": officer.name,
                "agency": officer.agency, "role": officer.role, "client": client}

    async def _post(self, body: dict[str, Any] | list[dict[str, Any]]) -> None:
        if self.intake_url is None:
            raise ReadNotRecorded("the read cannot be recorded in the access log: "
                                  "DELIVERY_INTAKE_URL is not set")
        headers = {"Authorization": f"Bearer {self.tokens.for_audience(AUDIENCE)}"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout,
                                         transport=self.transport) as http:
                response = await http.post(f"{self.intake_url}{PATH}", json=body,
                                           headers=headers)
        except httpx.HTTPError as error:
            raise ReadNotRecorded(f"intake did not answer ({type(error).__name__}): the read "
                                  "cannot be recorded in the access log") from None
        if response.status_code != 201:
            raise ReadNotRecorded(f"intake refused to record the read ({response.status_code}:"
                                  f" {response.text[:200]})")
