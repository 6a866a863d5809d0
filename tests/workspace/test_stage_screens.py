"""The stages' screens of the workspace in-process on a real Postgres, against the real parts:
intake's API (the officer's view of the dossier, the report) and the work queues of appraisal,
approval, signing and delivery, built as their services build them, all reached through the
workspace's own calls with the tokens it mints.

- The draft result (approval and signing items): the item page frames it; it is the result's
  page with "DỰ THẢO", the applicant's name, no seal and no number; downloadable; 403 for another
  agency, sign-in for a signed-out visit, 409 for an item with no draft.
- The delivery desk: the hand-over form checked in Vietnamese (nothing handed over), then handed
  over; the item page shows it and frames the hand-over record, which prints the receiver's name;
  delivery's documents route: 409 before, 403 for another role or agency; each read of the
  record, and each view of the item with the receiver's name opened, in intake's access log.
- The managers' pages: the II.06a report and its CSV, the overdue list of every stage with
  links, a manager reading an item without deciding; 403 for an officer who is not a manager."""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_appraisal.orm import WorkItem as AppraisalItem
from motcua_approval.handlers import Approval, approval_stage
from motcua_approval.orm import WorkItem as ApprovalItem
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.centre import Centre
from motcua_contracts import uuid7
from motcua_delivery.decisions import POSTAL
from motcua_delivery.handlers import Delivery, delivery_stage
from motcua_delivery.orm import WorkItem as DeliveryItem
from motcua_delivery.reads import IntakeAccessLog
from motcua_delivery.record import NAME as RECORD
from motcua_delivery.record import HandOverRecords
from motcua_delivery.repository import open_sealed_context
from motcua_documents.result import default_decision
from motcua_pki import DEV_PASSPHRASE
from motcua_runtime.db import create_engine
from motcua_runtime.officers import Officer
from motcua_runtime.scope import AgencyScope
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.work_items import OPEN
from motcua_runtime.work_queue import ReadNotRecorded, create_work_queue_api
from motcua_signing.app import build_issuer
from motcua_signing.handlers import Signing, signing_stage
from motcua_signing.orm import WorkItem as SigningItem
from motcua_signing.settings import SigningSettings
from motcua_workspace.accounts import add_account
from motcua_workspace.delivery_desk import hand_over_problems
from motcua_workspace.draft import NoDraft, Wording, draft_outcome
from motcua_workspace.managers import overdue_by
from motcua_workspace.upstream import Directory, Upstream
from tests.intake.tracking_rows import dossier, insert
from tests.officer_tokens import ISSUER, bearer
from tests.officer_tokens import current_officer as officer_dependency
from tests.personal import facts
from tests.runtime.test_agency_queue import POLICY as APPRAISAL
from tests.runtime.test_agency_queue import STAGE as APPRAISAL_STAGE
from tests.signing.pdf_tools import pdftotext
from tests.support import dev_pki, dossier_files, intake_with_desk_queue, signer_of
from tests.workspace.test_pages import PASSWORD, csrf_of, sign_in, workspace

CATALOGUE = default_catalogue()
NOW = datetime.now(timezone.utc)
PROCEDURE = CATALOGUE.procedures["2.000488"]  # STP's: Phiếu lý lịch tư pháp
APPLICANT = "Nguyễn Văn An"  # tests.intake.tracking_rows' applicant
# The desk officer's and the post office clerk's, as their accounts give them.
FULL_NAMES = {"mot.cua": "Lò Văn Minh", "buu.ta": "Phạm Thị Hoa"}


class Hosts(httpx.AsyncBaseTransport):
    """One transport for the workspace's client, each host an app in-process."""

    def __init__(self, apps: dict) -> None:
        self.transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transports[request.url.host].handle_async_request(request)


def work_item(model, row, *, context: dict, due_in: timedelta, agency: str = "STP",
              state: str = OPEN, channel: str = "counter", kind: str = "dossier"):
    dossier_facts = facts(row.id, code=row.code, procedure_code=row.procedure_code,
                          applicant_name=APPLICANT, received_at=row.received_at,
                          delivery_channel=channel)
    return model(id=uuid7(), dossier_id=row.id, agency=agency, kind=kind,
                 procedure_code=row.procedure_code, dossier=dossier_facts.model_dump(mode="json"),
                 opened_at=NOW - timedelta(hours=5), opened_by_event=uuid7(),
                 due_at=NOW + due_in, state=state, awaiting=[], answers=[], context=context)


