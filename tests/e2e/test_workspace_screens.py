"""The leaders', the delivery desk's and the managers' screens of the workspace on the real stack
with officers in charge, driven in headless chromium. A land dossier of STNMT (officers at every
stage) is appraised over the work queue's API; then in the browser the leader opens the approval
item, sees the draft result as a PDF in the page (its "DỰ THẢO" and the applicant's name read
back with pdftotext) and approves; the clerk sees the draft again and signs; the desk officer
hands the result over at the counter with the receiver's name and the identity check and
downloads the hand-over record (pdftotext shows the receiver's name); the manager opens the
II.06a report and the overdue list, and reads an item without being offered a decision.
Screenshots of each screen land in test-artifacts/ (workspace-screens-*.png)."""

from __future__ import annotations

import random

import httpx
import pytest
from sqlalchemy import text

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_runtime.db import create_engine
from tests.browser import browser, wait_until
from tests.e2e.test_workspace import LAND_CERTIFICATE
from tests.e2e.workspace_browser import (
    add_officer,
    browser_client,
    decide_in_page,
    item_in_queue,
    pdf_text,
    screenshot,
    signed_in_as,
)
from tests.support import officer_headers, running_stack

pytestmark = pytest.mark.e2e
CATALOGUE = default_catalogue()
RECEIVER = "Hoàng Thị Nhung"
DECISION = "Cấp đổi Giấy chứng nhận quyền sử dụng đất thửa số 7299, tờ bản đồ số 12."


def shot(driver, name: str, *, frame: str | None = None) -> None:
    screenshot(driver, f"workspace-screens-{name}", frame=frame)


