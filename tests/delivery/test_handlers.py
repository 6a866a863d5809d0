"""Delivery's handler and the desk's `deliver` decision, called directly with a fake work-item
repository and a real Emitter. On time is judged against the first appointment."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import DOSSIER_TOPIC, uuid7
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.signing import ResultSigned
from motcua_delivery.handlers import Deliver, Delivery, delivery_stage
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from motcua_runtime.work_queue import DecisionContext
from tests.fakes import FakeWorkItems, by, emitted, event

VN = timezone(timedelta(hours=7))
CATALOGUE = default_catalogue()
RECORD = CATALOGUE.procedures["2.000488"]  # STP; the desk hands over when officers are in charge
DUE = datetime(2025, 12, 8, 8, 0, tzinfo=VN)
DELIVERY = Delivery(CATALOGUE)
BY_OFFICERS = Delivery(CATALOGUE, officers=True)


def signed(signed_at: datetime = DUE - timedelta(days=1), *, channel: str = "postal",
           due_at: datetime | None = DUE, rescheduled_from: datetime | None = None,
           dossier_id: uuid.UUID | None = None) -> ResultSigned:
    facts = DossierFacts(code="000.00.15.H38-251124-0003", procedure_code=RECORD.code,
                         applicant_name="Trần Thị Bình",
                         received_at=datetime(2025, 11, 24, 8, 0, tzinfo=VN), due_at=due_at,
                         rescheduled_from=rescheduled_from, delivery_channel=channel,
                         channel="online", data={"purpose": "Xin việc"})
    return event(ResultSigned, producer=by("signing", "STP"), dossier_id=dossier_id or uuid7(),
                 agency="STP", at=signed_at, dossier=facts, outcome="approved",
                 result_number="0007/2025/QĐ-STP", document_sha256="cd" * 32,
                 signed_at=signed_at)


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("delivery", "STP"), DOSSIER_TOPIC)


def test_a_result_signed_before_the_appointment_is_delivered_on_time(items, emitter):
    ready = signed()
    before = datetime.now(timezone.utc)

    DELIVERY.on_result_signed(ready, items, emitter)

    [delivered] = emitted(emitter)
    assert isinstance(delivered, ResultDelivered)
    assert (delivered.on_time, delivered.channel, delivered.actor) == (True, "postal", "auto")
    assert before <= delivered.delivered_at <= datetime.now(timezone.utc)
    assert (delivered.dossier_id, delivered.agency) == (ready.dossier_id, "STP")
    assert (delivered.causation_id, delivered.causation_hash) == (ready.event_id, ready.hash)
    [item] = items.for_dossier(ready.dossier_id)
    assert (item.state, item.outcome, item.reason, item.closed_with_event) == (
        DONE, "delivered", None, delivered.event_id)
    assert item.context == {"result_number": "0007/2025/QĐ-STP",
                            "ready_at": ready.signed_at.isoformat()}


def test_a_result_signed_exactly_at_the_appointment_is_on_time(items, emitter):
    DELIVERY.on_result_signed(signed(DUE), items, emitter)

    assert emitted(emitter)[0].on_time is True


def test_a_result_signed_after_the_appointment_is_late(items, emitter):
    ready = signed(DUE + timedelta(minutes=1), channel="counter")

    DELIVERY.on_result_signed(ready, items, emitter)

    [delivered] = emitted(emitter)
    assert (delivered.on_time, delivered.channel) == (False, "counter")
    assert items.for_dossier(ready.dossier_id)[0].reason == "late"


def test_a_rescheduled_dossier_is_late_even_within_its_new_appointment(items, emitter):
    new_due = DUE + timedelta(days=3)

    DELIVERY.on_result_signed(signed(DUE - timedelta(days=1), due_at=new_due,
                                     rescheduled_from=DUE), items, emitter)

    assert emitted(emitter)[0].on_time is False


def test_a_result_returned_at_once_without_appointment_is_on_time(items, emitter):
    DELIVERY.on_result_signed(signed(due_at=None), items, emitter)

    assert emitted(emitter)[0].on_time is True


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(items, emitter):
    first = signed()
    DELIVERY.on_result_signed(first, items, emitter)

    with pytest.raises(Rejected, match="already handed to delivery"):
        DELIVERY.on_result_signed(signed(dossier_id=first.dossier_id), items, emitter)

    assert len(emitter.messages) == 1
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_missing_from_the_catalogue_is_rejected(items, emitter):
    ready = signed()
    unknown = ready.model_copy(update={"dossier": ready.dossier.model_copy(
        update={"procedure_code": "9.999999"})})

    with pytest.raises(Rejected, match="9.999999"):
        DELIVERY.on_result_signed(unknown, items, emitter)

    assert emitter.messages == []


# -- the desk's decision -----------------------------------------------------------------------

def waiting_at_the_desk(items: FakeWorkItems, emitter: Emitter, ready: ResultSigned) -> Any:
    BY_OFFICERS.on_result_signed(ready, items, emitter)
    [item] = items.for_dossier(ready.dossier_id)
    return item


def test_with_officers_the_result_waits_at_the_desk(items, emitter):
    item = waiting_at_the_desk(items, emitter, signed())

    assert (item.state, emitter.messages) == (OPEN, [])


def test_the_desk_records_the_hand_over_judged_by_when_the_result_was_ready(items, emitter):
    item = waiting_at_the_desk(items, emitter, signed(DUE - timedelta(hours=1)))
    handed_at = DUE + timedelta(days=4)  # collected late: not the agency's delay
    an = DecisionContext(Officer("an", "STP", "delivery"), now=handed_at)

    BY_OFFICERS.work_queue()["deliver"].apply(item, Deliver(note="Bưu điện: EMS123"),
                                              emitter, an)

    [delivered] = emitted(emitter)
    assert (delivered.on_time, delivered.delivered_at, delivered.actor) == (
        True, handed_at, "officer:an")
    assert delivered.channel == "postal"
    assert (item.state, item.reason, item.decided_by, item.closed_with_event) == (
        DONE, "Bưu điện: EMS123", "officer:an", delivered.event_id)


def test_the_stage_hands_result_signed_to_delivery():
    stage = delivery_stage(DELIVERY)

    assert set(stage.handlers) == {"ResultSigned"}
    assert set(DELIVERY.work_queue()) == {"deliver"}