def queue_app(name, stage, model, decisions, sessions, topic, **extra):
    signer = signer_of(name)
    return create_work_queue_api(
        stage, model, decisions, sessions=sessions, producer=signer.producer, topic=topic,
        current_officer=officer_dependency(name), on_commit=lambda: None, sign=signer.sign,
        scope=AgencyScope.shared(set()), **extra)


@pytest.fixture(scope="module")
async def stack(infra):
    database_url, topic = await infra.isolated("workspace_screens")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    received = NOW - timedelta(days=2)
    rows = {name: dossier("STP", received_at=received, status=4, channel="online",
                          due_at=NOW + timedelta(days=3))
            for name in ("approve", "deny", "signing", "counter", "late", "sxd")}
    rows["sxd"] = dossier("SKHDT", received_at=received, status=4, due_at=NOW + timedelta(days=3))
    await insert(engine, *rows.values())
    items = {
        "approve": work_item(ApprovalItem, rows["approve"], due_in=timedelta(days=1), context={
            "recommendation": "approve", "findings": "Đủ điều kiện cấp phiếu."}),
        "deny": work_item(ApprovalItem, rows["deny"], due_in=timedelta(days=1), context={
            "recommendation": "deny", "findings": "Người yêu cầu không thuộc diện được cấp."}),
        # Overdue by a day and a half: the managers' list shows it.
        "late": work_item(ApprovalItem, rows["late"], due_in=-timedelta(hours=36), context={
            "recommendation": "approve", "findings": "Đủ điều kiện."}),
        "sxd": work_item(ApprovalItem, rows["sxd"], due_in=-timedelta(hours=5), agency="SKHDT",
                         context={"recommendation": "approve", "findings": "Đủ."}),
        "signing": work_item(SigningItem, rows["signing"], due_in=timedelta(hours=3), context={
            "outcome": "approved", "body": "Cấp Phiếu lý lịch tư pháp số 1 cho người yêu cầu."}),
        "counter": work_item(DeliveryItem, rows["counter"], due_in=timedelta(hours=8), context={
            "result_number": "0007/2026/QĐ-STP", "ready_at": (NOW - timedelta(hours=1))
            .isoformat()}),
        # The post office's item of a result SKHDT's desk handed to it (as the hand-off makes).
        "postal": work_item(DeliveryItem, rows["sxd"], due_in=timedelta(days=1),
                            agency="BUUDIEN", kind=POSTAL, channel="postal", context={
                                "competent_agency": "SKHDT",
                                "result_number": "0003/2026/GCN-SKHDT",
                                "ready_at": (NOW - timedelta(hours=2)).isoformat()}),
    }
    async with sessions() as db, db.begin():
        db.add_all(items.values())
    for user, roles, agency in (("lanh.dao", ["approval"], "STP"),
                                ("van.thu", ["signing"], "STP"),
                                ("mot.cua", ["delivery"], "STP"),
                                ("giam.doc", ["manager"], "STP"),
                                ("khac", ["approval", "delivery"], "SKHDT"),
                                ("buu.ta", ["delivery"], "BUUDIEN")):
        await add_account(sessions, agency=agency, roles=roles, user_name=user,
                          full_name=FULL_NAMES.get(user, f"Cán bộ {user}"), password=PASSWORD)
    calendar = WorkingCalendar()
    delivery = Delivery(CATALOGUE, officers=True)
    signing = Signing(CATALOGUE, calendar, build_issuer(SigningSettings(
        DATABASE_URL=database_url, MOTCUA_PKI_PASSPHRASE=DEV_PASSPHRASE, pki_dir=dev_pki()),
        CATALOGUE), officers=True)
    approval = Approval(CATALOGUE, calendar, officers=True)
    intake = intake_with_desk_queue(sessions, CATALOGUE, calendar, topic, officer_dependency(),
                                    dossier_files())
    # Delivery records in intake's access log what it opens for an officer (as its app does).
    reads = IntakeAccessLog("http://intake", ServiceTokens(signer_of("delivery")), what=RECORD,
                            transport=httpx.ASGITransport(app=intake))
    apps = {
        "intake": intake,
        "appraisal": queue_app("appraisal", APPRAISAL_STAGE, AppraisalItem,
                               APPRAISAL.work_queue(), sessions, topic),
        "approval": queue_app("approval", approval_stage(approval), ApprovalItem,
                              approval.work_queue(), sessions, topic),
        "signing": queue_app("signing", signing_stage(signing), SigningItem,
                             signing.work_queue(), sessions, topic),
        "delivery": queue_app("delivery", delivery_stage(delivery), DeliveryItem,
                              delivery.work_queue(), sessions, topic,
                              present=open_sealed_context, on_present=reads.record_opened,
                              documents=HandOverRecords(
                                  CATALOGUE, Centre(), "https://dvc.example",
                                  record_read=reads.record).documents()),
        # Delivery's queue with no intake to record its reads in (DELIVERY_INTAKE_URL unset).
        "delivery-unlogged": queue_app(
            "delivery", delivery_stage(delivery), DeliveryItem, delivery.work_queue(), sessions,
            topic, present=open_sealed_context, on_present=IntakeAccessLog(
                None, ServiceTokens(signer_of("delivery")), what=RECORD).record_opened),
    }
    transport = Hosts(apps)
    # Intake serves the desk's work queue on its own API (motcua_intake.desk_queue).
    urls = {stage: f"http://{stage}" for stage in ("intake", "appraisal", "approval", "signing",
                                                   "delivery")}

    def upstream() -> Upstream:
        return Upstream(Directory(urls), "http://intake", ISSUER,
                        token_lifetime=timedelta(minutes=5), transport=transport)

    yield {"sessions": sessions, "items": items, "rows": rows, "upstream": upstream,
           "direct": transport}
    await engine.dispose()


