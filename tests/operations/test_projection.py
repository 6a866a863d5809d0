"""The operations view's fold, called directly: a dossier's row follows its events through the
lifecycle rules (status, holder, deadlines, delivery on time) and each applied event becomes a
timeline row; what the rules refuse changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from motcua_contracts import DOSSIER_TOPIC, IllegalTransition, Status, new_event, uuid7
from motcua_contracts.appraisal import DossierAppraised, FeesRequested
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import (
    DossierAccepted,
    DossierOverdue,
    DossierRated,
    DossierSubmitted,
    FeesPaid,
)
from motcua_contracts.shared import DelayApologized
from motcua_contracts.signing import ResultSigned
from motcua_operations.handlers import Views, on_event, operations_stage
from motcua_operations.projection import fold, started
from motcua_runtime.stage import Emitter, Rejected
from tests.fakes import by, event

VN = timezone(timedelta(hours=7))
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)
DUE = MONDAY + timedelta(days=10)
STEPS = {"intake": MONDAY + timedelta(hours=4), "appraisal": MONDAY + timedelta(days=7),
         "approval": MONDAY + timedelta(days=8), "signing": MONDAY + timedelta(days=9),
         "delivery": DUE}


def submission() -> DossierSubmitted:
    return new_event(
        DossierSubmitted, dossier_id=uuid7(), agency="STP", producer=by("intake", "STP"),
        occurred_at=MONDAY, code="000.00.15.H38-251124-0003", procedure_code="2.000488",
        channel="online", applicant={"full_name": "Trần Thị Bình", "id_number": "010203004567",
                                     "phone": "0912345678", "address": "Lào Cai"},
        documents=[], delivery={"channel": "counter"}, data={}, received_at=MONDAY)


def facts(due: datetime = DUE) -> DossierFacts:
    return DossierFacts(code="000.00.15.H38-251124-0003", procedure_code="2.000488",
                        applicant_name="Trần Thị Bình", received_at=MONDAY, due_at=due,
                        step_due_at=STEPS, delivery_channel="counter")


def journey(signed_at: datetime, delivered_on_time: bool) -> list:
    submitted = submission()
    accepted = event(DossierAccepted, producer=by("intake", "STP"), cause=submitted,
                     at=MONDAY + timedelta(minutes=5), dossier=facts())
    appraised = event(DossierAppraised, producer=by("appraisal", "STP"), cause=accepted,
                      at=signed_at - timedelta(hours=2), dossier=facts(),
                      recommendation="approve", findings="Đủ điều kiện")
    approved = event(DossierApproved, producer=by("approval", "STP"), cause=appraised,
                     at=signed_at - timedelta(hours=1), dossier=facts(), decision="Cấp phiếu")
    signed = event(ResultSigned, producer=by("signing", "STP"), cause=approved, at=signed_at,
                   dossier=facts(), outcome="approved", result_number="0001/2025/QĐ-STP",
                   document_sha256="ab" * 32, signed_at=signed_at)
    delivered = event(ResultDelivered, producer=by("delivery", "STP"), cause=signed,
                      at=signed_at + timedelta(hours=1), channel="counter",
                      delivered_at=signed_at + timedelta(hours=1), on_time=delivered_on_time)
    return [submitted, accepted, appraised, approved, signed, delivered]


def test_a_dossier_row_follows_its_holder_deadlines_and_delivery():
    events = journey(signed_at=DUE - timedelta(days=1), delivered_on_time=True)
    view = started(events[0])
    seen = []
    for one in events:
        row = fold(view, one)
        seen.append((row.type, row.status_code, row.holder))
        if one.type == "DossierAccepted":
            assert (view.due_at, view.step_due) == (DUE, STEPS["appraisal"])
        if one.type == "DossierApproved":
            assert (view.holder, view.step_due) == ("signing", STEPS["signing"])

    assert seen == [("DossierSubmitted", 1, "intake"), ("DossierAccepted", 2, "appraisal"),
                    ("DossierAppraised", 4, "approval"), ("DossierApproved", 4, "signing"),
                    ("ResultSigned", 9, "delivery"), ("ResultDelivered", 10, None)]
    assert view.status_code == int(Status.DELIVERED) and view.holder is None
    assert (view.delivered_at, view.on_time) == (events[-1].occurred_at, True)
    assert view.ended_at == events[-1].occurred_at and view.step_due is None
    assert view.events == 6 and view.last_event_type == "ResultDelivered"


def test_an_apology_moves_the_appointment_and_an_overdue_notice_marks_the_row():
    submitted, accepted = journey(DUE, True)[:2]
    view = started(submitted)
    fold(view, submitted)
    fold(view, accepted)
    later = DUE + timedelta(days=5)
    fold(view, event(DelayApologized, producer=by("appraisal", "STP"), cause=accepted,
                     reason="Chờ xác minh", previous_due_at=DUE, new_due_at=later))
    assert view.due_at == later

    fold(view, event(DossierOverdue, producer=by("intake", "STP"), cause=accepted, due_at=later))
    assert view.marked_overdue and view.status_code == int(Status.ACCEPTED)


def test_the_row_keeps_what_the_service_index_reads():
    """Acceptance and its appointment, the wait on the applicant (fees here), the result's
    time, the delivery channel and the rating, as the events say."""
    submitted, accepted, appraised, approved, signed, delivered = journey(
        DUE - timedelta(days=1), True)
    view = started(submitted)
    assert view.digitised is False  # a filing without documents has nothing uploaded
    for one in (submitted, accepted):
        fold(view, one)
    asked = event(FeesRequested, producer=by("appraisal", "STP"), cause=accepted,
                  at=MONDAY + timedelta(hours=1), amount=200_000, reason="Lệ phí cấp phiếu")
    paid = event(FeesPaid, producer=by("intake", "STP"), cause=asked,
                 at=MONDAY + timedelta(hours=3), amount=200_000, receipt_number="BL-01",
                 dossier=facts(DUE + timedelta(hours=2)))
    for one in (asked, paid, appraised, approved, signed, delivered):
        fold(view, one)
    assert (view.accepted_at, view.first_due_at) == (accepted.occurred_at, DUE)
    assert view.waits == [[asked.occurred_at.isoformat(), paid.occurred_at.isoformat()]]
    assert view.result_at == signed.occurred_at and view.delivery_channel == "counter"
    rated = event(DossierRated, producer=by("intake", "STP"), cause=delivered,
                  at=delivered.occurred_at + timedelta(hours=1), indicators=[2] * 9,
                  convenience="satisfied", overall="very_satisfied")
    row = fold(view, rated)
    assert (view.rated_at, view.rating_indicators, view.rating_overall) == (
        rated.occurred_at, [2] * 9, "very_satisfied")
    assert row.status_code == int(Status.DELIVERED) and view.ended_at == delivered.occurred_at


def test_an_event_the_rules_refuse_changes_nothing():
    submitted, accepted, appraised = journey(DUE, True)[:3]
    view = started(submitted)
    fold(view, submitted)
    before = (view.status_code, view.holder, view.lifecycle, view.events)

    with pytest.raises(IllegalTransition):
        fold(view, appraised)  # appraisal cannot draft what intake has not accepted
    assert (view.status_code, view.holder, view.lifecycle, view.events) == before
    fold(view, accepted)
    assert view.holder == "appraisal"


class FakeViews(Views):
    def __init__(self) -> None:
        super().__init__(session=None)  # type: ignore[arg-type]
        self.timeline: list = []

    def add(self, row) -> None:
        self._rows[row.dossier_id] = row

    def record(self, entry) -> None:
        self.timeline.append(entry)


def test_the_handler_opens_a_row_on_submission_and_refuses_events_of_unknown_dossiers():
    submitted, accepted = journey(DUE, True)[:2]
    views, emitter = FakeViews(), Emitter(by("operations", None), DOSSIER_TOPIC)

    with pytest.raises(Rejected, match="no dossier"):
        on_event(accepted, views, emitter)
    on_event(submitted, views, emitter)
    on_event(accepted, views, emitter)

    assert views.get(submitted.dossier_id).status_code == int(Status.ACCEPTED)
    assert [row.type for row in views.timeline] == ["DossierSubmitted", "DossierAccepted"]
    assert emitter.messages == []  # the view emits nothing


def test_the_stage_table_folds_every_event_type_of_the_topic():
    from motcua_contracts.topic import EVENT_TYPES

    stage = operations_stage()
    assert set(stage.handlers) == set(EVENT_TYPES) and stage.name == "operations"


def test_the_row_keeps_where_the_dossier_was_received_beside_the_competent_agency():
    received = submission().model_copy(update={"receiving_unit": "UBNDCL"})
    view = started(received)
    assert (view.agency, view.receiving_unit) == ("STP", "UBNDCL")
    assert started(submission()).receiving_unit is None  # an event from before it was recorded
