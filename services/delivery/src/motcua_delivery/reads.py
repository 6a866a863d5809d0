"""The hand-over record's reads in intake's access log. The record prints the receiver's and the
applicant's names, so reading it is a read of personal data like a dossier's or a file's; the
access log is intake's table (`intake.personal_data_reads`, queried by the auditors in one
place), so delivery records each read there, over intake's internal endpoint
(`POST /internal/personal-data-reads`) with a service token of its own (signed with delivery's
event key, addressed to intake: motcua_runtime.tokens), before it serves the record. When intake
cannot record it, the record is not served (503): an unrecorded read is what the log exists to
prevent."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from motcua_runtime.officers import Officer
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.work_queue import ReadNotRecorded

AUDIENCE = "intake"
PATH = "/internal/personal-data-reads"


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
        if self.intake_url is None:
            raise ReadNotRecorded("the read cannot be recorded in the access log: "
                                  "DELIVERY_INTAKE_URL is not set")
        body = {"dossier_id": str(item.dossier_id), "officer": officer.name,
                "agency": officer.agency, "role": officer.role, "what": self.what,
                "sha256": hashlib.sha256(content).hexdigest(), "client": client}
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
