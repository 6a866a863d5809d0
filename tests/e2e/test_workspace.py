"""The officers' workspace on the real stack with officers in charge, driven in headless chromium:
a signed-out visit is sent to sign in; a wrong password gets a message; the appraisal officer of
the competent agency sees the dossier in their queue, claims it, opens it, views its file in the
page (streamed from intake's officer download with the officer's token, which never reaches the
browser), has a form posted without its CSRF token refused with 403, then recommends, and the
dossier moves on to approval; an officer of another agency gets 403 on that item and its file.
Accounts are made with `motcua officer add`. Screenshots of each screen land in test-artifacts/."""

from __future__ import annotations

import hashlib
import random
import time

import httpx
import pytest

from motcua_cli.samples import sample_submission, upload_sample_files
from tests.browser import browser, wait_until
from tests.e2e.workspace_browser import (
    add_officer,
    browser_client,
    item_in_queue,
    screenshot,
    sign_in,
)
from tests.support import officer_headers, running_stack

pytestmark = pytest.mark.e2e

LAND_CERTIFICATE = "1.012790"  # STNMT, officers at every stage


async def file_dossier(api_url: str) -> dict:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        catalogue = {p["code"]: p for p in (await client.get("/api/procedures")).json()}
        await upload_sample_files(client, [catalogue[LAND_CERTIFICATE]])
        body = sample_submission(catalogue[LAND_CERTIFICATE], random.Random(14),
                                 channel="online", delivery="online")
        response = await client.post("/api/dossiers", json=body)
        assert response.status_code == 202, response.text
        return {**response.json(), "documents": body["documents"]}


def shot(driver, name: str, *, whole: bool = False) -> None:
    screenshot(driver, f"workspace-{name}", whole=whole)


async def test_an_appraisal_officer_works_a_dossier_in_the_browser(infra, log_dir, tmp_path):
    database_url, topic = await infra.isolated("workspace")
    with running_stack(infra, database_url, topic, log_dir, officers=True,
                       workspace=True) as stack:
        base = stack.service("workspace").http_url
        add_officer(database_url, tmp_path, "STNMT", "appraisal", "chuyen.vien",
                    "Nguyễn Thị Hoa")
        add_officer(database_url, tmp_path, "STP", "appraisal", "stp.chuyenvien",
                    "Lê Văn Minh")
        dossier = await file_dossier(stack.api_url)
        code = dossier["code"]
        specialist = officer_headers("STNMT", "appraisal", "chuyen.vien")
        item = await item_in_queue(stack.queue_url("appraisal"), specialist, code)
        item_path = f"/viec/appraisal/{item['id']}"

        driver = browser()
        try:
            # Signed out: any page sends to sign-in, and back to it after.
            driver.get(base + "/hang-doi")
            wait_until(driver, lambda d: "/dang-nhap" in d.current_url, 20, "sent to sign in")
            assert "tiep=%2Fhang-doi" in driver.current_url
            shot(driver, "1-sign-in")

            sign_in(driver, base, "chuyen.vien", "không phải mật khẩu")
            message = wait_until(driver, lambda d: d.find_element("id", "loi-dang-nhap"), 20,
                                 "the wrong password's message")
            assert "Tên đăng nhập hoặc mật khẩu không đúng" in message.text
            shot(driver, "2-wrong-password")

            sign_in(driver, base, "chuyen.vien")
            row = wait_until(driver, lambda d: d.find_element(
                "css selector", f'tr[data-code="{code}"]'), 30, "the dossier in my queue")
            assert "Nguyễn Thị Hoa" in driver.find_element("css selector", ".who").text
            assert "Giờ Việt Nam" in driver.page_source
            shot(driver, "3-queue")

            row.find_element("css selector", "button").click()  # claim: to the item's page
            wait_until(driver, lambda d: d.current_url.endswith(item_path), 30, "the item page")
            assert code in driver.find_element("tag name", "h1").text
            assert "chuyen.vien" in driver.find_element("css selector", "dl.summary").text
            frame = wait_until(driver, lambda d: d.find_element("id", "khung-tep"), 20,
                               "the file shown in the page")
            source = frame.get_attribute("src")
            first = dossier["documents"][0]
            assert first["sha256"] in source
            with browser_client(driver, base) as client:
                shown = client.get(source)
            assert shown.status_code == 200, shown.text[:300]
            assert shown.headers["content-type"] == "application/pdf"
            assert shown.headers["content-disposition"].startswith("inline")
            assert hashlib.sha256(shown.content).hexdigest() == first["sha256"]
            assert "Bearer" not in driver.page_source and "eyJ" not in driver.page_source
            time.sleep(1.5)  # the PDF viewer draws the page
            shot(driver, "4-item", whole=True)
            driver.execute_script("document.getElementById('xem-tep').scrollIntoView()")
            shot(driver, "5-file")

            # A form without its CSRF token: refused, and nothing decided.
            driver.find_element("css selector", "#quyet-dinh-recommend > summary").click()
            driver.find_element("id", "recommend-findings").send_keys("Thử gửi không có mã")
            driver.execute_script(
                "document.querySelector('#quyet-dinh-recommend input[name=csrf_token]')"
                ".remove()")
            driver.find_element("id", "gui-recommend").click()
            heading = wait_until(driver, lambda d: d.find_element("id", "tieu-de-loi"), 20,
                                 "the CSRF refusal")
            assert heading.text == "Biểu mẫu không hợp lệ"
            assert "Lỗi 403" in driver.page_source
            shot(driver, "6-csrf-refused")
            still = await item_in_queue(stack.queue_url("appraisal"), specialist, code)
            assert still["state"] == "open" and still["outcome"] is None

            # Recommend, with the findings.
            driver.get(base + item_path)
            wait_until(driver, lambda d: d.find_element("id", "quyet-dinh-recommend"), 20,
                       "the item page again")
            driver.find_element("css selector", "#quyet-dinh-recommend > summary").click()
            from selenium.webdriver.support.ui import Select
            Select(driver.find_element("id", "recommend-recommendation")).select_by_value(
                "approve")
            driver.find_element("id", "recommend-findings").send_keys(
                "Hồ sơ đầy đủ, đủ điều kiện cấp giấy chứng nhận.")
            driver.find_element("id", "gui-recommend").click()
            notice = wait_until(driver, lambda d: d.find_element("id", "thong-bao"), 30,
                                "the decision's confirmation")
            assert code in notice.text and "Trình kết quả thẩm định" in notice.text
            shot(driver, "7-decided")
            leader = officer_headers("STNMT", "approval", "lanh.dao")
            approval = await item_in_queue(stack.queue_url("approval"), leader, code)
            assert approval["context"]["recommendation"] == "approve"

            # An officer of another agency: 403 on the item and on its file.
            driver.delete_all_cookies()
            driver.get(base + item_path)
            wait_until(driver, lambda d: "/dang-nhap" in d.current_url, 20, "sent to sign in")
            sign_in(driver, base, "stp.chuyenvien")
            heading = wait_until(driver, lambda d: d.find_element("id", "tieu-de-loi"), 30,
                                 "the other agency's refusal")
            assert heading.text == "Không có quyền truy cập"
            assert "không thuộc cơ quan của bạn" in driver.find_element(
                "id", "thong-bao-loi").text
            assert "belongs to agency STNMT, not STP" in driver.find_element(
                "id", "chi-tiet-loi").text
            assert "Lê Văn Minh" in driver.find_element("css selector", ".who").text
            shot(driver, "8-other-agency")
            with browser_client(driver, base) as client:
                assert client.get(source).status_code == 403
        finally:
            driver.quit()
