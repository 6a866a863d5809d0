"""My queue and an item's page against appraisal's real work queue (built in-process as the
service builds it, on a real Postgres), called through the workspace with the tokens it mints:
due times marked red and amber in Vietnam time, the filters, a claim refused by the stage shown
with its message, a decision's form checked before it is sent, and a decision taken."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_appraisal.orm import WorkItem
from motcua_contracts import uuid7
from motcua_runtime.db import create_engine
from motcua_runtime.scope import AgencyScope
from motcua_runtime.work_items import OPEN
from motcua_runtime.work_queue import create_work_queue_api
from motcua_workspace.accounts import add_account
from motcua_workspace.upstream import Directory, Upstream
from tests.officer_tokens import ISSUER, current_officer
from tests.personal import facts
from tests.runtime.test_agency_queue import POLICY, STAGE
from tests.support import officer_headers, signer_of
from tests.workspace.test_pages import PASSWORD, csrf_of, sign_in, workspace

NOW = datetime.now(timezone.utc)


def work_item(procedure: str, number: int, due_in: timedelta) -> WorkItem:
    dossier_id = uuid7()
    dossier = facts(dossier_id, code=f"000.00.15.H38-261203-{number:04d}",
                    procedure_code=procedure, applicant_name="Lò Văn Sáng",
                    received_at=NOW - timedelta(days=3), delivery_channel="online")
    return WorkItem(id=uuid7(), dossier_id=dossier_id, agency="STP", kind="dossier",
                    procedure_code=procedure, dossier=dossier.model_dump(mode="json"),
                    opened_at=NOW - timedelta(days=2), opened_by_event=uuid7(),
                    due_at=NOW + due_in, state=OPEN, awaiting=[], answers=[], context={})


@pytest.fixture(scope="module")
async def stack(infra):
    database_url, topic = await infra.isolated("workspace_queue")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    items = [work_item("2.000488", 1, -timedelta(hours=2)),
             work_item("2.000488", 2, timedelta(hours=3)),
             work_item("1.009972", 3, timedelta(days=5))]
    async with sessions() as db, db.begin():
        db.add_all(items)
    await add_account(sessions, agency="STP", roles=["appraisal"], user_name="chuyen.vien",
                      full_name="Phạm Minh Tuấn", password=PASSWORD)
    signer = signer_of("appraisal")
    queue = create_work_queue_api(
        STAGE, WorkItem, POLICY.work_queue(), sessions=sessions, producer=signer.producer,
        topic=topic, current_officer=current_officer("appraisal"), on_commit=lambda: None,
        sign=signer.sign, scope=AgencyScope.shared(set()))
    # Intake is not running here: its officer API answers 404 from the queue's app, and the
    # page says it could not read the dossier.
    upstream = Upstream(Directory({"appraisal": "http://appraisal"}), "http://appraisal",
                        ISSUER, token_lifetime=timedelta(minutes=5),
                        transport=httpx.ASGITransport(app=queue))
    async with workspace(sessions, upstream=upstream) as client, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=queue),
                              base_url="http://appraisal") as direct:
        await sign_in(client, "chuyen.vien")
        yield client, direct, items
    await upstream.close()
    await engine.dispose()


def rows(html: str) -> dict[str, str]:
    """Each row of the queue's table: code -> its class."""
    return {code: cls for cls, code in re.findall(
        r'<tr class="([^"]*)" data-code="([^"]+)"', html)}


async def test_the_queue_marks_overdue_red_and_due_soon_amber_in_vietnam_time(stack):
    client, _, items = stack
    page = await client.get("/hang-doi")
    assert page.status_code == 200
    assert rows(page.text) == {"000.00.15.H38-261203-0001": "overdue",
                               "000.00.15.H38-261203-0002": "due-soon",
                               "000.00.15.H38-261203-0003": ""}
    due = (items[2].due_at.astimezone(timezone(timedelta(hours=7)))).strftime("%d/%m/%Y %H:%M")
    assert due in page.text and "Giờ Việt Nam (UTC+7)" in page.text
    assert page.text.index("261203-0001") < page.text.index("261203-0003")  # soonest due first


async def test_the_filters_by_procedure_state_and_text(stack):
    client, _, _ = stack
    by_procedure = await client.get("/hang-doi", params={"thu_tuc": "1.009972"})
    assert set(rows(by_procedure.text)) == {"000.00.15.H38-261203-0003"}
    by_text = await client.get("/hang-doi", params={"tim": "261203-0002"})
    assert set(rows(by_text.text)) == {"000.00.15.H38-261203-0002"}
    done = await client.get("/hang-doi", params={"trang_thai": "done"})
    assert rows(done.text) == {} and "Không có việc nào" in done.text
    bad = await client.get("/hang-doi", params={"trang_thai": "xoa-het"})
    assert bad.status_code == 422


async def test_a_claim_the_stage_refuses_is_shown_with_its_message(stack):
    client, direct, items = stack
    taken = items[2]
    other = officer_headers("STP", "appraisal", "nguoi.khac")
    assert (await direct.post(f"/api/work-items/{taken.id}/claim", headers=other)
            ).status_code == 200
    page = await client.get("/hang-doi")
    refused = await client.post(f"/viec/appraisal/{taken.id}/nhan",
                                data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409
    assert "Không thực hiện được lúc này" in refused.text
    assert "claimed by nguoi.khac" in refused.text
    item = await client.get(f"/viec/appraisal/{taken.id}")
    assert "do <strong>nguoi.khac</strong> nhận" in item.text


async def test_a_decision_is_checked_then_taken_through_the_stage(stack):
    client, direct, items = stack
    first = items[0]
    page = await client.get(f"/viec/appraisal/{first.id}")
    assert page.status_code == 200
    assert 'id="ho-so-chua-doc-duoc"' in page.text  # no intake here
    assert 'action="/viec/appraisal/%s/quyet-dinh/recommend"' % first.id in page.text
    assert "Kết quả thẩm định, căn cứ" in page.text  # the findings field, from the schema
    token = csrf_of(page.text)
    empty = await client.post(f"/viec/appraisal/{first.id}/quyet-dinh/recommend",
                              data={"csrf_token": token, "recommendation": "approve"})
    assert empty.status_code == 422 and "Cần nhập kết quả thẩm định" in empty.text
    decided = await client.post(f"/viec/appraisal/{first.id}/quyet-dinh/recommend",
                                data={"csrf_token": token, "recommendation": "approve",
                                      "findings": "Đủ điều kiện"})
    assert decided.status_code == 303 and "da_xong=recommend" in decided.headers["location"]
    shown = (await direct.get(f"/api/work-items/{first.id}",
                              headers=officer_headers("STP", "appraisal", "chuyen.vien"))).json()
    assert shown["state"] == "done" and shown["decided_by"] == "officer:chuyen.vien"
    again = await client.post(f"/viec/appraisal/{first.id}/quyet-dinh/recommend",
                              data={"csrf_token": token, "recommendation": "approve",
                                    "findings": "Lần nữa"})
    assert again.status_code == 409 and "Bước xử lý không chấp nhận" in again.text
