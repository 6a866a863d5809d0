"""Every path a dossier can take, end to end on the embedded broker and Postgres with the five
services as processes: supplements (at intake and at the agency), fees, consultations between
agencies (liên thông), withdrawal, expiry, officers deciding from their work queues (returns,
apologies, 401/403), and two agencies' appraisal instances failing independently."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_cli.samples import sample_pdf, sample_submission, upload_sample_files
from motcua_intake.deadline_watch import sweep
from motcua_runtime.db import create_engine
from motcua_telemetry import load_trace
from tests.support import decide, officer_headers, queue_of, running_stack, signer_of

pytestmark = pytest.mark.e2e

CRIMINAL_RECORD = "2.000488"  # Sở Tư pháp, consults the provincial police, 200.000 đ, officers
BUSINESS = "2.001610"  # Sở Kế hoạch và Đầu tư, automatic at every stage
SOCIAL_INSURANCE = "1.001612"  # BHXH, free, automatic


class Portal:
    """The citizen's side, over intake's HTTP API."""

    def __init__(self, client: httpx.AsyncClient, procedures: dict[str, dict[str, Any]]):
        self.client, self.procedures = client, procedures
        self.rng = random.Random(5)

    async def file(self, code: str, **options: Any) -> dict[str, Any]:
        body = sample_submission(self.procedures[code], self.rng, **options)
        response = await self.client.post("/api/dossiers", json=body)
        assert response.status_code == 202, response.text
        return {**response.json(), "id_number": body["applicant"]["id_number"], "body": body}

    async def view(self, dossier: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.get(f"/api/dossiers/{dossier['dossier_id']}")
        return response.raise_for_status().json()

    async def wait(self, dossier: dict[str, Any], *wanted: int, timeout: float = 60
                   ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            view = await self.view(dossier)
            if view["status"]["code"] in wanted:
                return view
            assert time.monotonic() < deadline, (
                f"{dossier['code']} stuck at {view['status']} waiting for {wanted}: "
                f"{[e['type'] for e in view['timeline']]}")
            await asyncio.sleep(0.2)

    async def act(self, dossier: dict[str, Any], action: str, **body: Any) -> httpx.Response:
        return await self.client.post(f"/api/dossiers/{dossier['code']}/{action}",
                                      json={"id_number": dossier["id_number"], **body})


def types(view: dict[str, Any]) -> list[str]:
    return [entry["type"] for entry in view["timeline"]]


# Supplements' documents the catalogue does not require: their sample files are stored too.
EXTRA = ["Giấy tờ khác", "Ảnh 4x6"]


def document(name: str) -> dict[str, Any]:
    """A document naming the stored sample file of its kind (`portal_for` uploads them)."""
    return {"name": name, "sha256": hashlib.sha256(sample_pdf(name)).hexdigest()}


async def sweep_weeks_ahead(database_url: str, topic: str) -> list[Any]:
    """Intake's deadline watch, run once as if 40 days had passed: every deadline is behind."""
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await sweep(session, topic, signer_of("intake"),
                               datetime.now(timezone.utc) + timedelta(days=40))
    finally:
        await engine.dispose()


async def portal_for(client: httpx.AsyncClient) -> Portal:
    procedures = {p["code"]: p for p in (await client.get("/api/procedures")).json()}
    await upload_sample_files(client, [*procedures.values(), {"required_documents": EXTRA}])
    return Portal(client, procedures)


async def test_supplements_fees_consultation_withdrawal_and_expiry(infra, log_dir):
    database_url, topic = await infra.isolated("paths")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            portal = await portal_for(client)
            # Incomplete: intake asks once, in writing (form 02); the supplement completes it.
            completed = await portal.file(BUSINESS, complete=False)
            still_missing = await portal.file(BUSINESS, complete=False)
            expiring = await portal.file(SOCIAL_INSURANCE, complete=False)
            # Fees not paid at filing: the agency asks (status 6) after consulting the police.
            paying = await portal.file(CRIMINAL_RECORD, pay_fees=False, channel="online")
            withdrawing = await portal.file(CRIMINAL_RECORD, pay_fees=False, channel="counter")

            for dossier in (completed, still_missing, expiring):
                view = await portal.wait(dossier, 5)
                assert view["stage"] == "applicant"
            missing = portal.procedures[BUSINESS]["required_documents"][0]
            assert (await portal.act(completed, "supplement",
                                     documents=[document(missing)])).status_code == 202
            assert (await portal.act(still_missing, "supplement",
                                     documents=[document("Giấy tờ khác")])).status_code == 202
            view = await portal.wait(completed, 10)
            assert types(view)[:4] == ["DossierSubmitted", "SupplementRequested",
                                       "SupplementProvided", "DossierAccepted"]
            view = await portal.wait(still_missing, 3)
            assert types(view)[-1] == "DossierRefused"  # asked once; still incomplete: form 03

            for dossier in (paying, withdrawing):
                await portal.wait(dossier, 6)
            wrong_person = {**paying, "id_number": "999999999999"}
            assert (await portal.act(wrong_person, "payment", amount=200_000,
                                     receipt_number="BL-1")).status_code == 404
            assert (await portal.act(completed, "payment", amount=1,
                                     receipt_number="BL-0")).status_code == 409
            assert (await portal.act(paying, "payment", amount=200_000,
                                     receipt_number="BL-1")).status_code == 202
            view = await portal.wait(paying, 10)
            assert {"FeesRequested", "FeesPaid", "ConsultationRequested",
                    "ConsultationAnswered"} <= set(types(view))
            consulted = [e for e in view["timeline"] if e["type"] == "ConsultationAnswered"]
            assert consulted[0]["agency"] == "CAT"  # answered by the police's appraisal

            assert (await portal.act(withdrawing, "withdrawal",
                                     reason="Không còn nhu cầu")).status_code == 202
            view = await portal.wait(withdrawing, 8)
            assert types(view)[-2:] == ["WithdrawalRequested", "DossierStopped"]
            assert (await portal.act(withdrawing, "withdrawal",
                                     reason="lần nữa")).status_code == 409
            assert (await portal.act(completed, "withdrawal",
                                     reason="đã xong")).status_code == 409

            # The supplement's deadline passes: the deadline watch refuses the dossier.
            emitted = await sweep_weeks_ahead(database_url, topic)
            assert [e.type for e in emitted] == ["DossierRefused"]
            view = await portal.wait(expiring, 3)
            assert types(view)[-1] == "DossierRefused"


