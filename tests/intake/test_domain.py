"""Intake's pure rules: the dossier code, the completeness check, the tracking view."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from motcua_catalogue import WorkingCalendar, load_catalogue
from motcua_contracts.appraisal import FeesRequested
from motcua_contracts.dossier import Document, DossierFacts
from motcua_intake.domain import (
    appointment,
    dossier_code,
    missing_documents,
    moved_by_waiting,
    note_for,
    on_time,
    received_day,
    refusal_reason,
)
from tests.fakes import by, event

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


# -- deadlines and on-time ---------------------------------------------------------------------

VN = timezone(timedelta(hours=7))
CALENDAR = WorkingCalendar()
RECORD = load_catalogue().procedures["2.000488"]  # 10 working days: 4 + 56 + 12 + 4 + 4 hours
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
DUE = datetime(2025, 12, 8, 8, 0, tzinfo=VN)


def facts(**changes) -> DossierFacts:
    due, steps = appointment(RECORD, CALENDAR, MONDAY)
    return DossierFacts(code="000.00.15.H38-251124-0001", procedure_code=RECORD.code,
                        applicant_name="Trần Thị Bình", received_at=MONDAY, due_at=due,
                        step_due_at=steps, delivery_channel="counter").model_copy(update=changes)


def test_the_appointment_and_step_deadlines_follow_the_step_plan():
    due, steps = appointment(RECORD, CALENDAR, MONDAY)

    assert due == DUE
    assert steps == {"intake": datetime(2025, 11, 24, 14, 0, tzinfo=VN),
                     "appraisal": datetime(2025, 12, 3, 14, 0, tzinfo=VN),
                     "approval": datetime(2025, 12, 5, 8, 0, tzinfo=VN),
                     "signing": datetime(2025, 12, 5, 14, 0, tzinfo=VN), "delivery": DUE}


def test_no_waiting_moves_nothing():
    assert moved_by_waiting(facts(), RECORD, CALENDAR, waiting_since=MONDAY, now=MONDAY,
                            clock="pause") == facts()


def test_a_restarted_clock_ignores_the_old_deadlines():
    restarted = moved_by_waiting(facts(), RECORD, CALENDAR, waiting_since=MONDAY,
                                 now=MONDAY + timedelta(days=1), clock="restart")

    assert restarted.due_at == datetime(2025, 12, 9, 8, 0, tzinfo=VN)
    assert restarted.step_due_at["delivery"] == restarted.due_at


@pytest.mark.parametrize("ended_at, rescheduled, supplements, expected", [
    (DUE, False, 0, True),
    (DUE + timedelta(seconds=1), False, 0, False),
    (DUE - timedelta(days=3), True, 0, False),  # met the new appointment: still late
    (DUE - timedelta(days=3), False, 1, True),
    (DUE - timedelta(days=3), False, 2, False),  # a second supplement request
])
def test_on_time_is_judged_against_the_first_appointment(ended_at, rescheduled, supplements,
                                                         expected):
    judged = facts(due_at=DUE + timedelta(days=5), rescheduled_from=DUE) if rescheduled \
        else facts()

    assert on_time(judged, ended_at, supplements) is expected


def test_a_dossier_without_appointment_is_not_judged():
    assert on_time(None, MONDAY, 0) is None
    assert on_time(facts(due_at=None), MONDAY, 0) is None


def test_the_fees_note_groups_the_amount_by_dots_and_keeps_the_reasons_comma():
    fees = event(FeesRequested, producer=by("appraisal", "STP"), dossier_id=uuid.uuid4(),
                 agency="STP", amount=1_250_000, reason="Phí, lệ phí thủ tục cấp phép")
    assert note_for(fees) == "Phí, lệ phí thủ tục cấp phép: 1.250.000 đồng"
