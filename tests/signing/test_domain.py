"""Signing's pure rules: the result number (số ký hiệu) and the rendered result document."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from motcua_catalogue import load_catalogue
from motcua_contracts.dossier import DossierFacts
from motcua_signing.domain import MEDIA_TYPE, render_result, result_number

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
PROCEDURE = CATALOGUE.procedures["2.000488"]
AGENCY = CATALOGUE.agencies["STP"]
FACTS = DossierFacts(code="000.00.15.H38-260429-0003", procedure_code=PROCEDURE.code,
                     applicant_name="Trần Thị Bình",
                     received_at=datetime(2026, 4, 29, 9, 0, tzinfo=VN),
                     delivery_channel="online")
# 20:05 UTC on 12 May is 03:05 on 13 May in Lào Cai.
SIGNED_AT = datetime(2026, 5, 12, 20, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("sequence, outcome, expected", [
    (42, "approved", "0042/2026/QĐ-STP"),
    (1, "denied", "0001/2026/TB-STP"),
    (12345, "approved", "12345/2026/QĐ-STP"),
])
def test_result_number_is_sequence_year_kind_and_agency(sequence, outcome, expected):
    assert result_number(sequence, 2026, outcome, "STP") == expected


def render(outcome: str = "approved", body: str = "Chấp thuận cấp Phiếu lý lịch tư pháp",
           **overrides):
    arguments = dict(facts=FACTS, procedure=PROCEDURE, agency=AGENCY, number="0042/2026/QĐ-STP",
                     outcome=outcome, body=body, signed_at=SIGNED_AT)
    return render_result(**{**arguments, **overrides})


def test_the_result_hash_is_the_sha256_of_its_content():
    result = render()

    assert result.sha256 == hashlib.sha256(result.content).hexdigest()


def test_an_approval_is_a_decision_naming_dossier_procedure_applicant_number_and_body():
    text = render().content.decode("utf-8")

    assert text.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n")
    for expected in ("QUYẾT ĐỊNH", "Mã hồ sơ: 000.00.15.H38-260429-0003",
                     f"Thủ tục: {PROCEDURE.name}", "Người nộp: Trần Thị Bình",
                     "Số: 0042/2026/QĐ-STP", AGENCY.name, "Chấp thuận cấp Phiếu lý lịch tư pháp"):
        assert expected in text


def test_the_signing_date_is_printed_in_vietnam_time():
    assert "Ngày: 13/05/2026 03:05" in render().content.decode("utf-8")


def test_a_denial_is_a_refusal_notice_with_the_reason():
    text = render("denied", "Không đủ điều kiện").content.decode("utf-8")

    assert "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ" in text
    assert "QUYẾT ĐỊNH" not in text
    assert text.endswith("Không đủ điều kiện")


def test_without_catalogue_entries_the_document_falls_back_to_codes():
    text = render(procedure=None, agency=None).content.decode("utf-8")

    assert "\n000.00.15.H38\n" in text
    assert "Thủ tục: 2.000488" in text


def test_a_different_body_gives_a_different_hash():
    assert render(body="A").sha256 != render(body="B").sha256


def test_the_document_is_utf8_text():
    assert MEDIA_TYPE == "text/plain; charset=utf-8"
