"""Intake's pure rules: the dossier code, the completeness check, the tracking view."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone


from motcua_catalogue import load_catalogue
from motcua_contracts.dossier import Document
from motcua_intake.domain import (
    dossier_code, missing_documents, received_day, refusal_reason,
)

CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4,}$")
BIRTH = load_catalogue().procedures["1.001193"]  # Tờ khai đăng ký khai sinh; Giấy chứng sinh


def document(name: str) -> Document:
    return Document(name=name, sha256="0" * 64, size=100)


def test_dossier_code_is_unit_id_date_and_a_four_digit_counter():
    assert dossier_code("000.00.15.H38", date(2026, 4, 29), 7) == "000.00.15.H38-260429-0007"
    assert CODE.match(dossier_code("000.31.01.H38", date(2025, 11, 24), 1))


def test_dossier_code_counter_past_9999_keeps_all_its_digits():
    assert dossier_code("000.00.15.H38", date(2026, 4, 29), 12345) == "000.00.15.H38-260429-12345"
    assert dossier_code("000.00.15.H38", date(2026, 4, 29), 9999).endswith("-9999")


def test_the_code_date_is_the_intake_date_in_vietnam_time():
    # 20:00 UTC on 29 April is 03:00 on 30 April in Lào Cai.
    assert received_day(datetime(2026, 4, 29, 20, 0, tzinfo=timezone.utc)) == date(2026, 4, 30)
    assert received_day(datetime(2026, 4, 29, 16, 59, tzinfo=timezone.utc)) == date(2026, 4, 29)


def test_a_complete_dossier_misses_nothing():
    filed = [document("Tờ khai đăng ký khai sinh"), document("Giấy chứng sinh")]

    assert missing_documents(BIRTH, filed) == []


def test_missing_documents_are_named_in_catalogue_order():
    assert missing_documents(BIRTH, []) == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
    assert missing_documents(BIRTH, [document("Giấy chứng sinh")]) == ["Tờ khai đăng ký khai sinh"]


def test_missing_documents_ignores_letter_case_including_vietnamese_letters():
    filed = [document("TỜ KHAI ĐĂNG KÝ KHAI SINH"), document("giấy chứng sinh")]

    assert missing_documents(BIRTH, filed) == []


def test_an_unrelated_document_does_not_stand_in_for_a_required_one():
    filed = [document("Tờ khai đăng ký khai sinh"), document("Giấy chứng sinh bản sao")]

    assert missing_documents(BIRTH, filed) == ["Giấy chứng sinh"]


def test_missing_documents_ignores_unicode_composition():
    filed = [document(unicodedata.normalize("NFD", "Tờ khai đăng ký khai sinh")),
             document(unicodedata.normalize("NFD", "Giấy chứng sinh"))]

    assert missing_documents(BIRTH, filed) == []


def test_the_refusal_reason_names_every_missing_document():
    reason = refusal_reason(["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"])

    assert reason == "Hồ sơ thiếu giấy tờ bắt buộc: Tờ khai đăng ký khai sinh; Giấy chứng sinh"


class _Event:
    def __init__(self, type_: str) -> None:
        self.type = type_


