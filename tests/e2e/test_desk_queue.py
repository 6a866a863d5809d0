"""The desk's completeness check on the real stack with officers in charge (`motcua up
--officers`): a desk officer of STP files a land dossier (1.012760, officers at intake) at the
counter without one of its documents; nothing decides it by itself: it waits in intake's work
queue for STP's desk (the receiving unit), where another agency's desk officer gets 403 and an
appraisal officer's role is refused. The officer asks for the missing document (form 02), the
citizen supplements over the API, the item comes back, the officer accepts it (form 01), and
the dossier reaches the competent agency's appraisal queue, every step recorded as the
officer's."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from motcua_cli.samples import sample_submission
from tests.files.data import pdf_of
from tests.support import officer_headers, running_stack, view_at

pytestmark = pytest.mark.e2e

LAND_REGISTRATION = "1.012760"  # STNMT; officers at intake and every stage


async def desk_item(client: httpx.AsyncClient, headers: dict, code: str, state: str,
                    timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        items = (await client.get("/api/work-items", headers=headers,
                                  params={"state": "all"})).json()
        found = next((i for i in items if i["code"] == code), None)
        if found is not None and found["state"] == state:
            return found
        assert time.monotonic() < deadline, f"{code} at intake: {found}"
        await asyncio.sleep(0.3)


async def test_a_desk_officer_checks_completeness_asks_once_and_accepts(infra, log_dir):
    database_url, topic = await infra.isolated("desk_queue_e2e")
    desk = officer_headers("STP", "intake", "tiep.nhan")
    with running_stack(infra, database_url, topic, log_dir, officers=True) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{LAND_REGISTRATION}")).json()
            first, second = procedure["required_documents"]
            uploaded = await client.post("/api/files", headers=desk, files=[
                ("file", ("don.pdf", pdf_of(120_000), "application/pdf"))])
            assert uploaded.status_code == 201, uploaded.text
            body = sample_submission(procedure, random.Random(41), channel="counter",
                                     delivery="counter")
            body["documents"] = [{"name": first,
                                  "sha256": uploaded.json()["files"][0]["sha256"]}]
            filed = await client.post("/api/officer/dossiers", json=body, headers=desk)
            assert filed.status_code == 202, filed.text
            dossier = filed.json()
            code = dossier["code"]

            item = await desk_item(client, desk, code, "open")
            assert item["agency"] == "STP" and item["procedure_code"] == LAND_REGISTRATION
            assert item["context"]["missing_documents"] == [second]
            assert item["decisions"] == ["accept", "refuse", "request-supplement"]
            await asyncio.sleep(2)  # nothing decides it by itself
            assert (await view_at(client, dossier, 1))["stage"] == "intake"

            # The decisions' bodies are declared for the workspace's forms.
            document = (await client.get("/openapi.json")).json()
            declared = document["paths"]["/api/work-items/{item_id}/decisions/{name}"]["post"]
            assert sorted(declared["x-decisions"]) == ["accept", "refuse", "request-supplement"]

            url = f"/api/work-items/{item['id']}"
            other_desk = officer_headers("SKHDT", "intake", "khac")
            assert (await client.get(url, headers=other_desk)).status_code == 403
            specialist = officer_headers("STP", "appraisal", "chuyen.vien")
            assert (await client.post(f"{url}/decisions/accept", json={},
                                      headers=specialist)).status_code == 403
            bad = await client.post(f"{url}/decisions/request-supplement", headers=desk,
                                    json={"missing_documents": [], "reason": "Thiếu"})
            assert bad.status_code == 422, bad.text

            asked = await client.post(f"{url}/decisions/request-supplement", headers=desk,
                                      json={"missing_documents": [second],
                                            "reason": "Thiếu giấy tờ về quyền sử dụng đất"})
            assert asked.status_code == 200, asked.text
            assert asked.json()["events"] == ["SupplementRequested"]
            waiting = await view_at(client, dossier, 5)
            request = next(e for e in waiting["timeline"] if e["type"] == "SupplementRequested")
            assert request["actor"] == "officer:tiep.nhan"

            more = await client.post("/api/files", files=[
                ("file", ("giay-to.pdf", pdf_of(90_000), "application/pdf"))])
            supplemented = await client.post(f"/api/dossiers/{code}/supplement", json={
                "id_number": body["applicant"]["id_number"],
                "documents": [{"name": second, "sha256": more.json()["files"][0]["sha256"]}]})
            assert supplemented.status_code == 202, supplemented.text

            back = await desk_item(client, desk, code, "open")
            assert back["id"] == item["id"] and "missing_documents" not in back["context"]
            again = await client.post(f"{url}/decisions/request-supplement", headers=desk,
                                      json={"missing_documents": [second], "reason": "Lần hai"})
            assert again.status_code == 409 and "once per dossier" in again.text

            accepted = await client.post(f"{url}/decisions/accept", json={}, headers=desk)
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["events"] == ["DossierAccepted"]
            assert accepted.json()["item"]["state"] == "done"
            view = await view_at(client, dossier, 4)  # taken over by STNMT's appraisal
            steps = {e["type"]: e for e in view["timeline"]}
            assert steps["DossierAccepted"]["actor"] == "officer:tiep.nhan"
            assert view["due_at"] is not None

        appraisal = officer_headers("STNMT", "appraisal", "chuyen.vien")
        async with httpx.AsyncClient(base_url=stack.queue_url("appraisal"),
                                     timeout=30) as queue:
            items = (await queue.get("/api/work-items", headers=appraisal)).json()
            assert code in [i["code"] for i in items]