@contextlib.asynccontextmanager
async def client_of(stack, user: str | None):
    """The workspace as `user` sees it (signed in), or signed out for None."""
    upstream = stack["upstream"]()
    async with workspace(stack["sessions"], upstream=upstream,
                         public_base_url="https://dvc.example") as client:
        if user:
            await sign_in(client, user)
        yield client
    await upstream.close()


def text_of(pdf: bytes, tmp_path) -> str:
    return " ".join(pdftotext(pdf, tmp_path).split())


# ---- the draft result ----------------------------------------------------------------------

async def test_the_leader_sees_the_approval_draft_in_the_item_page_as_the_result_pdf(
        stack, tmp_path):
    item = stack["items"]["approve"]
    async with client_of(stack, "lanh.dao") as client:
        page = await client.get(f"/viec/approval/{item.id}")
        assert page.status_code == 200, page.text[:500]
        frame = re.search(r'<iframe src="([^"]+)" title="Dự thảo kết quả[^"]*" '
                          r'id="khung-du-thao"', page.text)
        assert frame, "the draft is framed in the item page"
        assert 'id="tai-du-thao"' in page.text and "DỰ THẢO" in page.text
        source, fit = frame.group(1).split("#")
        assert fit == "view=FitH"  # the page fills the frame's width
        draft = await client.get(source)
        download = await client.get(source + "?tai=true")
    assert draft.status_code == 200, draft.text[:300]
    assert draft.headers["content-type"] == "application/pdf"
    assert draft.headers["content-disposition"].startswith("inline")
    assert "sandbox" in draft.headers["content-security-policy"]
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.content == draft.content  # the same facts, the same bytes
    text = text_of(draft.content, tmp_path)
    code = stack["rows"]["approve"].code
    for expected in ("DỰ THẢO", "chưa ký số", "SỞ TƯ PHÁP", "PHIẾU LÝ LỊCH TƯ PHÁP", code,
                     APPLICANT, "Kết quả giải quyết: " + default_decision(PROCEDURE.name, code),
                     "cấp khi ký số", "Chỗ ký số, đóng dấu"):
        assert expected in text, expected
    assert "ĐÃ KÝ SỐ" not in text and "Ký bởi" not in text  # no seal


async def test_the_leader_draws_what_they_are_about_to_decide_before_deciding(stack, tmp_path):
    item = stack["items"]["approve"]
    path = f"/viec/approval/{item.id}/du-thao.pdf"
    async with client_of(stack, "lanh.dao") as client:
        page = await client.get(f"/viec/approval/{item.id}")
        assert re.search(r'<form method="get" action="' + re.escape(path)
                         + r'" target="khung-du-thao"', page.text)
        own = await client.get(path, params={"ket_qua": "approved",
                                             "noi_dung": "Cấp phiếu số 3 cho bà Bình."})
        denial = await client.get(path, params={"ket_qua": "denied",
                                                "noi_dung": "Thiếu bản sao CCCD hợp lệ."})
        unexplained = await client.get(path, params={"ket_qua": "denied"})
        wrong = await client.get(path, params={"ket_qua": "maybe"})
    assert "Kết quả giải quyết: Cấp phiếu số 3 cho bà Bình." in text_of(own.content, tmp_path)
    text = text_of(denial.content, tmp_path)
    assert "THÔNG BÁO" in text and "Lý do từ chối: Thiếu bản sao CCCD hợp lệ." in text
    assert unexplained.status_code == 409 and "chưa có lý do" in unexplained.text
    assert wrong.status_code == 422