async def test_officers_decide_from_their_queues(infra, log_dir):
    database_url, topic = await infra.isolated("officers")
    with running_stack(infra, database_url, topic, log_dir, officers=True) as stack:
        specialist = officer_headers("STP", "appraisal", "chuyen.vien")
        police = officer_headers("CAT", "appraisal", "cong.an")
        leader = officer_headers("STP", "approval", "lanh.dao")
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client, \
                httpx.AsyncClient(base_url=stack.queue_url("appraisal")) as appraisal, \
                httpx.AsyncClient(base_url=stack.queue_url("approval")) as approval, \
                httpx.AsyncClient(base_url=stack.queue_url("signing")) as signing, \
                httpx.AsyncClient(base_url=stack.queue_url("delivery")) as delivery:
            portal = await portal_for(client)
            dossier = await portal.file(CRIMINAL_RECORD, channel="online", delivery="counter")
            item = await queue_of(appraisal, specialist, dossier["code"])
            assert item["due_at"] and item["decisions"]

            # Tokens: none is 401; another agency or another stage's role is 403.
            assert (await appraisal.get("/api/work-items")).status_code == 401
            url = f"/api/work-items/{item['id']}"
            assert (await appraisal.get(url, headers=police)).status_code == 403
            assert (await appraisal.get(url, headers=leader)).status_code == 403
            assert all(i["agency"] == "CAT" for i in
                       (await appraisal.get("/api/work-items", headers=police)).json())
            assert (await decide(appraisal, police, item, "recommend", recommendation="approve",
                                 findings="x")).status_code == 403

            assert (await appraisal.post(f"{url}/claim", headers=specialist)).status_code == 200
            other = officer_headers("STP", "appraisal", "nguoi.khac")
            assert (await decide(appraisal, other, item, "recommend", recommendation="approve",
                                 findings="x")).status_code == 409  # claimed by someone else
            assert (await decide(appraisal, specialist, item, "recommend",
                                 recommendation="maybe", findings="x")).status_code == 422

            # Liên thông: the police answer from their own queue.
            response = await decide(appraisal, specialist, item, "consult", agencies=["CAT"],
                                    question="Xác minh án tích")
            assert response.status_code == 200, response.text
            assert response.json()["item"]["state"] == "waiting"
            consultation = await queue_of(appraisal, police, dossier["code"], kind="consultation")
            assert (await decide(appraisal, police, consultation, "answer", agrees=True,
                                 answer="Không có án tích")).status_code == 200

            # A supplement asked by the agency; the applicant files it; the item reopens.
            item = await queue_of(appraisal, specialist, dossier["code"])
            assert item["answers"][0]["agency"] == "CAT"
            assert (await decide(appraisal, specialist, item, "request-supplement",
                                 reason="Ảnh chân dung mờ", missing_documents=["Ảnh 4x6"])
                    ).status_code == 200
            await portal.wait(dossier, 5)
            assert (await portal.act(dossier, "supplement",
                                     documents=[document("Ảnh 4x6")])).status_code == 202
            item = await queue_of(appraisal, specialist, dossier["code"])
            # The agency asks once, as intake does: a second request is a 409 saying so.
            second = await decide(appraisal, specialist, item, "request-supplement",
                                  reason="Thêm ảnh", missing_documents=["Ảnh 3x4"])
            assert second.status_code == 409 and "only once" in second.json()["detail"]

            # One apology with one new appointment (form 04), never a second.
            view = await portal.view(dossier)
            due = datetime.fromisoformat(view["due_at"])
            new_due = WorkingCalendar().add_working_hours(due, 16)
            response = await decide(appraisal, specialist, item, "apologize",
                                    reason="Chờ xác minh bổ sung", new_due_at=new_due.isoformat())
            assert response.status_code == 200, response.text
            again = await decide(appraisal, specialist, item, "apologize", reason="lần hai",
                                 new_due_at=(new_due + timedelta(days=7)).isoformat())
            assert again.status_code == 409 and "only once" in again.json()["detail"]

            # Approval sends the draft back; appraisal drafts again; then approve, sign, deliver.
            assert (await decide(appraisal, specialist, item, "recommend",
                                 recommendation="approve", findings="Đủ điều kiện")
                    ).status_code == 200
            draft = await queue_of(approval, leader, dossier["code"])
            assert (await decide(approval, leader, draft, "return",
                                 reason="Bổ sung căn cứ pháp lý")).status_code == 200
            item = await queue_of(appraisal, specialist, dossier["code"])
            assert item["context"]["returned"] == "Bổ sung căn cứ pháp lý"
            assert (await decide(appraisal, specialist, item, "recommend",
                                 recommendation="approve", findings="Đã bổ sung căn cứ")
                    ).status_code == 200
            draft = await queue_of(approval, leader, dossier["code"])
            assert (await decide(approval, leader, draft, "approve")).status_code == 200
            clerk = officer_headers("STP", "signing", "van.thu")
            sealed = await queue_of(signing, clerk, dossier["code"])
            assert (await decide(signing, clerk, sealed, "sign")).status_code == 200
            desk = officer_headers("STP", "delivery", "mot.cua")
            handover = await queue_of(delivery, desk, dossier["code"])
            assert (await decide(delivery, desk, handover, "hand-over",
                                 receiver_name="Trần Thị Bình", identity_checked=True)
                    ).status_code == 200

            view = await portal.wait(dossier, 10)
            events = types(view)
            assert events.count("DossierAppraised") == 2 and "DossierReturned" in events
            assert "DelayApologized" in events
            assert datetime.fromisoformat(view["due_at"]) == new_due
            assert {e["actor"] for e in view["timeline"]} >= {
                "officer:chuyen.vien", "officer:cong.an", "officer:lanh.dao", "officer:van.thu",
                "officer:mot.cua"}

            # A supplement the agency asked for that never comes: at its deadline the dossier
            # stops (8, the rules' refusal of an accepted dossier), no denial is drafted, and
            # the agency's item closes.
            lapsing = await portal.file(CRIMINAL_RECORD, channel="online", delivery="counter")
            asked = await queue_of(appraisal, specialist, lapsing["code"])
            assert (await decide(appraisal, specialist, asked, "request-supplement",
                                 reason="Ảnh mờ", missing_documents=["Ảnh 4x6"])
                    ).status_code == 200
            await portal.wait(lapsing, 5)
            expired = await sweep_weeks_ahead(database_url, topic)
            assert [e.type for e in expired] == ["SupplementExpired"]
            view = await portal.wait(lapsing, 8)
            assert types(view)[-1] == "SupplementExpired" and view["ended_at"]
            assert "DossierAppraised" not in types(view)
            url = f"/api/work-items/{asked['id']}"
            deadline = time.monotonic() + 30
            while (closed := (await appraisal.get(url, headers=specialist)).json())["state"] \
                    != "done":
                assert time.monotonic() < deadline, closed
                await asyncio.sleep(0.2)
            assert closed["outcome"] == "expired"

    # Officers decide over HTTP, later, from their queues; the dossier is still one trace: each
    # decision continues it from the hand-off that opened the item (spans are flushed on stop).
    engine = create_engine(database_url)
    try:
        spans = await load_trace(engine, dossier_id=uuid.UUID(dossier["dossier_id"]))
    finally:
        await engine.dispose()
    assert len({span.trace_id for span in spans}) == 1
    assert {f"decide {name}" for name in ("consult", "answer", "request-supplement", "apologize",
                                          "recommend", "return", "approve", "sign", "hand-over")
            } <= {span.name for span in spans}


async def test_one_agency_instance_down_leaves_the_others_flowing(infra, log_dir):
    database_url, topic = await infra.isolated("agencies")
    with running_stack(infra, database_url, topic, log_dir,
                       agencies={"appraisal": ["SKHDT"]}) as stack:
        own = stack.service("appraisal.SKHDT")
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            portal = await portal_for(client)
            own.stop()  # the agency's own appraisal instance goes down
            waiting = [await portal.file(BUSINESS) for _ in range(3)]
            others = [await portal.file(SOCIAL_INSURANCE) for _ in range(3)]
            for dossier in others:
                await portal.wait(dossier, 10)
            for dossier in waiting:
                assert (await portal.view(dossier))["status"]["code"] == 2  # accepted, waiting
            own.start()
            own.wait_ready()
            for dossier in waiting:
                view = await portal.wait(dossier, 10, timeout=90)
                appraised = next(e for e in view["timeline"] if e["type"] == "DossierAppraised")
                assert appraised["agency"] == "SKHDT"  # by the agency's own instance
