"""Approval's handler, called directly with a fake work-item repository and a real Emitter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from motcua_approval.handlers import on_dossier_appraised
from motcua_catalogue import Catalogue, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, Producer, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.dossier import DossierFacts
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from tests.fakes import FakeWorkItems, emitted

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
PROCEDURE = CATALOGUE.procedures["1.009972"]  # building permit renewal, SXD


def appraised(recommendation: str = "approve", findings: str = "Hồ sơ đủ điều kiện",
              dossier_id: uuid.UUID | None = None) -> DossierAppraised:
    received = datetime(2026, 4, 29, 9, 0, tzinfo=VN)
    facts = DossierFacts(code="000.00.14.H38-260429-0021", procedure_code=PROCEDURE.code,
                         applicant_name="Lê Văn Cường", received_at=received,
                         due_at=received + timedelta(days=7), delivery_channel="counter",
                         data={"permit_number": "123/GPXD"})
    return new_event(DossierAppraised, dossier_id=dossier_id or uuid7(), agency="SXD",
                     producer=Producer(service="appraisal", agency="SXD"), dossier=facts,
                     recommendation=recommendation, findings=findings)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(Producer(service="approval", agency="SXD"), DOSSIER_TOPIC)


def test_an_approve_recommendation_is_approved_and_linked_to_its_cause(items, emitter):
    event = appraised("approve")

    on_dossier_appraised(event, items, emitter, catalogue=CATALOGUE)

    [approved] = emitted(emitter)
    assert isinstance(approved, DossierApproved)
    assert approved.decision == f"Chấp thuận: {PROCEDURE.name} cho Lê Văn Cường"
    assert approved.dossier == event.dossier
    assert (approved.dossier_id, approved.agency) == (event.dossier_id, "SXD")
    assert approved.causation_id == event.event_id
    assert approved.causation_hash == event.hash
    [item] = items.for_dossier(event.dossier_id)
    assert (item.state, item.outcome) == (DONE, "approved")


def test_a_deny_recommendation_is_denied_with_the_findings(items, emitter):
    event = appraised("deny", "Không đủ điều kiện: thiếu thông tin permit_number")

    on_dossier_appraised(event, items, emitter, catalogue=CATALOGUE)

    [denied] = emitted(emitter)
    assert isinstance(denied, DossierDenied)
    assert denied.reason == "Không đủ điều kiện: thiếu thông tin permit_number"
    assert denied.causation_id == event.event_id
    assert denied.causation_hash == event.hash
    [item] = items.for_dossier(event.dossier_id)
    assert (item.state, item.outcome, item.reason) == (DONE, "denied", denied.reason)


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(items, emitter):
    first = appraised()
    on_dossier_appraised(first, items, emitter, catalogue=CATALOGUE)
    replay = appraised("deny", "forged", dossier_id=first.dossier_id)

    with pytest.raises(Rejected, match="already handed to approval"):
        on_dossier_appraised(replay, items, emitter, catalogue=CATALOGUE)

    assert [type(event) for event in emitted(emitter)] == [DossierApproved]
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_decided_by_an_officer_waits_for_the_leader(items, emitter):
    officer = PROCEDURE.model_copy(update={"officer_stages": ("approval",)})
    event = appraised()

    on_dossier_appraised(event, items, emitter,
                         catalogue=Catalogue(CATALOGUE.agencies, {PROCEDURE.code: officer}))

    assert emitter.messages == []
    assert [item.state for item in items.for_dossier(event.dossier_id)] == [OPEN]