async def test_a_denial_draft_is_the_refusal_notice_with_appraisals_findings(stack, tmp_path):
    item = stack["items"]["deny"]
    async with client_of(stack, "lanh.dao") as client:
        draft = await client.get(f"/viec/approval/{item.id}/du-thao.pdf")
    assert draft.status_code == 200
    text = text_of(draft.content, tmp_path)
    assert "THÔNG BÁO" in text and "Về việc từ chối giải quyết hồ sơ" in text
    assert "Lý do từ chối: Người yêu cầu không thuộc diện được cấp." in text
    # The leader follows it: denied from the page; then there is no draft any more.
    async with client_of(stack, "lanh.dao") as client:
        page = await client.get(f"/viec/approval/{item.id}")
        denied = await client.post(f"/viec/approval/{item.id}/quyet-dinh/deny", data={
            "csrf_token": csrf_of(page.text), "reason": "Không thuộc diện được cấp."})
        assert denied.status_code == 303, denied.text[:300]
        after = await client.get(f"/viec/approval/{item.id}")
        gone = await client.get(f"/viec/approval/{item.id}/du-thao.pdf")
    assert 'id="khung-du-thao"' not in after.text
    assert gone.status_code == 409 and "đã được quyết định" in gone.text


async def test_the_clerk_sees_the_leaders_decision_as_the_draft_before_signing(stack, tmp_path):
    item = stack["items"]["signing"]
    async with client_of(stack, "van.thu") as client:
        page = await client.get(f"/viec/signing/{item.id}")
        assert 'id="khung-du-thao"' in page.text
        assert 'id="gui-sign"' in page.text  # and the decision to sign, beside it
        assert 'id="xem-truoc"' not in page.text  # what the leader decided is what is signed
        draft = await client.get(f"/viec/signing/{item.id}/du-thao.pdf")
    text = text_of(draft.content, tmp_path)
    assert "Kết quả giải quyết: Cấp Phiếu lý lịch tư pháp số 1 cho người yêu cầu." in text
    assert "DỰ THẢO" in text and APPLICANT in text


async def test_the_draft_is_refused_to_another_agency_another_role_and_signed_out(stack):
    item = stack["items"]["approve"]
    path = f"/viec/approval/{item.id}/du-thao.pdf"
    async with client_of(stack, "khac") as other:
        refused = await other.get(path)
    assert refused.status_code == 403
    assert "belongs to agency STP, not SKHDT" in refused.text
    async with client_of(stack, "mot.cua") as clerk:
        assert (await clerk.get(path)).status_code == 403  # no approval role
        delivery = stack["items"]["counter"]
        assert (await clerk.get(f"/viec/delivery/{delivery.id}/du-thao.pdf")).status_code == 404
    async with client_of(stack, None) as nobody:
        signed_out = await nobody.get(path)
    assert signed_out.status_code == 303
    assert unquote(signed_out.headers["location"]) == f"/dang-nhap?tiep={path}"


def test_what_the_draft_states_comes_from_the_stages_item():
    procedure = "Cấp Phiếu lý lịch tư pháp"
    item = {"kind": "dossier", "code": "C-1", "context": {"recommendation": "approve"}}
    assert draft_outcome("approval", item, procedure) == (
        "approved", "Chấp thuận: Cấp Phiếu lý lịch tư pháp, hồ sơ C-1")
    item["context"] = {"outcome": "denied", "body": "Không đủ điều kiện"}
    assert draft_outcome("signing", item, procedure) == ("denied", "Không đủ điều kiện")
    item["context"] = {"recommendation": "deny", "findings": "Thiếu giấy tờ"}
    assert draft_outcome("approval", item, procedure, Wording("approved")) == (
        "approved", "Chấp thuận: Cấp Phiếu lý lịch tư pháp, hồ sơ C-1")
    assert draft_outcome("approval", item, procedure, Wording("denied")) == (
        "denied", "Thiếu giấy tờ")
    assert draft_outcome("approval", item, procedure, Wording("approved", "Cấp")) == (
        "approved", "Cấp")
    item["context"] = {"recommendation": "approve"}
    with pytest.raises(NoDraft):  # a denial the recommendation gave no reason for
        draft_outcome("approval", item, procedure, Wording("denied"))
    for stage, wrong in (("approval", {"kind": "consultation", "context": {}}),
                         ("approval", {"kind": "dossier", "state": "done", "outcome": "approved",
                                       "context": {"recommendation": "approve"}}),
                         ("approval", {"kind": "dossier", "context": {}}),
                         ("signing", {"kind": "dossier", "context": {"outcome": "stopped"}})):
        with pytest.raises(NoDraft):
            draft_outcome(stage, {"code": "C-1", **wrong}, procedure)


