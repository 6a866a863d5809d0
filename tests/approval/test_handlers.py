"""Approval's handler and the leader's work-queue decisions, called directly with a fake
work-item repository and a real Emitter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_approval.handlers import Approval, Approve, Deny, Return, approval_stage
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import DOSSIER_TOPIC, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.approval import DossierApproved, DossierDenied, DossierReturned
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.shared import DossierStopped
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from motcua_runtime.work_queue import DecisionContext
from tests.fakes import FakeWorkItems, by, drain, emitted, event

VN = timezone(timedelta(hours=7))
CATALOGUE = default_catalogue()
CALENDAR = WorkingCalendar()
RECORD = CATALOGUE.procedures["2.000488"]  # STP; a leader approves when officers are in charge
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
APPROVAL = Approval(CATALOGUE, CALENDAR)
BY_OFFICERS = Approval(CATALOGUE, CALENDAR, officers=True)
DECISIONS = BY_OFFICERS.work_queue()
HOA = DecisionContext(Officer("hoa", "STP", "approval"), now=MONDAY + timedelta(days=5))
FACTS = DossierFacts(code="000.00.15.H38-251124-0003", procedure_code=RECORD.code,
                     applicant_name="Trần Thị Bình", received_at=MONDAY,
                     due_at=CALENDAR.due_at(MONDAY, 10, "working_days"),
                     step_due_at=CALENDAR.step_deadlines(RECORD, MONDAY),
                     delivery_channel="postal", data={"purpose": "Xin việc"})


def appraised(recommendation: str = "approve", findings: str = "Hồ sơ đủ điều kiện",
              dossier_id: uuid.UUID | None = None, cause: Any = None) -> DossierAppraised:
    return event(DossierAppraised, producer=by("appraisal", "STP"), cause=cause,
                 dossier_id=dossier_id or (None if cause else uuid7()), agency="STP",
                 at=MONDAY + timedelta(days=4), dossier=FACTS, recommendation=recommendation,
                 findings=findings)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("approval", "STP"), DOSSIER_TOPIC)


def test_an_approve_recommendation_is_approved_and_linked_to_its_cause(items, emitter):
    draft = appraised("approve")

    APPROVAL.on_appraised(draft, items, emitter)

    [approved] = emitted(emitter)
    assert isinstance(approved, DossierApproved)
    assert approved.decision == f"Chấp thuận: {RECORD.name}, hồ sơ {FACTS.code}"
    assert (approved.dossier, approved.actor) == (draft.dossier, "auto")
    assert (approved.causation_id, approved.causation_hash) == (draft.event_id, draft.hash)
    [item] = items.for_dossier(draft.dossier_id)
    assert (item.state, item.outcome, item.closed_with_event) == (DONE, "approved",
                                                                  approved.event_id)
    assert item.due_at == FACTS.step_due_at["approval"]


def test_a_deny_recommendation_is_denied_with_the_findings(items, emitter):
    draft = appraised("deny", "Không đủ điều kiện: thiếu thông tin purpose")

    APPROVAL.on_appraised(draft, items, emitter)

    [denied] = emitted(emitter)
    assert isinstance(denied, DossierDenied)
    assert denied.reason == "Không đủ điều kiện: thiếu thông tin purpose"
    assert denied.causation_id == draft.event_id
    [item] = items.for_dossier(draft.dossier_id)
    assert (item.state, item.outcome, item.reason) == (DONE, "denied", denied.reason)


def test_with_officers_the_draft_waits_for_the_leader_with_its_recommendation(items, emitter):
    draft = appraised("deny", "Thiếu xác minh")

    BY_OFFICERS.on_appraised(draft, items, emitter)

    assert emitter.messages == []
    [item] = items.for_dossier(draft.dossier_id)
    assert (item.state, item.context) == (OPEN, {"recommendation": "deny",
                                                 "findings": "Thiếu xác minh"})


def test_a_procedure_missing_from_the_catalogue_is_rejected(items, emitter):
    unknown = event(DossierAppraised, producer=by("appraisal", "STP"), dossier_id=uuid7(),
                    agency="STP", dossier=FACTS.model_copy(update={"procedure_code": "9.999999"}),
                    recommendation="approve", findings="?")

    with pytest.raises(Rejected, match="9.999999"):
        APPROVAL.on_appraised(unknown, items, emitter)

    assert emitter.messages == []


def test_a_second_draft_that_answers_nothing_is_rejected(items, emitter):
    first = appraised()
    APPROVAL.on_appraised(first, items, emitter)

    with pytest.raises(Rejected, match="already handed to approval"):
        APPROVAL.on_appraised(appraised("deny", "forged", dossier_id=first.dossier_id),
                              items, emitter)

    assert [type(e) for e in emitted(emitter)] == [DossierApproved]
    assert len(items.for_dossier(first.dossier_id)) == 1


# -- the leader's decisions --------------------------------------------------------------------

@pytest.fixture
def waiting(items, emitter) -> Any:
    draft = appraised()
    BY_OFFICERS.on_appraised(draft, items, emitter)
    [item] = items.for_dossier(draft.dossier_id)
    return item


def test_the_leader_approves_with_the_decision_as_issued(waiting, emitter):
    DECISIONS["approve"].apply(waiting, Approve(decision="Cấp Phiếu số 2"), emitter, HOA)

    [approved] = emitted(emitter)
    assert (approved.type, approved.decision, approved.actor) == (
        "DossierApproved", "Cấp Phiếu số 2", "officer:hoa")
    assert approved.causation_id == waiting.opened_by_event
    assert (waiting.state, waiting.outcome, waiting.decided_by, waiting.decided_at) == (
        DONE, "approved", "officer:hoa", HOA.now)
    assert waiting.closed_with_event == approved.event_id


def test_approving_without_text_issues_the_drafts_decision(waiting, emitter):
    DECISIONS["approve"].apply(waiting, Approve(), emitter, HOA)

    assert emitted(emitter)[0].decision == f"Chấp thuận: {RECORD.name}, hồ sơ {FACTS.code}"


def test_the_leader_denies_with_the_reason(waiting, emitter):
    DECISIONS["deny"].apply(waiting, Deny(reason="Giấy tờ giả mạo"), emitter, HOA)

    [denied] = emitted(emitter)
    assert (denied.type, denied.reason, denied.actor) == ("DossierDenied", "Giấy tờ giả mạo",
                                                          "officer:hoa")
    assert (waiting.state, waiting.outcome, waiting.closed_with_event) == (
        DONE, "denied", denied.event_id)


def test_the_leader_sends_the_draft_back_and_takes_the_next_one(waiting, items, emitter):
    DECISIONS["return"].apply(waiting, Return(reason="Xác minh lại nơi cư trú"), emitter, HOA)

    [returned] = drain(emitter)
    assert isinstance(returned, DossierReturned)
    assert (returned.reason, returned.actor, returned.dossier) == (
        "Xác minh lại nơi cư trú", "officer:hoa", waiting.facts())
    assert (waiting.state, waiting.outcome, waiting.closed_with_event) == (
        DONE, "returned", returned.event_id)

    # Appraisal's next draft names the return as its cause: approval takes it.
    second = appraised("approve", "Đã xác minh", cause=returned)
    BY_OFFICERS.on_appraised(second, items, emitter)

    assert [item.state for item in items.for_dossier(second.dossier_id)] == [DONE, OPEN]


def test_a_leader_decides_only_on_dossier_items():
    assert {name: set(decision.kinds) for name, decision in DECISIONS.items()} == {
        name: {"dossier"} for name in ("approve", "deny", "return", "apologize")}


def test_a_stopped_dossier_closes_the_draft_waiting_for_the_leader(waiting, items, emitter):
    stopped = event(DossierStopped, producer=by("appraisal", "STP"),
                    dossier_id=waiting.dossier_id, agency="STP", reason="Rút hồ sơ")

    approval_stage(BY_OFFICERS).handlers["DossierStopped"](stopped, items, emitter)

    assert (waiting.state, waiting.outcome, waiting.reason) == (DONE, "stopped", "Rút hồ sơ")
    assert emitter.messages == []
