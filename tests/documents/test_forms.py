"""Forms 01 to 05 as PDFs: each states its own facts in Vietnamese, and the text read back out of
the PDF (poppler's pdftotext) keeps every diacritic."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from motcua_documents import forms
from motcua_documents.page import lookup_url
from tests.signing.pdf_tools import pdftotext

VN = timezone(timedelta(hours=7))
CODE = "000.00.15.H38-260429-0003"
COMMON = dict(
    issuer="Trung tâm Phục vụ hành chính công tỉnh Lào Cai", place="Lào Cai",
    dossier_code=CODE, applicant_name="Nguyễn Thị Hường", procedure_code="2.000488",
    procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    # 18:30 UTC on 29 April is 01:30 on 30 April in Lào Cai.
    issued_at=datetime(2026, 4, 29, 18, 30, tzinfo=timezone.utc),
    lookup_url=lookup_url("https://dichvucong.laocai.gov.vn", CODE))


def text_of(pdf: bytes, tmp_path) -> str:
    assert pdf.startswith(b"%PDF-")
    return unicodedata.normalize("NFC", " ".join(pdftotext(pdf, tmp_path).split()))


def assert_says(text: str, *expected: str) -> None:
    for phrase in expected:
        assert phrase in text, phrase


def assert_header(text: str) -> None:
    assert_says(text, "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH LÀO CAI",
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Lào Cai, ngày 30 tháng 04 năm 2026", f"Mã hồ sơ: {CODE}", "Nguyễn Thị Hường",
                "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam (mã 2.000488)",
                "Tra cứu hồ sơ: https://dichvucong.laocai.gov.vn/tra-cuu")


def test_form_01_the_receipt_lists_the_documents_and_gives_the_appointment(tmp_path):
    facts = forms.Receipt(**COMMON, received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN),
                          due_at=datetime(2026, 5, 12, 16, 30, tzinfo=VN),
                          documents=["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
                                     "Bản chụp Căn cước công dân"],
                          delivery_channel="postal")

    text = text_of(forms.receipt(facts), tmp_path)

    assert_header(text)
    assert_says(text, "Mẫu số 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                f"Số: {CODE}/TNHS", "Thời gian tiếp nhận: 09 giờ 05, ngày 29/04/2026",
                "Hồ sơ gồm 2 thành phần", "1. Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
                "2. Bản chụp Căn cước công dân",
                "Thời gian hẹn trả kết quả: 16 giờ 30, ngày 12/05/2026",
                "qua dịch vụ bưu chính công ích", "NGƯỜI TIẾP NHẬN",
                "Hệ thống một cửa điện tử (tự động)")


def test_form_01_names_the_officer_who_received_it_and_a_same_day_result(tmp_path):
    facts = forms.Receipt(**{**COMMON, "officer": "Đỗ Văn Quý"},
                          received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN), due_at=None,
                          documents=["Tờ khai"], delivery_channel="counter")

    text = text_of(forms.receipt(facts), tmp_path)

    assert_says(text, "Đỗ Văn Quý", "trả ngay trong ngày tiếp nhận",
                "nhận trực tiếp tại Bộ phận Một cửa")
    assert "tự động" not in text


def test_form_02_the_supplement_request_says_what_is_missing_and_by_when(tmp_path):
    facts = forms.SupplementRequest(
        **COMMON, requested_by="Sở Tư pháp tỉnh Lào Cai",
        reason="Hồ sơ còn thiếu thành phần bắt buộc.",
        missing_documents=["Giấy ủy quyền có chứng thực", "Ảnh chân dung 4x6"],
        respond_by=datetime(2026, 5, 6, 17, 0, tzinfo=VN))

    text = text_of(forms.supplement_request(facts), tmp_path)

    assert_header(text)
    assert_says(text, "Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                "Sở Tư pháp tỉnh Lào Cai đề nghị", "Lý do: Hồ sơ còn thiếu thành phần bắt buộc.",
                "1. Giấy ủy quyền có chứng thực", "2. Ảnh chân dung 4x6",
                "Thời hạn bổ sung: trước 17 giờ 00, ngày 06/05/2026", "NGƯỜI LẬP PHIẾU")


def test_form_03_the_refusal_gives_the_reason_and_the_right_to_complain(tmp_path):
    facts = forms.Refusal(**COMMON, received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN),
                          reason="Hồ sơ không bổ sung đủ giấy tờ trong thời hạn.",
                          missing_documents=["Giấy xác nhận cư trú"])

    text = text_of(forms.refusal(facts), tmp_path)

    assert_header(text)
    assert_says(text, "Mẫu số 03", "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
                "Lý do từ chối: Hồ sơ không bổ sung đủ giấy tờ trong thời hạn.",
                "1. Giấy xác nhận cư trú", "quyền khiếu nại theo quy định của Luật Khiếu nại",
                f"Số: {CODE}/TCHS")


def test_form_04_the_apology_gives_the_old_and_the_one_new_appointment(tmp_path):
    facts = forms.Apology(**COMMON, agency_name="Sở Tư pháp tỉnh Lào Cai",
                          reason="Cần xác minh thêm thông tin với Công an tỉnh.",
                          previous_due_at=datetime(2026, 5, 12, 16, 30, tzinfo=VN),
                          new_due_at=datetime(2026, 5, 19, 16, 30, tzinfo=VN))

    text = text_of(forms.apology(facts), tmp_path)

    assert_header(text)
    assert_says(text, "Mẫu số 04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                "Lý do: Cần xác minh thêm thông tin với Công an tỉnh.",
                "Thời gian hẹn trả kết quả trước đây: 16 giờ 30, ngày 12/05/2026",
                "Thời gian hẹn trả kết quả mới: 16 giờ 30, ngày 19/05/2026",
                "Sở Tư pháp tỉnh Lào Cai xin lỗi người nộp hồ sơ")


def test_form_05_the_stopping_gives_the_reason(tmp_path):
    facts = forms.Stopping(**COMMON, received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN),
                           reason="Dừng giải quyết theo đề nghị của công dân: đã đổi ý.")

    text = text_of(forms.stopping(facts), tmp_path)

    assert_header(text)
    assert_says(text, "Mẫu số 05", "PHIẾU DỪNG GIẢI QUYẾT HỒ SƠ",
                "Lý do dừng giải quyết: Dừng giải quyết theo đề nghị của công dân: đã đổi ý.")


def test_markup_in_the_facts_is_printed_as_text_not_read_as_markup(tmp_path):
    facts = forms.Stopping(**{**COMMON, "applicant_name": "Lê <b>Văn</b> & Tâm"},
                           received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN), reason="<br/>")

    text = text_of(forms.stopping(facts), tmp_path)

    assert_says(text, "Lê <b>Văn</b> & Tâm", "Lý do dừng giải quyết: <br/>")


def test_a_long_list_of_documents_goes_on_to_a_second_page_without_losing_any(tmp_path):
    names = [f"Giấy tờ thứ {n} của hồ sơ đất đai" for n in range(1, 41)]
    facts = forms.Receipt(**COMMON, received_at=datetime(2026, 4, 29, 9, 5, tzinfo=VN),
                          due_at=None, documents=names, delivery_channel="online")

    pages = unicodedata.normalize("NFC", pdftotext(forms.receipt(facts), tmp_path)).split("\f")

    pages = [" ".join(page.split()) for page in pages if page.strip()]
    assert len(pages) == 2
    text = " ".join(pages)
    for number, name in enumerate(names, start=1):
        assert f"{number}. {name}" in text
    assert "Tra cứu hồ sơ:" in pages[1] and "Tra cứu hồ sơ:" not in pages[0]


@pytest.mark.parametrize("form", sorted(forms.FORMS))
def test_each_form_renders_from_its_facts_as_json_the_same_bytes_every_time(form):
    model, draw = forms.FORMS[form]
    extra = {"01": dict(received_at=COMMON["issued_at"], due_at=None, documents=["Tờ khai"],
                        delivery_channel="counter"),
             "02": dict(requested_by="Bộ phận Một cửa", reason="Thiếu", missing_documents=[],
                        respond_by=COMMON["issued_at"]),
             "03": dict(received_at=COMMON["issued_at"], reason="Ngoài phạm vi"),
             "04": dict(agency_name="Sở Tư pháp", reason="Chậm", previous_due_at=COMMON[
                 "issued_at"], new_due_at=COMMON["issued_at"]),
             "05": dict(received_at=COMMON["issued_at"], reason="Rút hồ sơ")}[form]
    facts = model(**COMMON, **extra)

    assert forms.render(form, facts.model_dump_json()) == draw(facts) == draw(facts)


def test_another_process_draws_the_same_bytes_from_the_same_facts():
    """Another intake instance, or the worker after a restart: nothing in the file depends on
    the process (the embedded fonts keep their own timestamp, not the time they were subset)."""
    facts = forms.Stopping(**COMMON, received_at=COMMON["issued_at"], reason="Rút hồ sơ")
    here = forms.stopping(facts)  # this process's fonts are prepared by now
    # The other one prepares its fonts more than a second later (font timestamps are seconds).
    script = ("import sys, time; time.sleep(1.1); from motcua_documents import forms; "
              "sys.stdout.buffer.write(forms.render('05', sys.stdin.read()))")

    drawn = subprocess.run([sys.executable, "-c", script], input=facts.model_dump_json().encode(),
                           capture_output=True, check=True,
                           env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}).stdout

    assert drawn == here
