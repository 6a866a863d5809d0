"""Issue 14's whole journey in the officers' workspace, in headless chromium on the real stack with
officers in charge, each step in the browser as the officer who takes it:

1. the desk officer of STNMT signs in, files a counter dossier for a citizen with two scanned
   PDFs, and prints form 01 (the receipt, which intake's automatic check issues);
2. the appraisal officer opens the item, views a scan in the page, and asks for a supplement;
3. the citizen supplements with the missing paper over the API (upload, then supplement), as
   the issue's scenario says (the desk's own supplement at the counter is
   tests/workspace/test_desk_pages.py's);
4. the appraisal officer sees it among the dossier's files and recommends;
5. the leader views the draft result (the PDF it will become) and approves;
6. the clerk signs;
7. the desk officer hands the result over at the counter and prints the hand-over record,
   whose reads are in intake's access log.

Screenshots of every step land in test-artifacts/ (journey-*.png), the forms' PDFs beside them."""

from __future__ import annotations

import asyncio
import hashlib
import time

import httpx
import pytest
from selenium.webdriver.support.ui import Select

from motcua_cli.samples import sample_pdf
from tests.browser import browser, wait_until
from tests.conftest import ARTIFACTS
from tests.e2e.test_workspace import LAND_CERTIFICATE
from tests.e2e.workspace_browser import (
    add_officer,
    browser_client,
    decide_in_page,
    fill,
    item_in_queue,
    open_decision,
    pdf_text,
    reload_until,
    screenshot,
    sign_in,
    signed_in_as,
)
from tests.support import officer_headers, running_stack

pytestmark = pytest.mark.e2e

APPLICANT = "Lý Thị Xuân"
MISSING = "Sơ đồ thửa đất"
SCANS = {"don-de-nghi.pdf": "Đơn đề nghị cấp đổi Giấy chứng nhận",
         "giay-chung-nhan.pdf": "Giấy chứng nhận quyền sử dụng đất số AB 123456",
         "so-do-thua-dat.pdf": "Sơ đồ thửa đất số 215, tờ bản đồ 18"}


def shot(driver, name: str, *, frame: str | None = None) -> None:
    screenshot(driver, f"journey-{name}", frame=frame)


