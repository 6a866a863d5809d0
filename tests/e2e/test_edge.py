"""The HTTP edge on the real stack (uvicorn, the embedded broker and Postgres, every service a
process): a 20 MB filing is refused with a clear 413 however it is sent, nothing reaches the
outbox, and the next dossier flows to delivery."""

from __future__ import annotations

import json

import httpx
import pytest

from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES
from tests.support import file_dossiers, running_stack, wait_for_statuses

pytestmark = pytest.mark.e2e
TWENTY_MB = 20 * 1024 * 1024


def filing_of(size: int) -> bytes:
    return json.dumps({"procedure_code": "2.000488", "channel": "online",
                       "data": {"scan": "x" * size}}).encode()


async def test_a_20_mb_filing_is_a_413_and_the_next_dossier_is_delivered(infra, log_dir):
    database_url, topic = await infra.isolated("edge_e2e")
    with running_stack(infra, database_url, topic, log_dir) as stack:
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
