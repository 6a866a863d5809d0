"""Intake's handlers, called directly with a fake Dossiers repository and a real Emitter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_catalogue import Catalogue, WorkingCalendar, load_catalogue
from motcua_contracts import (
    DOSSIER_TOPIC, IllegalTransition, Producer, Status, new_event, uuid7,
)
from motcua_contracts.approval import DossierApproved
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import DossierAccepted, DossierRefused, DossierSubmitted
from motcua_intake.handlers import on_dossier_submitted, track
from motcua_runtime.stage import Emitter, Rejected
from tests.fakes import emitted

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
CALENDAR = WorkingCalendar()
PROCEDURE = CATALOGUE.procedures["2.000488"]  # 10 working days; Tờ khai ...; Căn cước công dân
RECEIVED = datetime(2026, 4, 29, 16, 0, tzinfo=VN)  # Wednesday before 30 April and 1 May


class FakeDossiers:
    """In memory, with the methods handlers use of motcua_intake.repository.Dossiers."""

    def __init__(self) -> None:
        self.dossiers: dict[uuid.UUID, Any] = {}
        self.timeline: list[Any] = []

    def get(self, dossier_id: uuid.UUID) -> Any | None:
        return self.dossiers.get(dossier_id)

    def with_code(self, code: str) -> Any | None:
        return next((d for d in self.dossiers.values() if d.code == code), None)

    def add(self, dossier: Any) -> None:
        self.dossiers[dossier.id] = dossier

    def record(self, entry: Any) -> None:
        self.timeline.append(entry)


def document(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": "0" * 64, "size": 2048}


ALL_DOCUMENTS = [document(name) for name in PROCEDURE.required_documents]


def submitted(procedure_code: str = PROCEDURE.code, documents=ALL_DOCUMENTS,
              dossier_id: uuid.UUID | None = None) -> DossierSubmitted:
    return new_event(
        DossierSubmitted, dossier_id=dossier_id or uuid7(), agency="STP",
        producer=Producer(service="intake", agency="STP"), code="000.00.15.H38-260429-0003",
        procedure_code=procedure_code, channel="online",
        applicant={"full_name": "Trần Thị Bình", "id_number": "010203004567",
                   "phone": "0912345678", "address": "Số 1 Hoàng Liên, Lào Cai"},
        documents=documents, delivery={"channel": "postal", "address": "Số 1 Hoàng Liên"},
        data={"purpose": "Xin việc"}, received_at=RECEIVED)


@pytest.fixture
def dossiers() -> FakeDossiers:
    return FakeDossiers()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(Producer(service="intake", agency="STP"), DOSSIER_TOPIC)


def submit(event: DossierSubmitted, dossiers: FakeDossiers, emitter: Emitter,
           catalogue: Catalogue = CATALOGUE) -> None:
    on_dossier_submitted(event, dossiers, emitter, catalogue=catalogue, calendar=CALENDAR)


def test_a_complete_dossier_is_accepted_with_the_calendars_appointment(dossiers, emitter):
    event = submitted()

    submit(event, dossiers, emitter)

    [accepted] = emitted(emitter)
    assert isinstance(accepted, DossierAccepted)
    assert accepted.dossier.due_at == CALENDAR.due_at(RECEIVED, 10, "working_days")
    # 1 hour on 29 April, then 30 April, 1 May and the weekend off: 15 May 16:00.
    assert accepted.dossier.due_at == datetime(2026, 5, 15, 16, 0, tzinfo=VN)
    assert accepted.dossier == DossierFacts(
        code=event.code, procedure_code=PROCEDURE.code, applicant_name="Trần Thị Bình",
        received_at=RECEIVED, due_at=accepted.dossier.due_at, delivery_channel="postal",
        data={"purpose": "Xin việc"})
    assert (accepted.dossier_id, accepted.agency) == (event.dossier_id, "STP")
    assert accepted.causation_id == event.event_id
    assert accepted.causation_hash == event.hash


def test_a_submission_creates_the_dossier_and_its_first_timeline_row(dossiers, emitter):
    event = submitted()

    submit(event, dossiers, emitter)

    dossier = dossiers.get(event.dossier_id)
    assert (dossier.code, dossier.status_code, dossier.stage) == (event.code, 1, "intake")
    assert dossier.last_event_type == "DossierSubmitted"
    assert dossier.applicant["id_number"] == "010203004567"
    [row] = dossiers.timeline
    assert (row.event_id, row.type, row.stage, row.agency) == (
        event.event_id, "DossierSubmitted", "intake", "STP")


def test_a_missing_document_refuses_the_dossier_naming_it(dossiers, emitter):
    event = submitted(documents=ALL_DOCUMENTS[:1])

    submit(event, dossiers, emitter)

    [refused] = emitted(emitter)
    assert isinstance(refused, DossierRefused)
    assert refused.missing_documents == [PROCEDURE.required_documents[1]]
    assert PROCEDURE.required_documents[1] in refused.reason
    assert refused.causation_id == event.event_id
    assert refused.causation_hash == event.hash


def test_an_unknown_procedure_refuses_the_dossier(dossiers, emitter):
    event = submitted(procedure_code="9.999999")

    submit(event, dossiers, emitter)

    [refused] = emitted(emitter)
    assert isinstance(refused, DossierRefused)
    assert "9.999999" in refused.reason
    assert refused.causation_id == event.event_id


def test_a_procedure_checked_by_an_officer_waits_at_the_desk(dossiers, emitter):
    officer = PROCEDURE.model_copy(update={"officer_stages": ("intake",)})
    event = submitted()

    submit(event, dossiers, emitter, Catalogue(CATALOGUE.agencies, {PROCEDURE.code: officer}))

    assert emitter.messages == []
    assert dossiers.get(event.dossier_id).status_code == 1


def test_a_replayed_submission_is_an_illegal_transition_and_emits_nothing(dossiers, emitter):
    event = submitted()
    submit(event, dossiers, emitter)

    with pytest.raises(IllegalTransition):
        submit(submitted(dossier_id=event.dossier_id), dossiers, emitter)

    assert len(emitter.messages) == 1
    assert len(dossiers.timeline) == 1


def test_track_moves_the_dossier_to_the_status_of_the_event(dossiers, emitter):
    event = submitted()
    submit(event, dossiers, emitter)
    [accepted] = emitted(emitter)

    track(accepted, dossiers, emitter)

    dossier = dossiers.get(event.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.ACCEPTED), "appraisal")
    assert dossier.due_at == accepted.dossier.due_at
    assert [row.type for row in dossiers.timeline] == ["DossierSubmitted", "DossierAccepted"]
    assert len(emitter.messages) == 1  # tracking emits nothing


def test_track_refuses_an_illegal_transition_and_changes_nothing(dossiers, emitter):
    event = submitted()
    submit(event, dossiers, emitter)
    [accepted] = emitted(emitter)
    approved = new_event(DossierApproved, dossier_id=event.dossier_id, agency="STP",
                         producer=Producer(service="approval", agency="STP"),
                         dossier=accepted.dossier, decision="Chấp thuận")

    with pytest.raises(IllegalTransition, match="DossierApproved cannot happen now: the dossier is not at approval"):
        track(approved, dossiers, emitter)

    dossier = dossiers.get(event.dossier_id)
    assert (dossier.status_code, dossier.last_event_type) == (1, "DossierSubmitted")
    assert len(dossiers.timeline) == 1


def test_track_rejects_an_event_for_an_unknown_dossier(dossiers, emitter):
    stray = new_event(DossierRefused, dossier_id=uuid7(), agency="STP",
                      producer=Producer(service="intake", agency="STP"), reason="?")

    with pytest.raises(Rejected, match="no dossier"):
        track(stray, dossiers, emitter)

    assert dossiers.timeline == [] and emitter.messages == []


def test_a_submission_reusing_another_dossiers_code_is_rejected(dossiers, emitter):
    first = submitted()
    on_dossier_submitted(first, dossiers, emitter, catalogue=CATALOGUE, calendar=CALENDAR)
    emitted_before = list(emitter.messages)

    with pytest.raises(Rejected, match="already belongs to dossier"):
        on_dossier_submitted(submitted(), dossiers, emitter, catalogue=CATALOGUE,
                             calendar=CALENDAR)

    assert len(dossiers.dossiers) == 1
    assert emitter.messages == emitted_before