# ---- the delivery desk ---------------------------------------------------------------------

async def test_the_desk_hands_over_at_the_counter_and_prints_the_record(stack, tmp_path):
    item = stack["items"]["counter"]
    path = f"/viec/delivery/{item.id}"
    record_path = f"{path}/bien-ban.pdf"
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://delivery") as direct:
        before = await direct.get(f"/api/work-items/{item.id}/documents/hand-over-record",
                                  headers=bearer("STP", "delivery", "mot.cua"))
    assert before.status_code == 409  # nothing handed over yet
    async with client_of(stack, "mot.cua") as client:
        page = await client.get(path)
        assert page.status_code == 200
        assert 'id="trao-tai-quay"' in page.text and "0007/2026/QĐ-STP" in page.text
        assert f'value="{APPLICANT}"' in page.text  # the receiver's name starts as the applicant's
        assert 'id="quyet-dinh-hand-over"' not in page.text  # not twice
        # The identity paper not checked, an ID number for a name: refused here, in Vietnamese.
        refused = await client.post(f"{path}/trao-ket-qua", data={
            "csrf_token": csrf_of(page.text), "relation": "authorised",
            "receiver_name": "Trần Thị Bình 001203004567"})
        assert refused.status_code == 422
        for message in ("Cần kiểm tra giấy tờ tùy thân của người nhận",
                        "không ghi số giấy tờ tùy thân", "xuất trình giấy ủy quyền"):
            assert message in refused.text, message
        assert (await client.get(record_path)).status_code == 409
        # Without the form's token: refused before anything is done.
        assert (await client.post(f"{path}/trao-ket-qua", data={
            "relation": "self", "receiver_name": "Trần Thị Bình",
            "identity_checked": "true"})).status_code == 403
        handed = await client.post(f"{path}/trao-ket-qua", data={
            "csrf_token": csrf_of(page.text), "relation": "authorised",
            "receiver_name": "Trần Thị Bình", "identity_checked": "true",
            "authorisation": "Giấy ủy quyền số 12/UQ ngày 01/12/2026",
            "officer_full_name": "Người Giả Danh"})  # the account's, never the form's
        assert handed.status_code == 303, handed.text[:500]
        assert handed.headers["location"] == f"{path}#bien-ban"
        after = await client.get(path)
        assert 'id="da-trao"' in after.text and "Trần Thị Bình" in after.text
        assert f'<iframe src="{record_path}#view=FitH"' in after.text
        assert 'id="chuyen-buu-dien"' not in page.text  # a counter dossier: not to the post
        assert 'id="trao-tai-quay"' not in after.text
        record = await client.get(record_path)
        download = await client.get(record_path + "?tai=true")
    assert record.status_code == 200 and record.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    text = text_of(record.content, tmp_path)
    for expected in ("BIÊN BẢN BÀN GIAO KẾT QUẢ", stack["rows"]["counter"].code, APPLICANT,
                     "Bên nhận: Trần Thị Bình, người được người nộp hồ sơ ủy quyền",
                     "Giấy ủy quyền: Giấy ủy quyền số 12/UQ ngày 01/12/2026",
                     "Đã kiểm tra giấy tờ tùy thân", "0007/2026/QĐ-STP",
                     "Bên giao: Lò Văn Minh, công chức Bộ phận Một cửa"):
        assert expected in text, expected
    assert "mot.cua" not in text and "Giả Danh" not in text
    assert 'name="officer_full_name"' not in page.text  # no field: the account says it
    # The agency's manager reads the record, and the queue, but claims and decides nothing.
    manager = bearer("STP", "manager", "giam.doc")
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://delivery") as direct:
        url = f"/api/work-items/{item.id}/documents/hand-over-record"
        assert (await direct.get(url, headers=manager)).content == record.content
        assert (await direct.get("/api/work-items", headers=manager)).status_code == 200
        claim = await direct.post(f"/api/work-items/{item.id}/claim", headers=manager)
        decide = await direct.post(f"/api/work-items/{item.id}/decisions/hand-to-post",
                                   headers=manager, json={})
    assert claim.status_code == 403 and decide.status_code == 403
    # Every read of the record (it prints two names) is in intake's access log, as the
    # officer's, with the PDF's SHA-256, recorded by delivery before it answered.
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://intake") as direct:
        reads = (await direct.get("/api/personal-data-reads", headers=bearer(
            "STP", "auditor"), params={"code": stack["rows"]["counter"].code})).json()
    records = [(r["officer"], r["role"]) for r in reads if r["what"] == "hand-over-record"]
    assert records == [("giam.doc", "manager"), ("mot.cua", "delivery"),
                       ("mot.cua", "delivery")]  # newest first: the manager, the desk twice
    assert {r["sha256"] for r in reads if r["what"] == "hand-over-record"} == {
        hashlib.sha256(record.content).hexdigest()}
    async with stack["sessions"]() as db:
        stored = await db.scalar(select(DeliveryItem).where(DeliveryItem.id == item.id))
    assert stored.outcome == "delivered" and stored.decided_by == "officer:mot.cua"
    assert "Trần Thị Bình" not in str(stored.context)  # the receiver's name kept sealed


