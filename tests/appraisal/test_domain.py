"""Appraisal's automatic policy: approve complete data, deny with the missing field names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from motcua_appraisal.domain import appraise
from motcua_catalogue import load_catalogue
from motcua_contracts.dossier import DossierFacts

VN = timezone(timedelta(hours=7))
WORK_PERMIT = load_catalogue().procedures["1.000105"]  # worker_name; passport_number; employer


def facts(**data) -> DossierFacts:
    return DossierFacts(code="000.00.17.H38-260429-0001", procedure_code=WORK_PERMIT.code,
                        applicant_name="Công ty TNHH Sa Pa", received_at=datetime(
                            2026, 4, 29, 9, 0, tzinfo=VN), delivery_channel="counter", data=data)


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
