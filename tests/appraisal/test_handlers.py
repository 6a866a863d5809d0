"""Appraisal's handler, called directly with a fake work-item repository and a real Emitter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_appraisal.handlers import on_dossier_accepted
from motcua_catalogue import Catalogue, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, Producer, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from tests.fakes import FakeWorkItems, emitted

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
PROCEDURE = CATALOGUE.procedures["2.000488"]  # criminal record certificate, STP; needs `purpose`


def accepted(dossier_id: uuid.UUID | None = None, procedure_code: str = PROCEDURE.code,
             **data: Any) -> DossierAccepted:
    received = datetime(2026, 4, 29, 9, 0, tzinfo=VN)
    facts = DossierFacts(code="000.00.15.H38-260429-0003", procedure_code=procedure_code,
                         applicant_name="Trần Thị Bình", received_at=received,
                         due_at=received + timedelta(days=14), delivery_channel="online",
                         data=data)
    return new_event(DossierAccepted, dossier_id=dossier_id or uuid7(), agency="STP",
                     producer=Producer(service="intake", agency="STP"), dossier=facts)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(Producer(service="appraisal", agency="STP"), DOSSIER_TOPIC)


def test_complete_data_is_appraised_for_approval_and_linked_to_its_cause(items, emitter):
    event = accepted(purpose="Xin việc")

    on_dossier_accepted(event, items, emitter, catalogue=CATALOGUE)

    [appraised] = emitted(emitter)
    assert isinstance(appraised, DossierAppraised)
    assert appraised.recommendation == "approve"
    assert appraised.dossier == event.dossier
    assert (appraised.dossier_id, appraised.agency) == (event.dossier_id, "STP")
    assert appraised.causation_id == event.event_id
    assert appraised.causation_hash == event.hash
    assert appraised.producer == Producer(service="appraisal", agency="STP")
    assert emitter.messages[0].key == str(event.dossier_id).encode()


def test_missing_data_is_appraised_for_denial_naming_the_field(items, emitter):
    on_dossier_accepted(accepted(), items, emitter, catalogue=CATALOGUE)

    [appraised] = emitted(emitter)
    assert appraised.recommendation == "deny"
    assert "purpose" in appraised.findings


def test_the_work_item_is_opened_and_closed_with_the_recommendation(items, emitter):
    event = accepted(purpose="Xin việc")

    on_dossier_accepted(event, items, emitter, catalogue=CATALOGUE)

    [item] = items.for_dossier(event.dossier_id)
    assert (item.state, item.outcome, item.opened_by_event) == (DONE, "approve", event.event_id)
    assert item.procedure_code == PROCEDURE.code
    assert item.dossier == event.dossier.model_dump(mode="json")


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(items, emitter):
    first = accepted(purpose="Xin việc")
    on_dossier_accepted(first, items, emitter, catalogue=CATALOGUE)
    replay = accepted(first.dossier_id, purpose="Xin việc")  # same dossier, a new event id

    with pytest.raises(Rejected, match="already handed to appraisal"):
        on_dossier_accepted(replay, items, emitter, catalogue=CATALOGUE)

    assert len(emitter.messages) == 1
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_decided_by_an_officer_waits_in_the_queue(items, emitter):
    officer = PROCEDURE.model_copy(update={"officer_stages": ("appraisal",)})
    catalogue = Catalogue(CATALOGUE.agencies, {PROCEDURE.code: officer})
    event = accepted(purpose="Xin việc")

    on_dossier_accepted(event, items, emitter, catalogue=catalogue)

    assert emitter.messages == []
    assert [item.state for item in items.for_dossier(event.dossier_id)] == [OPEN]


def test_a_procedure_missing_from_the_catalogue_waits_in_the_queue(items, emitter):
    event = accepted(procedure_code="9.999999")

    on_dossier_accepted(event, items, emitter, catalogue=CATALOGUE)

    assert emitter.messages == []
    assert [item.state for item in items.for_dossier(event.dossier_id)] == [OPEN]
