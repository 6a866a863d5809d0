"""The result PDF before sealing: Vietnamese text that survives extraction (so the embedded font
has the glyphs and the text maps back to Unicode), per procedure and outcome."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from fontTools.ttLib import TTFont

from motcua_documents.result import ResultFacts, font_path, lookup_url, render_pdf
from tests.signing.pdf_tools import pdftotext

VN = timezone(timedelta(hours=7))
FACTS = ResultFacts(
    agency_name="Sở Tư pháp tỉnh Lào Cai", result_number="0042/2026/QĐ-STP",
    dossier_code="000.00.15.H38-260429-0003", applicant_name="Trần Thị Bình",
    procedure_code="2.000488", procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    outcome="approved", body="Cấp Phiếu lý lịch tư pháp số 1",
    received_at=datetime(2026, 4, 29, 9, 0, tzinfo=VN),
    # 20:05 UTC on 12 May is 03:05 on 13 May in Lào Cai.
    issued_at=datetime(2026, 5, 12, 20, 5, 9, tzinfo=timezone.utc),
    lookup_url=lookup_url("https://dichvucong.laocai.gov.vn/", "000.00.15.H38-260429-0003"),
    signer_name="Sở Tư pháp tỉnh Lào Cai")
VIETNAMESE_LETTERS = ("aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrs"
                      "tuùủũúụưừửữứựvxyỳỷỹýỵ")


def text_of(facts: ResultFacts, tmp_path) -> str:
    return unicodedata.normalize("NFC", " ".join(pdftotext(render_pdf(facts), tmp_path).split()))


def test_the_font_has_a_glyph_for_every_vietnamese_letter_in_both_cases():
    for weight in ("Regular", "Bold", "Italic"):
        cmap = TTFont(font_path(weight)).getBestCmap()
        missing = [c for c in VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() if ord(c) not in cmap]
        assert not missing, (weight, missing)


def test_an_approval_states_agency_number_dossier_applicant_procedure_decision_and_date(tmp_path):
    text = text_of(FACTS, tmp_path)

    for expected in ("SỞ TƯ PHÁP TỈNH LÀO CAI", "Số: 0042/2026/QĐ-STP",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "PHIẾU LÝ LỊCH TƯ PHÁP", "000.00.15.H38-260429-0003", "Trần Thị Bình",
                     "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
                     "Kết quả giải quyết: Cấp Phiếu lý lịch tư pháp số 1",
                     "tiếp nhận ngày 29/04/2026"):
        assert expected in text, expected


def test_dates_are_printed_in_vietnam_time(tmp_path):
    text = text_of(FACTS, tmp_path)

    assert "Lào Cai, ngày 13 tháng 05 năm 2026" in text
    assert "Thời gian ký: 13/05/2026 03:05:09 (GMT+7)" in text


def test_the_seal_names_the_signer_and_the_number(tmp_path):
    text = text_of(FACTS, tmp_path)

    assert "Ký bởi: Sở Tư pháp tỉnh Lào Cai" in text
    assert "ĐÃ KÝ SỐ" in text


def test_the_lookup_link_carries_the_dossier_code():
    assert FACTS.lookup_url == ("https://dichvucong.laocai.gov.vn/tra-cuu"
                                "?code=000.00.15.H38-260429-0003")


@pytest.mark.parametrize("procedure_code, title", [
    ("1.009975", "GIẤY PHÉP XÂY DỰNG"),
    ("2.001610", "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"),
    ("2.002167", "QUYẾT ĐỊNH"),  # no document kind of its own: a decision
])
def test_the_title_is_the_procedures_result_kind(procedure_code, title, tmp_path):
    assert title in text_of(replace(FACTS, procedure_code=procedure_code), tmp_path)


def test_a_denial_is_a_refusal_notice_with_the_reason_and_the_right_to_complain(tmp_path):
    text = text_of(replace(FACTS, outcome="denied", result_number="0001/2026/TB-STP",
                           body="Hồ sơ không đủ điều kiện theo quy định"), tmp_path)

    assert "THÔNG BÁO" in text and "Về việc từ chối giải quyết hồ sơ" in text
    assert "Lý do từ chối: Hồ sơ không đủ điều kiện theo quy định" in text
    assert "khiếu nại" in text
    assert "PHIẾU LÝ LỊCH TƯ PHÁP" not in text


def test_markup_in_the_applicants_data_is_printed_as_text(tmp_path):
    text = text_of(replace(FACTS, applicant_name="Lê <b>Văn</b> & Con"), tmp_path)

    assert "Lê <b>Văn</b> & Con" in text


def test_a_draft_is_the_same_page_marked_draft_without_seal_or_number(tmp_path):
    from motcua_documents.result import DRAFT_NUMBER

    draft = replace(FACTS, result_number=DRAFT_NUMBER, signer_name="")
    text = unicodedata.normalize("NFC", " ".join(
        pdftotext(render_pdf(draft, draft=True), tmp_path).split()))
    sealed = text_of(FACTS, tmp_path)

    assert "DỰ THẢO" in text and "chưa ký số, chưa đóng dấu" in text
    assert f"Số: {DRAFT_NUMBER}" in text
    assert "ĐÃ KÝ SỐ" not in text and "Ký bởi" not in text and "Thời gian ký" not in text
    assert "DỰ THẢO" not in sealed
    for same in ("PHIẾU LÝ LỊCH TƯ PHÁP", "Người nộp hồ sơ: Trần Thị Bình",
                 "Kết quả giải quyết: Cấp Phiếu lý lịch tư pháp số 1", "THỦ TRƯỞNG CƠ QUAN"):
        assert same in text and same in sealed, same
    assert render_pdf(draft, draft=True) == render_pdf(draft, draft=True)


def test_approvals_default_decision_names_the_code_not_the_applicant():
    from motcua_documents.result import default_decision

    assert default_decision("Cấp Phiếu lý lịch tư pháp", "C-1") == (
        "Chấp thuận: Cấp Phiếu lý lịch tư pháp, hồ sơ C-1")


def test_another_province_is_named_by_configuration_alone(tmp_path, monkeypatch):
    from cryptography.x509.oid import NameOID

    from motcua_pki.issue import new_root

    monkeypatch.setenv("PROVINCE_NAME", "Tuyên Quang")
    assert "Tuyên Quang, ngày 13 tháng 05 năm 2026" in text_of(FACTS, tmp_path)
    root = new_root(datetime(2026, 1, 1, tzinfo=timezone.utc)).certificate.subject
    assert root.get_attributes_for_oid(NameOID.STATE_OR_PROVINCE_NAME)[0].value == "Tuyên Quang"
    assert "tỉnh Tuyên Quang" in root.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def test_the_catalogues_name_of_the_result_is_the_title(tmp_path):
    text = text_of(replace(FACTS, procedure_code="9.999999", result_title="Giấy khai sinh"),
                   tmp_path)
    assert "GIẤY KHAI SINH" in text
    assert "QUYẾT ĐỊNH" not in text
