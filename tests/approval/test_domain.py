"""Approval's automatic policy: the leader follows the appraisal's recommendation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from motcua_approval.domain import decide
from motcua_catalogue import load_catalogue
from motcua_contracts import Producer, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.dossier import DossierFacts

VN = timezone(timedelta(hours=7))
CRIMINAL_RECORD = load_catalogue().procedures["2.000488"]
FACTS = DossierFacts(code="000.00.15.H38-260429-0003", procedure_code=CRIMINAL_RECORD.code,
                     applicant_name="Trần Thị Bình",
                     received_at=datetime(2026, 4, 29, 9, 0, tzinfo=VN),
                     delivery_channel="postal", data={"purpose": "Xin việc"})


def appraised(recommendation: str, findings: str) -> DossierAppraised:
    return new_event(DossierAppraised, dossier_id=uuid7(), agency="STP",
                     producer=Producer(service="appraisal", agency="STP"), dossier=FACTS,
                     recommendation=recommendation, findings=findings)


def test_an_approve_recommendation_is_approved_for_the_applicant():
    decision = decide(appraised("approve", "Hồ sơ đủ điều kiện"), CRIMINAL_RECORD.name)

    assert decision.outcome == "approved"
    # The dossier's code, never the applicant's name: the decision travels in clear.
    assert decision.text == f"Chấp thuận: {CRIMINAL_RECORD.name}, hồ sơ {FACTS.code}"


def test_a_deny_recommendation_is_denied_with_the_findings_as_the_reason():
    findings = "Không đủ điều kiện: thiếu thông tin purpose"

    decision = decide(appraised("deny", findings), CRIMINAL_RECORD.name)

    assert decision.outcome == "denied"
    assert decision.text == findings
