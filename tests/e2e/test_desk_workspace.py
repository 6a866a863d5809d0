"""The desk in the officers' workspace on the real stack with officers in charge, driven in
headless chromium: a desk officer of STP signs in, opens the desk from the menu, chooses a land
procedure (officers at intake) from the catalogue, has a file whose bytes are not a PDF refused
in the page (415, nothing stored), files the counter dossier with two scanned PDFs, sees the
dossier waiting for the desk's check in their queue, accepts it there, and prints form 01: the
PDF comes through the workspace and pdftotext finds the dossier's code in it. Screenshots of
each screen land in test-artifacts/ (desk-*.png)."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from motcua_cli.samples import sample_pdf
from tests.browser import browser, wait_until
from tests.conftest import ARTIFACTS
from tests.e2e.workspace_browser import (
    add_officer,
    browser_client,
    fill,
    reload_until,
    screenshot,
    sign_in,
)
from tests.files.data import JPEG_BYTES
from tests.support import running_stack

pytestmark = pytest.mark.e2e

LAND_REGISTRATION = "1.012760"  # STNMT; officers at intake and at every stage


def shot(driver, name: str) -> None:
    screenshot(driver, f"desk-{name}")


async def test_a_desk_officer_files_at_the_counter_checks_and_prints_form_01(
        infra, log_dir, tmp_path):
    database_url, topic = await infra.isolated("desk_workspace")
    # Real PDFs (the samples `motcua demo` files), which the page's viewer draws.
    scans = {"don-dang-ky.pdf": sample_pdf("Đơn đăng ký đất đai"),
             "giay-to-dat.pdf": sample_pdf("Giấy tờ về quyền sử dụng đất"),
             "anh-chup.pdf": JPEG_BYTES}
    for name, data in scans.items():
        (tmp_path / name).write_bytes(data)
    with running_stack(infra, database_url, topic, log_dir, officers=True,
                       workspace=True) as stack:
        base = stack.service("workspace").http_url
        add_officer(database_url, tmp_path, "STP", "intake", "tiep.nhan", "Đỗ Thị Quỳnh")
        driver = browser()
        try:
            driver.get(base + "/quay")
            wait_until(driver, lambda d: "/dang-nhap" in d.current_url, 20, "sent to sign in")
            sign_in(driver, base, "tiep.nhan")
            wait_until(driver, lambda d: d.find_element("id", "chon-thu-tuc"), 30, "the desk")
            assert "Đỗ Thị Quỳnh" in driver.find_element("css selector", ".who").text
            assert driver.find_element("id", "lien-ket-quay").get_attribute(
                "aria-current") == "page"
            shot(driver, "1-desk")

            from selenium.webdriver.support.ui import Select
            Select(driver.find_element("id", "thu_tuc")).select_by_value(LAND_REGISTRATION)
            driver.find_element("id", "nut-chon-thu-tuc").click()
            wait_until(driver, lambda d: d.find_element("id", "bieu-mau-nop"), 20,
                       "the filing form")
            documents = driver.find_element("id", "giay-to-bat-buoc").text
            assert "Đơn đăng ký đất đai" in documents
            assert "Giấy tờ về quyền sử dụng đất" in documents
            assert "0 đồng" in driver.find_element("id", "le-phi-thu-tuc").text

            def fill_form(second_scan: str) -> None:
                fill(driver, "ho_ten", "Giàng A Sử")
                fill(driver, "so_dinh_danh", "010098007654")
                fill(driver, "dien_thoai", "0978123456")
                fill(driver, "dia_chi", "Thôn Lao Chải, xã San Sả Hồ, tỉnh Lào Cai")
                fill(driver, "du_lieu-land_parcel_id", "Thửa 215, tờ bản đồ 18")
                fill(driver, "du_lieu-area_m2", "312,5")
                driver.find_element("id", "tep_0").send_keys(
                    str(tmp_path / "don-dang-ky.pdf"))
                driver.find_element("id", "tep_1").send_keys(str(tmp_path / second_scan))

            fill_form("anh-chup.pdf")  # a JPEG under a PDF's name
            shot(driver, "2-form")
            driver.find_element("id", "nut-tiep-nhan").click()
            problem = wait_until(driver, lambda d: d.find_element("id", "loi-nop"), 30,
                                 "the refused file")
            assert "lỗi 415" in problem.text and "anh-chup.pdf" in problem.text
            assert "chưa lưu tệp nào" in problem.text
            assert driver.find_element("id", "ho_ten").get_attribute("value") == "Giàng A Sử"
            shot(driver, "3-refused-file")

            driver.find_element("id", "tep_0").send_keys(str(tmp_path / "don-dang-ky.pdf"))
            driver.find_element("id", "tep_1").send_keys(str(tmp_path / "giay-to-dat.pdf"))
            driver.find_element("id", "nut-tiep-nhan").click()
            code = wait_until(driver, lambda d: d.find_element("id", "ma-ho-so"), 30,
                              "the filed dossier").text
            assert "/quay/ho-so/" in driver.current_url
            assert "Đã tiếp nhận hồ sơ" in driver.find_element("id", "thong-bao").text
            assert [e.text for e in driver.find_elements("css selector", "#tep-ho-so a")] == [
                "Đơn đăng ký đất đai", "Giấy tờ về quyền sử dụng đất"]
            dossier_url = driver.current_url.split("?")[0]
            # The desk's check waits for an officer: the item comes from intake's consumer.
            reload_until(driver, dossier_url, lambda d: d.find_element("id", "kiem-tra-ho-so"),
                         60, "the desk's item")
            assert "Chưa có" in driver.find_element("id", "phieu-01").text
            shot(driver, "4-filed")

            driver.get(base + "/hang-doi")
            row = wait_until(driver, lambda d: d.find_element(
                "css selector", f'tr[data-code="{code}"]'), 30, "the dossier in my queue")
            assert "Đăng ký đất đai" in row.text
            shot(driver, "5-queue")
            row.find_element("css selector", "a.code").click()
            wait_until(driver, lambda d: d.find_element("id", "quyet-dinh-accept"), 30,
                       "the item's decisions")
            assert code in driver.find_element("tag name", "h1").text
            assert {e.get_attribute("id") for e in driver.find_elements(
                "css selector", "details.decision")} == {
                "quyet-dinh-accept", "quyet-dinh-request-supplement", "quyet-dinh-refuse"}
            wait_until(driver, lambda d: d.find_element("id", "khung-tep"), 20,
                       "the scan shown in the page")
            time.sleep(1.5)  # the PDF viewer draws the page
            shot(driver, "6-item")
            accept = driver.find_element("css selector", "#quyet-dinh-accept > summary")
            driver.execute_script("arguments[0].scrollIntoView()", accept)
            accept.click()
            driver.find_element("id", "gui-accept").click()
            notice = wait_until(driver, lambda d: d.find_element("id", "thong-bao"), 30,
                                "the decision's confirmation")
            assert code in notice.text and "Tiếp nhận hồ sơ" in notice.text
            shot(driver, "7-accepted")
            driver.find_element("id", "mo-ho-so-vua-xu-ly").click()
            wait_until(driver, lambda d: d.current_url == dossier_url, 20, "the dossier again")

            link = reload_until(driver, dossier_url,
                                lambda d: d.find_element("id", "in-mau-01"), 60,
                                "form 01 to print")
            assert "Đã tiếp nhận" in driver.find_element("id", "viec-tiep-nhan").text
            assert driver.find_element("id", "trang-thai-ho-so").text != ""
            shot(driver, "8-print")
            with browser_client(driver, base) as client:
                pdf = client.get(link.get_attribute("href"))
            assert pdf.status_code == 200, pdf.text[:300]
            assert pdf.headers["content-type"] == "application/pdf"
            assert pdf.content.startswith(b"%PDF")
            (tmp_path / "mau-01.pdf").write_bytes(pdf.content)
            (ARTIFACTS / f"desk-form-01-{code}.pdf").write_bytes(pdf.content)
            text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "mau-01.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
            assert code in text and "Giàng A Sử" in text
            driver.get(link.get_attribute("href"))
            time.sleep(1.5)
            shot(driver, "9-form-01")
        finally:
            driver.quit()
        # Signed out, the form's PDF is not served.
        with httpx.Client(base_url=base, timeout=30) as anonymous:
            assert anonymous.get(f"/ho-so/{code}/mau/01").status_code == 303
