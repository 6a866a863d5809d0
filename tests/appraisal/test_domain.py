"""Appraisal's automatic policy: approve complete data, deny with the missing field names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from motcua_appraisal.domain import (
    Appraisal,
    appraise,
    consultation_hours,
    fees_due,
    with_answers,
)
from motcua_catalogue import load_catalogue
from motcua_contracts.dossier import DossierFacts
from motcua_runtime.policy import dossier_fee

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
WORK_PERMIT = CATALOGUE.procedures["1.000105"]  # worker_name; passport_number; employer


BUSINESS = load_catalogue().procedures["2.001610"]  # 50 000 đ at the counter, free online


def facts(channel: str = "counter", fees_paid: int = 0, **data) -> DossierFacts:
    return DossierFacts(code="000.00.17.H38-260429-0001", procedure_code=WORK_PERMIT.code,
                        applicant_name="Công ty TNHH Sa Pa", received_at=datetime(
                            2026, 4, 29, 9, 0, tzinfo=VN), delivery_channel="counter",
                        channel=channel, fees_paid=fees_paid, data=data)


COMPLETE = {"worker_name": "John Smith", "passport_number": "X1234567", "employer": "Sa Pa Ltd"}


def test_complete_data_is_recommended_for_approval_naming_the_procedure():
    appraisal = appraise(facts(**COMPLETE), WORK_PERMIT)

    assert appraisal.recommendation == "approve"
    assert appraisal.findings == f"Hồ sơ đủ điều kiện giải quyết thủ tục {WORK_PERMIT.name}"


def test_missing_data_is_recommended_for_denial_naming_every_missing_field():
    appraisal = appraise(facts(worker_name="John Smith"), WORK_PERMIT)

    assert appraisal.recommendation == "deny"
    assert appraisal.findings == "Không đủ điều kiện: thiếu thông tin passport_number, employer"


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_value_counts_as_missing(empty):
    appraisal = appraise(facts(**{**COMPLETE, "employer": empty}), WORK_PERMIT)

    assert appraisal.recommendation == "deny"
    assert appraisal.findings.endswith("thiếu thông tin employer")


@pytest.mark.parametrize("falsy_but_given", [0, False])
def test_a_zero_or_false_answer_is_still_an_answer(falsy_but_given):
    appraisal = appraise(facts(**{**COMPLETE, "employer": falsy_but_given}), WORK_PERMIT)

    assert appraisal.recommendation == "approve"


def test_extra_data_does_not_matter():
    assert appraise(facts(**COMPLETE, note="khẩn"), WORK_PERMIT).recommendation == "approve"


@pytest.mark.parametrize("channel, paid, owed", [
    ("counter", 0, 50_000), ("online", 0, 0), ("counter", 30_000, 20_000),
    ("counter", 80_000, 0)])
def test_the_fee_owed_is_the_channels_fee_less_what_was_paid(channel, paid, owed):
    fee = BUSINESS.fee_online if channel == "online" else BUSINESS.fee_counter
    assert fees_due(facts(channel, paid), fee) == owed


def test_the_fee_intake_fixed_under_the_dossiers_version_and_case_is_what_is_owed():
    """A case with its own fee, or a version imported since with another one: the dossier pays
    what intake fixed at acceptance, not this stage's catalogue's fee."""
    fixed = facts("counter", 30_000).model_copy(update={"fee": 200_000})
    assert fees_due(fixed, dossier_fee(CATALOGUE, fixed)) == 170_000
    unfixed = fixed.model_copy(update={"fee": None, "procedure_code": BUSINESS.code})
    assert dossier_fee(CATALOGUE, unfixed) == 50_000  # an older event: the catalogue's
    assert fees_due(fixed, dossier_fee(CATALOGUE, fixed.model_copy(update={"fee": 0}))) == 0


def test_a_consulted_agency_has_a_quarter_of_the_appraisal_but_at_least_half_a_day():
    assert consultation_hours(WORK_PERMIT.appraisal_hours) == 14  # 56 / 4
    assert consultation_hours(BUSINESS.appraisal_hours) == 4  # 14 / 4 = 3.5, raised to 4


def test_agreeing_answers_keep_the_recommendation():
    draft = Appraisal("approve", "Đủ điều kiện")

    assert with_answers(draft, [{"agency": "CAT", "agrees": True, "answer": "Đồng ý"}]) == draft


def test_an_objection_turns_the_recommendation_into_a_denial_on_its_grounds():
    answers = [{"agency": "CAT", "agrees": True, "answer": "Đồng ý"},
               {"agency": "SXD", "agrees": False, "answer": "Sai quy hoạch"}]

    appraisal = with_answers(Appraisal("approve", "Đủ điều kiện"), answers)

    assert appraisal == Appraisal("deny", "Cơ quan phối hợp không thống nhất — SXD: Sai quy hoạch")