async def test_the_post_office_prints_its_own_hand_over_record_in_its_name(stack, tmp_path):
    item = stack["items"]["postal"]
    clerk = bearer("BUUDIEN", "delivery", "buu.ta")
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://delivery") as direct:
        url = f"/api/work-items/{item.id}"
        assert (await direct.post(f"{url}/claim", headers=clerk)).status_code == 200
        picked = await direct.post(f"{url}/decisions/pick-up", headers=clerk,
                                   json={"tracking_number": "RR123456785VN"})
        assert picked.status_code == 200, picked.text
    path = f"/viec/delivery/{item.id}"
    async with client_of(stack, "buu.ta") as client:
        # The delivery recorded in the workspace, which adds the clerk's full name from the
        # account: the record names the person, not the user name the token carries.
        form = await client.get(path)
        assert f'action="{path}/quyet-dinh/deliver"' in form.text
        assert 'name="officer_full_name"' not in form.text  # from the account, not typed
        delivered = await client.post(f"{path}/quyet-dinh/deliver", data={
            "csrf_token": csrf_of(form.text), "recipient": "Lê Văn Cường",
            "delivered_at": datetime.now(timezone.utc).isoformat()})
        assert delivered.status_code == 303, delivered.text[:500]
        page = await client.get(path)
        assert page.status_code == 200, page.text[:500]
        assert 'id="da-phat"' in page.text and "Lê Văn Cường" in page.text
        assert f'<iframe src="{path}/bien-ban.pdf#view=FitH"' in page.text
        assert 'id="trao-tai-quay"' not in page.text  # the desk's form is not the post's
        record = await client.get(f"{path}/bien-ban.pdf")
    assert record.status_code == 200 and record.headers["content-type"] == "application/pdf"
    text = text_of(record.content, tmp_path)
    for expected in ("BƯU ĐIỆN TỈNH LÀO CAI", "Bưu điện tỉnh Lào Cai giao kết quả",
                     "Bên giao: Phạm Thị Hoa, nhân viên bưu chính, Bưu điện tỉnh Lào Cai.",
                     "Bên nhận: Lê Văn Cường, người nhận tại địa chỉ ghi trên bưu gửi.",
                     "0003/2026/GCN-SKHDT", stack["rows"]["sxd"].code):
        assert expected in text, expected
    assert "Trung tâm Phục vụ" not in text and "giấy tờ tùy thân" not in text
    assert "buu.ta" not in text


async def test_every_view_of_a_delivery_item_with_its_personal_data_opened_is_logged(stack):
    """After the hand-over above, delivery's item keeps the receiver's name sealed and opens it
    for the desk's page: each such view (the item, the list, as the desk or the manager) is in
    intake's access log as the officer's read, before it is answered; without intake to record
    it in, nothing is shown (503)."""
    item, code = stack["items"]["counter"], stack["rows"]["counter"].code

    async def item_reads() -> list[tuple[str, str]]:
        async with httpx.AsyncClient(transport=stack["direct"],
                                     base_url="http://intake") as direct:
            reads = (await direct.get("/api/personal-data-reads", headers=bearer(
                "STP", "auditor"), params={"code": code})).json()
        assert all(r["sha256"] is None for r in reads if r["what"] == "work-item")
        return [(r["officer"], r["role"]) for r in reads if r["what"] == "work-item"]

    before = await item_reads()
    async with client_of(stack, "mot.cua") as client:
        page = await client.get(f"/viec/delivery/{item.id}")
    assert page.status_code == 200 and "Trần Thị Bình" in page.text  # the receiver, opened
    seen = await item_reads()
    assert len(seen) > len(before) and set(seen[:len(seen) - len(before)]) == {
        ("mot.cua", "delivery")}
    manager = bearer("STP", "manager", "giam.doc")
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://delivery") as direct:
        listed = await direct.get("/api/work-items", params={"state": "all"}, headers=manager)
    assert listed.status_code == 200
    [shown] = [i for i in listed.json() if i["id"] == str(item.id)]
    assert shown["context"]["handed_over"]["received_by"] == "Trần Thị Bình"
    assert (await item_reads())[0] == ("giam.doc", "manager")
    assert len(await item_reads()) == len(seen) + 1  # one item opened: one read
    # Nowhere to record the read: nothing opened is shown.
    async with httpx.AsyncClient(transport=stack["direct"],
                                 base_url="http://delivery-unlogged") as direct:
        one = await direct.get(f"/api/work-items/{item.id}", headers=manager)
        every = await direct.get("/api/work-items", params={"state": "all"}, headers=manager)
    assert one.status_code == every.status_code == 503
    assert "DELIVERY_INTAKE_URL" in one.text and "Trần Thị Bình" not in one.text + every.text