async def test_a_dossier_goes_from_the_counter_to_the_hand_over_in_the_workspace(
        infra, log_dir, tmp_path):
    started = time.monotonic()
    database_url, topic = await infra.isolated("workspace_journey")
    for name, title in SCANS.items():
        (tmp_path / name).write_bytes(sample_pdf(title))
    with running_stack(infra, database_url, topic, log_dir, officers=True,
                       workspace=True) as stack:
        base = stack.service("workspace").http_url
        for name, roles, full_name in (("mot.cua", ("intake", "delivery"), "Vũ Minh Châu"),
                                       ("chuyen.vien", "appraisal", "Nguyễn Thị Hoa"),
                                       ("lanh.dao", "approval", "Đỗ Văn Hùng"),
                                       ("van.thu", "signing", "Phạm Thị Thu")):
            add_officer(database_url, tmp_path, "STNMT", roles, name, full_name)
        driver = browser()
        try:
            # 1. The desk files the dossier at the counter, then prints form 01.
            driver.get(base + f"/quay?thu_tuc={LAND_CERTIFICATE}")
            wait_until(driver, lambda d: "/dang-nhap" in d.current_url, 20, "sent to sign in")
            sign_in(driver, base, "mot.cua")
            wait_until(driver, lambda d: d.find_element("id", "bieu-mau-nop"), 30,
                       "the filing form")
            fill(driver, "ho_ten", APPLICANT)
            fill(driver, "so_dinh_danh", "010187003456")
            fill(driver, "dien_thoai", "0915246813")
            fill(driver, "dia_chi", "Tổ 5, phường Cốc Lếu, tỉnh Lào Cai")
            fill(driver, "du_lieu-land_parcel_id", "Thửa 215, tờ bản đồ 18")
            driver.find_element("id", "tep_0").send_keys(str(tmp_path / "don-de-nghi.pdf"))
            driver.find_element("id", "tep_1").send_keys(str(tmp_path / "giay-chung-nhan.pdf"))
            shot(driver, "1-desk-form")
            driver.find_element("id", "nut-tiep-nhan").click()
            code = wait_until(driver, lambda d: d.find_element("id", "ma-ho-so"), 30,
                              "the filed dossier").text
            dossier_url = driver.current_url.split("?")[0]
            assert len(driver.find_elements("css selector", "#tep-ho-so li")) == 2
            link = reload_until(driver, dossier_url, lambda d: d.find_element("id", "in-mau-01"),
                                60, "form 01 to print")
            shot(driver, "2-desk-filed")
            with browser_client(driver, base) as client:
                form_01 = client.get(link.get_attribute("href"))
            assert form_01.status_code == 200, form_01.text[:300]
            (ARTIFACTS / "journey-form-01.pdf").write_bytes(form_01.content)
            text = pdf_text(form_01.content, tmp_path, "form-01")
            assert code in text and APPLICANT in text
            driver.get(link.get_attribute("href"))
            time.sleep(1.5)  # the PDF viewer draws the page
            shot(driver, "3-form-01")

            # 2. Appraisal views a scan in the page, then asks for a supplement.
            specialist = officer_headers("STNMT", "appraisal", "chuyen.vien")
            item = await item_in_queue(stack.queue_url("appraisal"), specialist, code)
            item_path = f"/viec/appraisal/{item['id']}"
            signed_in_as(driver, base, "chuyen.vien", item_path)
            frame = wait_until(driver, lambda d: d.find_element("id", "khung-tep"), 20,
                               "the scan shown in the page")
            with browser_client(driver, base) as client:
                scan = client.get(frame.get_attribute("src"))
            assert scan.status_code == 200 and scan.content.startswith(b"%PDF")
            assert hashlib.sha256(scan.content).hexdigest() in frame.get_attribute("src")
            shot(driver, "4-appraisal-file", frame="xem-tep")
            open_decision(driver, "request-supplement")
            fill(driver, "request-supplement-missing_documents", MISSING)
            fill(driver, "request-supplement-reason",
                 "Cần sơ đồ thửa đất để đối chiếu ranh giới với bản đồ địa chính.")
            assert "Yêu cầu bổ sung" in decide_in_page(driver, "request-supplement")
            shot(driver, "5-supplement-requested")

            # 3. The citizen supplements over the API: the file, then the supplement. Intake
            # keeps the documents asked for, one by one (the desk's supplement form offers a
            # file for each).
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as citizen:
                for _ in range(60):
                    officer_view = (await citizen.get(f"/api/officer/dossiers/{code}",
                                                      headers=specialist)).json()
                    if officer_view["status"]["code"] == 5:
                        break
                    await asyncio.sleep(0.5)
                assert officer_view["supplement_documents"] == [MISSING]
                uploaded = await citizen.post("/api/files", files=[(
                    "file", ("so-do-thua-dat.pdf", (tmp_path / "so-do-thua-dat.pdf").read_bytes(),
                             "application/pdf"))])
                assert uploaded.status_code == 201, uploaded.text
                supplemented = await citizen.post(f"/api/dossiers/{code}/supplement", json={
                    "id_number": "010187003456",
                    "documents": [{"name": MISSING,
                                   "sha256": uploaded.json()["files"][0]["sha256"]}]})
                assert supplemented.status_code == 202, supplemented.text

            # 4. Appraisal, with the supplement among the files, recommends.
            await item_in_queue(stack.queue_url("appraisal"), specialist, code, state="open")
            signed_in_as(driver, base, "chuyen.vien", item_path)
            documents = driver.find_element("css selector", "ol.documents").text
            assert MISSING in documents
            supplements = driver.find_element("id", "bo-sung").find_element(
                "xpath", "..").text
            assert "Công dân đã bổ sung" in supplements  # by the citizen, not by an officer
            shot(driver, "7-appraisal-supplemented")
            open_decision(driver, "recommend")
            Select(driver.find_element("id", "recommend-recommendation")).select_by_value(
                "approve")
            fill(driver, "recommend-findings", "Hồ sơ đầy đủ sau bổ sung, ranh giới khớp "
                                               "bản đồ địa chính.")
            assert "Trình kết quả thẩm định" in decide_in_page(driver, "recommend")
            shot(driver, "8-recommended")

            # 5. The leader views the draft result, then approves.
            approval = await item_in_queue(stack.queue_url("approval"), officer_headers(
                "STNMT", "approval", "lanh.dao"), code)
            signed_in_as(driver, base, "lanh.dao", f"/viec/approval/{approval['id']}")
            frame = wait_until(driver, lambda d: d.find_element("id", "khung-du-thao"), 20,
                               "the draft in the page")
            with browser_client(driver, base) as client:
                draft = client.get(frame.get_attribute("src").split("#")[0])
            text = pdf_text(draft.content, tmp_path, "draft")
            assert "DỰ THẢO" in text and APPLICANT in text and code in text
            shot(driver, "9-approval-draft", frame="du-thao")
            assert "Phê duyệt" in decide_in_page(driver, "approve")

            # 6. The clerk signs.
            signing = await item_in_queue(stack.queue_url("signing"), officer_headers(
                "STNMT", "signing", "van.thu"), code)
            signed_in_as(driver, base, "van.thu", f"/viec/signing/{signing['id']}")
            wait_until(driver, lambda d: d.find_element("id", "khung-du-thao"), 20,
                       "the draft at signing")
            shot(driver, "10-signing")
            assert "Ký số" in decide_in_page(driver, "sign")

            # 7. The desk hands the result over at the counter and prints the record.
            delivery = await item_in_queue(stack.queue_url("delivery"), officer_headers(
                "STNMT", "delivery", "mot.cua"), code)
            signed_in_as(driver, base, "mot.cua", f"/viec/delivery/{delivery['id']}")
            wait_until(driver, lambda d: d.find_element("id", "trao-tai-quay"), 20,
                       "the hand-over form")
            assert driver.find_element("id", "hand-over-receiver_name").get_attribute(
                "value") == APPLICANT
            driver.find_element("id", "hand-over-identity_checked").click()
            shot(driver, "11-hand-over")
            driver.find_element("id", "gui-hand-over").click()
            wait_until(driver, lambda d: d.find_element("id", "da-trao"), 30,
                       "the hand-over recorded")
            with browser_client(driver, base) as client:
                record = client.get(driver.find_element("id", "tai-bien-ban")
                                    .get_attribute("href"))
            assert record.status_code == 200, record.text[:300]
            (ARTIFACTS / "journey-hand-over-record.pdf").write_bytes(record.content)
            text = pdf_text(record.content, tmp_path, "record")
            assert "BIÊN BẢN BÀN GIAO" in text and code in text and APPLICANT in text
            shot(driver, "12-hand-over-record", frame="bien-ban")
        finally:
            driver.quit()
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            view = (await client.get(f"/api/dossiers/{code}",
                                     params={"id_number": "010187003456"})).json()
            # Reading the hand-over record (the frame, the download) is in intake's access
            # log like every read of personal data, recorded by delivery as the desk officer's.
            reads = (await client.get("/api/personal-data-reads", params={"code": code},
                                      headers=officer_headers("STNMT", "auditor"))).json()
        assert view["status"]["code"] == 10  # delivered
        supplied = [e for e in view["timeline"] if e["type"] == "SupplementProvided"]
        assert len(supplied) == 1
        # So is each view of the delivery item with the receiver's name opened (the panel).
        assert {(r["officer"], r["role"]) for r in reads if r["what"] == "work-item"} == {
            ("mot.cua", "delivery")}
        records = [r for r in reads if r["what"] == "hand-over-record"]
        assert records and {(r["officer"], r["role"]) for r in records} == {
            ("mot.cua", "delivery")}
        assert hashlib.sha256(record.content).hexdigest() in {r["sha256"] for r in records}
    print(f"the journey took {time.monotonic() - started:.0f} s")
