"""Forms 01 to 05 on the real stack: a dossier filed online gets its receipt and appointment
(form 01), and a dossier still incomplete after the one supplement request (form 02) is refused
(form 03); the citizen downloads each with the code and the ID number, and the PDFs read back
with poppler's pdftotext say, in Vietnamese with every diacritic, what each form states. The
lookup page offers them, on a 360 px phone in headless chromium too (screenshot
test-artifacts/lookup-forms-phone.png)."""

from __future__ import annotations

import asyncio
import hashlib
import time
import unicodedata

import httpx
import pytest

from tests.browser import browser, full_page_screenshot
from tests.conftest import ARTIFACTS
from tests.e2e.test_paths import BUSINESS, portal_for, types
from tests.e2e.test_paths import document as stored_document
from tests.signing.pdf_tools import pdftotext
from tests.support import running_stack

pytestmark = pytest.mark.e2e


async def forms_of(client: httpx.AsyncClient, dossier: dict, *wanted: str,
                   timeout: float = 60) -> list[dict]:
    """The dossier's stored forms once they include every one of `wanted`."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/api/dossiers/{dossier['code']}/forms",
                                    params={"id_number": dossier["id_number"]})
        assert response.status_code == 200, response.text
        stored = response.json()["forms"]
        if set(wanted) <= {f["form"] for f in stored}:
            return stored
        assert time.monotonic() < deadline, f"{dossier['code']}: forms {stored}, not {wanted}"
        await asyncio.sleep(0.3)


async def download(client: httpx.AsyncClient, dossier: dict, form: str, tmp_path) -> str:
    response = await client.get(f"/api/dossiers/{dossier['code']}/forms/{form}",
                                params={"id_number": dossier["id_number"]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == response.headers["x-document-sha256"]
    return unicodedata.normalize("NFC", " ".join(pdftotext(response.content, tmp_path).split()))


async def test_the_citizen_downloads_form_01_and_a_refused_dossiers_form_03(infra, log_dir,
                                                                           tmp_path):
    database_url, topic = await infra.isolated("forms")
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            portal = await portal_for(client)
            accepted = await portal.file(BUSINESS, channel="online", delivery="postal")
            refused = await portal.file(BUSINESS, complete=False)
            procedure = portal.procedures[BUSINESS]

            listed = await forms_of(client, accepted, "01")
            assert listed[0]["title"] == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
            text = await download(client, accepted, "01", tmp_path)
            applicant = unicodedata.normalize("NFC", accepted["body"]["applicant"]["full_name"])
            for expected in ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                             "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "Độc lập - Tự do - Hạnh phúc",
                             f"Mã hồ sơ: {accepted['code']}", applicant,
                             unicodedata.normalize("NFC", procedure["name"]),
                             f"Hồ sơ gồm {len(procedure['required_documents'])} thành phần",
                             "Thời gian hẹn trả kết quả", "qua dịch vụ bưu chính công ích",
                             "Hệ thống một cửa điện tử (tự động)"):
                assert expected in text, expected

            await portal.wait(refused, 5)
            response = await portal.act(refused, "supplement",
                                        documents=[stored_document("Giấy tờ khác")])
            assert response.status_code == 202, response.text
            view = await portal.wait(refused, 3)
            assert types(view)[-1] == "DossierRefused"
            listed = await forms_of(client, refused, "02", "03")
            assert [f["form"] for f in listed] == ["02", "03"]
            text = await download(client, refused, "03", tmp_path)
            missing = unicodedata.normalize("NFC", procedure["required_documents"][0])
            for expected in ("PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
                             f"Mã hồ sơ: {refused['code']}", "Lý do từ chối:", missing,
                             "quyền khiếu nại theo quy định của Luật Khiếu nại"):
                assert expected in text, expected
            assert "PHIẾU YÊU CẦU BỔ SUNG" in await download(client, refused, "02", tmp_path)

            # Another ID number: nothing, exactly as for an unknown code.
            other = await client.get(f"/api/dossiers/{refused['code']}/forms/03",
                                     params={"id_number": "999999999999"})
            assert other.status_code == 404
            assert other.json()["detail"] == "no dossier matches this code and ID number"

            page = await client.get("/tra-cuu", params={"code": refused["code"],
                                                        "id_number": refused["id_number"]})
            assert page.status_code == 200
            for form in ("02", "03"):
                assert f'formaction="/api/dossiers/{refused["code"]}/forms/{form}"' in page.text
            assert "Mẫu số 03: Phiếu từ chối tiếp nhận, giải quyết hồ sơ" in page.text

            # In the browser, on a phone: the section fits the screen, one button per form.
            phone = browser(360, 800)
            try:
                await asyncio.to_thread(phone.get, f"{stack.api_url}/tra-cuu?code="
                                        f"{refused['code']}&id_number={refused['id_number']}")
                section = phone.find_element("id", "phieu")
                assert "Phiếu của hồ sơ" in section.text
                buttons = [b.text for b in section.find_elements("tag name", "button")]
                assert buttons == ["Tải phiếu mẫu số 02", "Tải phiếu mẫu số 03"]
                assert phone.execute_script(
                    "return document.documentElement.scrollWidth - window.innerWidth") <= 0
                full_page_screenshot(phone, ARTIFACTS / "lookup-forms-phone.png")
            finally:
                phone.quit()