async def backdate(database_url: str, item_id: str) -> None:
    """The appraisal item's due time two days ago: what the overdue list is for."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "UPDATE appraisal.work_items SET due_at = now() - interval '2 days 1 hour' "
                "WHERE id = :id"), {"id": item_id})
    finally:
        await engine.dispose()


async def file_counter_dossier(api_url: str, seed: int = 1414) -> dict:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        catalogue = {p["code"]: p for p in (await client.get("/api/procedures")).json()}
        await upload_sample_files(client, [catalogue[LAND_CERTIFICATE]])
        body = sample_submission(catalogue[LAND_CERTIFICATE], random.Random(seed),
                                 channel="online", delivery="counter")
        response = await client.post("/api/dossiers", json=body)
        assert response.status_code == 202, response.text
        return {**response.json(), "applicant": body["applicant"]}


async def appraise(queue_url: str, item_id: str) -> None:
    headers = officer_headers("STNMT", "appraisal", "chuyen.vien")
    async with httpx.AsyncClient(base_url=queue_url, timeout=30) as client:
        claimed = await client.post(f"/api/work-items/{item_id}/claim", headers=headers)
        assert claimed.status_code == 200, claimed.text
        done = await client.post(f"/api/work-items/{item_id}/decisions/recommend",
                                 headers=headers, json={
                                     "recommendation": "approve",
                                     "findings": "Hồ sơ đầy đủ, thửa đất không tranh chấp."})
        assert done.status_code == 200, done.text


async def test_leader_clerk_desk_and_manager_work_in_the_browser(infra, log_dir, tmp_path):
    database_url, topic = await infra.isolated("workspace_screens_e2e")
    with running_stack(infra, database_url, topic, log_dir, officers=True,
                       workspace=True) as stack:
        base = stack.service("workspace").http_url
        for name, role, full_name in (("lanh.dao", "approval", "Đỗ Văn Hùng"),
                                      ("van.thu", "signing", "Phạm Thị Thu"),
                                      ("mot.cua", "delivery", "Vũ Minh Châu"),
                                      ("giam.doc", "manager", "Nguyễn Quốc Bảo")):
            add_officer(database_url, tmp_path, "STNMT", role, name, full_name)
        dossier = await file_counter_dossier(stack.api_url)
        code, applicant = dossier["code"], dossier["applicant"]["full_name"]
        appraisal = await item_in_queue(stack.queue_url("appraisal"), officer_headers(
            "STNMT", "appraisal", "chuyen.vien"), code)
        await appraise(stack.queue_url("appraisal"), appraisal["id"])
        approval = await item_in_queue(stack.queue_url("approval"), officer_headers(
            "STNMT", "approval", "lanh.dao"), code)

        driver = browser()
        try:
            # The leader: the draft in the page, then approve.
            path = f"/viec/approval/{approval['id']}"
            signed_in_as(driver, base, "lanh.dao", path)
            frame = wait_until(driver, lambda d: d.find_element("id", "khung-du-thao"), 20,
                               "the draft framed in the item page")
            with browser_client(driver, base) as client:
                draft = client.get(frame.get_attribute("src").split("#")[0])
                download = client.get(driver.find_element("id", "tai-du-thao")
                                      .get_attribute("href"))
            assert draft.status_code == 200, draft.text[:300]
            assert draft.headers["content-type"] == "application/pdf"
            assert download.headers["content-disposition"].startswith("attachment")
            text = pdf_text(draft.content, tmp_path, "draft")
            for expected in ("DỰ THẢO", applicant, code, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
                             "Kết quả giải quyết: Chấp thuận"):
                assert expected in text, expected
            assert "ĐÃ KÝ SỐ" not in text
            shot(driver, "1-approval-page")
            shot(driver, "1-approval-draft", frame="du-thao")
            # The leader words the decision, draws it in the frame, then approves with it.
            preview = driver.find_element("id", "xem-truoc")
            preview.find_element("id", "xem-truoc-noi-dung").send_keys(DECISION)
            preview.find_element("id", "nut-xem-truoc").click()
            shot(driver, "2-approval-own-wording", frame="du-thao")
            driver.find_element("css selector", "#quyet-dinh-approve > summary").click()
            driver.find_element("id", "approve-decision").send_keys(DECISION)
            assert "Phê duyệt" in decide_in_page(driver, "approve")
            shot(driver, "2-approved")

            # The clerk: the draft again (the leader's decision), then sign.
            signing = await item_in_queue(stack.queue_url("signing"), officer_headers(
                "STNMT", "signing", "van.thu"), code)
            path = f"/viec/signing/{signing['id']}"
            signed_in_as(driver, base, "van.thu", path)
            frame = wait_until(driver, lambda d: d.find_element("id", "khung-du-thao"), 20,
                               "the draft at signing")
            with browser_client(driver, base) as client:
                at_signing = client.get(frame.get_attribute("src").split("#")[0])
            text = pdf_text(at_signing.content, tmp_path, "signing-draft")
            assert f"Kết quả giải quyết: {DECISION}" in text  # what the leader decided
            shot(driver, "3-signing-draft", frame="du-thao")
            assert "Ký số" in decide_in_page(driver, "sign")

            # The desk: hand over at the counter, then the record.
            delivery = await item_in_queue(stack.queue_url("delivery"), officer_headers(
                "STNMT", "delivery", "mot.cua"), code)
            path = f"/viec/delivery/{delivery['id']}"
            signed_in_as(driver, base, "mot.cua", path)
            form = wait_until(driver, lambda d: d.find_element("id", "trao-tai-quay"), 20,
                              "the hand-over form")
            assert applicant in driver.find_element("id", "ket-qua-tra").text
            assert "chuyen-buu-dien" not in driver.page_source  # a counter dossier
            shot(driver, "4-delivery-desk")
            # Without the identity check: refused in the page, nothing handed over.
            form.find_element("id", "gui-hand-over").click()
            summary = wait_until(driver, lambda d: d.find_element("id", "loi-quyet-dinh"), 20,
                                 "the form's errors")
            assert "giấy tờ tùy thân" in driver.page_source
            shot(driver, "5-delivery-refused")
            assert summary.is_displayed()
            name = driver.find_element("id", "hand-over-receiver_name")
            name.clear()
            name.send_keys(RECEIVER)
            driver.find_element("id", "hand-over-relation-authorised").click()
            driver.find_element("id", "hand-over-authorisation").send_keys(
                "Giấy ủy quyền số 25/UQ ngày 02/12/2026")
            driver.find_element("id", "hand-over-identity_checked").click()
            driver.find_element("id", "gui-hand-over").click()
            wait_until(driver, lambda d: d.find_element("id", "da-trao"), 30,
                       "the hand-over recorded")
            assert RECEIVER in driver.find_element("id", "da-trao").text
            record_url = driver.find_element("id", "tai-bien-ban").get_attribute("href")
            with browser_client(driver, base) as client:
                record = client.get(record_url)
            assert record.status_code == 200, record.text[:300]
            assert record.headers["content-disposition"].startswith("attachment")
            text = pdf_text(record.content, tmp_path, "record")
            for expected in ("BIÊN BẢN BÀN GIAO", RECEIVER, code, applicant,
                             "Giấy ủy quyền số 25/UQ ngày 02/12/2026", "Bên giao: Vũ Minh Châu"):
                assert expected in text, expected
            shot(driver, "6-handed-over")
            shot(driver, "6-hand-over-record", frame="bien-ban")

            # The manager: the report, the overdue list, an item read only. A second dossier
            # waits at appraisal past its due time (as if two days went by).
            late = await file_counter_dossier(stack.api_url, seed=1415)
            waiting = await item_in_queue(stack.queue_url("appraisal"), officer_headers(
                "STNMT", "appraisal", "chuyen.vien"), late["code"])
            await backdate(database_url, waiting["id"])
            signed_in_as(driver, base, "giam.doc", "/quan-ly/bao-cao")
            table = wait_until(driver, lambda d: d.find_element("id", "bao-cao"), 20,
                               "the report's table")
            assert "Tổng cộng" in table.text
            assert CATALOGUE.procedures[LAND_CERTIFICATE].field in table.text
            shot(driver, "7-manager-report")
            driver.find_element("id", "tab-qua-han").click()
            wait_until(driver, lambda d: d.find_element("id", "theo-buoc"), 20,
                       "the overdue list")
            assert "buoc-chua-doc-duoc" not in driver.page_source  # every stage answered
            row = driver.find_element("css selector", f'tr[data-code="{late["code"]}"]')
            assert row.get_attribute("data-stage") == "appraisal" and "2 ngày" in row.text
            shot(driver, "8-manager-overdue")
            row.find_element("css selector", "a").click()
            wait_until(driver, lambda d: d.find_element("id", "chi-xem"), 20,
                       "the overdue item, read only")
            assert "gui-recommend" not in driver.page_source
            driver.get(base + f"/viec/delivery/{delivery['id']}")
            wait_until(driver, lambda d: d.find_element("id", "chi-xem"), 20,
                       "the item, read only")
            assert "gui-hand-over" not in driver.page_source
            shot(driver, "9-manager-reads-an-item")
        finally:
            driver.quit()
