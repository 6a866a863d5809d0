"""Delivery's handler, called directly with a fake work-item repository and a real Emitter."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from motcua_catalogue import Catalogue, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, Producer, new_event, uuid7
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.signing import ResultSigned
from motcua_delivery.handlers import on_result_signed
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from tests.fakes import FakeWorkItems, emitted

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
PROCEDURE = CATALOGUE.procedures["1.002809"]  # driving licence exchange, SGTVT
DUE = datetime(2026, 5, 6, 17, 0, tzinfo=VN)


def signed(signed_at: datetime = DUE - timedelta(days=1), channel: str = "postal",
           dossier_id: uuid.UUID | None = None, due_at: datetime | None = DUE) -> ResultSigned:
    facts = DossierFacts(code="000.00.13.H38-260429-0005", procedure_code=PROCEDURE.code,
                         applicant_name="Phạm Thu Dung",
                         received_at=datetime(2026, 4, 29, 9, 0, tzinfo=VN), due_at=due_at,
                         delivery_channel=channel, data={"licence_number": "AB123456"})
    return new_event(ResultSigned, dossier_id=dossier_id or uuid7(), agency="SGTVT",
                     producer=Producer(service="signing", agency="SGTVT"), dossier=facts,
                     outcome="approved", result_number="0007/2026/QĐ-SGTVT",
                     document_sha256="cd" * 32, signed_at=signed_at)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(Producer(service="delivery", agency="SGTVT"), DOSSIER_TOPIC)


def test_a_result_signed_before_the_appointment_is_delivered_on_time(items, emitter):
    event = signed()

    on_result_signed(event, items, emitter, catalogue=CATALOGUE)

    [delivered] = emitted(emitter)
    assert isinstance(delivered, ResultDelivered)
    assert delivered.on_time is True
    assert delivered.channel == "postal"
    assert (delivered.dossier_id, delivered.agency) == (event.dossier_id, "SGTVT")
    assert delivered.causation_id == event.event_id
    assert delivered.causation_hash == event.hash
    [item] = items.for_dossier(event.dossier_id)
    assert (item.state, item.outcome, item.reason) == (DONE, "delivered", None)


def test_a_result_signed_exactly_at_the_appointment_is_on_time(items, emitter):
    on_result_signed(signed(signed_at=DUE), items, emitter, catalogue=CATALOGUE)

    assert emitted(emitter)[0].on_time is True


def test_a_result_signed_after_the_appointment_is_delivered_late(items, emitter):
    event = signed(signed_at=DUE + timedelta(minutes=1), channel="counter")

    on_result_signed(event, items, emitter, catalogue=CATALOGUE)

    [delivered] = emitted(emitter)
    assert (delivered.on_time, delivered.channel) == (False, "counter")
    assert items.for_dossier(event.dossier_id)[0].reason == "late"


def test_a_result_returned_at_once_without_appointment_is_on_time(items, emitter):
    on_result_signed(signed(due_at=None), items, emitter, catalogue=CATALOGUE)

    assert emitted(emitter)[0].on_time is True


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(items, emitter):
    first = signed()
    on_result_signed(first, items, emitter, catalogue=CATALOGUE)

    with pytest.raises(Rejected, match="already handed to delivery"):
        on_result_signed(signed(dossier_id=first.dossier_id), items, emitter, catalogue=CATALOGUE)

    assert len(emitter.messages) == 1
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_delivered_by_an_officer_waits_at_the_desk(items, emitter):
    officer = PROCEDURE.model_copy(update={"officer_stages": ("delivery",)})
    event = signed()

    on_result_signed(event, items, emitter,
                     catalogue=Catalogue(CATALOGUE.agencies, {PROCEDURE.code: officer}))

    assert emitter.messages == []
    assert [item.state for item in items.for_dossier(event.dossier_id)] == [OPEN]