async def test_only_delivery_records_the_reads_it_serves_in_intakes_access_log(stack):
    row = stack["rows"]["counter"]
    read = {"dossier_id": str(row.id), "officer": "mot.cua", "agency": "STP",
            "role": "delivery", "what": "hand-over-record", "sha256": "a" * 64}

    def service(name: str, agency: str | None = None) -> dict[str, str]:
        token = ServiceTokens(signer_of(name, agency)).for_audience("intake")
        return {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://intake") as direct:
        url = "/internal/personal-data-reads"
        assert (await direct.post(url, json=read)).status_code == 401
        for body, headers, status in (
                (read, bearer("STP", "delivery"), 403),  # an officer logs nothing themselves
                (read, service("signing"), 403),  # nor another service
                ({**read, "what": "file"}, service("delivery"), 403),  # nor another kind
                (read, service("delivery", "BUUDIEN"), 403),  # an agency's own: its officers
                ({**read, "dossier_id": str(uuid7())}, service("delivery"), 404),
                ({**read, "officer": "x\n"}, service("delivery"), 422)):
            answer = await direct.post(url, json=body, headers=headers)
            assert answer.status_code == status, (body, answer.text)
        assert (await direct.post(url, json=read, headers=service("delivery"))).status_code == 201
        # A page of items opened: a list, recorded whole or not at all.
        opened = {**read, "what": "work-item", "sha256": None}
        count = len((await direct.get("/api/personal-data-reads", headers=bearer(
            "STP", "auditor"), params={"code": row.code})).json())
        for body, status in (([opened, {**opened, "dossier_id": str(uuid7())}], 404),
                             ([opened, {**opened, "what": "file"}], 403), ([], 422)):
            answer = await direct.post(url, json=body, headers=service("delivery"))
            assert answer.status_code == status, (body, answer.text)
        both = await direct.post(url, json=[opened, opened], headers=service("delivery"))
        assert both.status_code == 201 and both.json()["reads"] == 2
        after = (await direct.get("/api/personal-data-reads", headers=bearer(
            "STP", "auditor"), params={"code": row.code})).json()
        assert len(after) == count + 2
    # Without intake to record it in, the record is not served.
    with pytest.raises(ReadNotRecorded, match="DELIVERY_INTAKE_URL"):
        await IntakeAccessLog(None, ServiceTokens(signer_of("delivery")), what=RECORD).record(
            stack["items"]["counter"], Officer("mot.cua", "STP", "delivery"), b"%PDF", None)


async def test_the_record_is_refused_to_another_agency_another_role_and_signed_out(stack):
    item = stack["items"]["counter"]
    record = f"/viec/delivery/{item.id}/bien-ban.pdf"
    async with client_of(stack, "khac") as other:
        assert (await other.get(record)).status_code == 403
    async with client_of(stack, "lanh.dao") as leader:
        assert (await leader.get(record)).status_code == 403  # not a delivery officer
    async with client_of(stack, None) as nobody:
        assert (await nobody.get(record)).status_code == 303
    async with httpx.AsyncClient(transport=stack["direct"], base_url="http://delivery") as direct:
        url = f"/api/work-items/{item.id}/documents/hand-over-record"
        assert (await direct.get(url)).status_code == 401
        assert (await direct.get(url, headers=bearer("STP", "appraisal"))).status_code == 403
        assert (await direct.get(url, headers=bearer("SKHDT", "delivery"))).status_code == 403
        unknown = await direct.get(f"/api/work-items/{item.id}/documents/other",
                                   headers=bearer("STP", "delivery"))
        assert unknown.status_code == 404 and "hand-over-record" in unknown.text


def test_the_hand_over_form_says_what_is_missing_in_vietnamese():
    assert hand_over_problems({"receiver_name": ["Lò Thị Mai"], "identity_checked": ["true"],
                               "relation": ["self"]}) == {}
    problems = hand_over_problems({"relation": ["authorised"]})
    assert set(problems) == {"receiver_name", "identity_checked", "authorisation"}


# ---- the managers' pages -------------------------------------------------------------------

async def test_a_manager_reads_the_agencys_report_and_its_csv(stack):
    async with client_of(stack, "giam.doc") as client:
        assert 'href="/quan-ly/bao-cao" id="den-quan-ly"' in (await client.get("/hang-doi")).text
        home = await client.get("/quan-ly")
        assert home.status_code == 303 and home.headers["location"] == "/quan-ly/bao-cao"
        today = NOW.astimezone(timezone(timedelta(hours=7))).date()
        first = (today - timedelta(days=10)).isoformat()
        page = await client.get("/quan-ly/bao-cao", params={"tu": first, "theo": "procedure"})
        assert page.status_code == 200, page.text[:500]
        assert 'id="bao-cao"' in page.text and "Mẫu II.06a" in page.text
        row = re.search(r'<tr data-key="2.000488">(.*?)</tr>', page.text, re.S)
        assert row, page.text
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
        # Five STP dossiers received in the period, online, all in progress within the deadline.
        assert cells[:5] == ["5", "0", "5", "0", "0"]
        assert 'data-key="2.001610"' not in page.text  # SKHDT's is another agency's
        assert 'id="nav-quan-ly"' in page.text
        csv = await client.get("/quan-ly/bao-cao.csv", params={"tu": first,
                                                                "theo": "procedure"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[1].startswith("2.000488,")
        reversed_period = await client.get("/quan-ly/bao-cao", params={
            "tu": today.isoformat(), "den": first})
        assert reversed_period.status_code == 422
        assert "không được trước ngày bắt đầu" in reversed_period.text
        assert (await client.get("/quan-ly/bao-cao", params={"tu": "hôm qua"})).status_code == 422


async def test_the_overdue_list_links_every_stages_late_items_of_the_agency(stack):
    late = stack["items"]["late"]
    async with client_of(stack, "giam.doc") as client:
        page = await client.get("/quan-ly/qua-han")
        assert page.status_code == 200, page.text[:500]
        rows = re.findall(r'<tr class="overdue" data-code="([^"]+)" data-stage="([^"]+)">',
                          page.text)
        assert rows == [(stack["rows"]["late"].code, "approval")]  # not SKHDT's, not on time
        assert f'href="/viec/approval/{late.id}"' in page.text
        assert "1 ngày 12 giờ" in page.text
        assert 'id="buoc-chua-doc-duoc"' not in page.text  # every stage answered
        # The link: the item read, not decided.
        item = await client.get(f"/viec/approval/{late.id}")
        assert item.status_code == 200 and 'id="chi-xem"' in item.text
        assert '<a href="/quan-ly/qua-han">Hồ sơ quá hạn</a>' in item.text  # back to the list
        assert 'id="gui-approve"' not in item.text and 'id="nhan-viec"' not in item.text
        assert 'id="khung-du-thao"' in item.text and 'id="xem-truoc"' not in item.text
        decided = await client.post(f"/viec/approval/{late.id}/quyet-dinh/approve",
                                    data={"csrf_token": csrf_of(item.text)})
        assert decided.status_code == 403
        other = await client.get(f"/viec/approval/{stack['items']['sxd'].id}")
        assert other.status_code == 403


async def test_the_managers_pages_are_for_managers_only(stack):
    async with client_of(stack, "lanh.dao") as leader:
        for path in ("/quan-ly/bao-cao", "/quan-ly/qua-han", "/quan-ly/bao-cao.csv"):
            refused = await leader.get(path)
            assert refused.status_code == 403, path
            assert "dành cho lãnh đạo, quản lý" in refused.text
        assert 'id="nav-quan-ly"' not in (await leader.get("/hang-doi")).text
    async with client_of(stack, None) as nobody:
        assert (await nobody.get("/quan-ly/qua-han")).status_code == 303


def test_how_late_is_said_in_clock_time():
    now = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
    assert overdue_by(now, "2026-12-02T20:00:00+00:00") == "1 ngày 14 giờ"
    assert overdue_by(now, "2026-12-04T08:15:00+00:00") == "1 giờ 45 phút"
    assert overdue_by(now, "2026-12-04T09:59:00+00:00") == "1 phút"
