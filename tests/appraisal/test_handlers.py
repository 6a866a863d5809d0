"""Appraisal's handlers and work-queue decisions, called directly with a fake work-item repository
and a real Emitter: the automatic policy (fees, liên thông consultations, the recommendation),
supplements, returns from approval, withdrawal, and what a specialist may decide."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_appraisal.decisions import (
    Answer,
    ConfirmWithdrawal,
    Consult,
    Recommend,
    RequestFees,
    RequestSupplement,
)
from motcua_appraisal.handlers import Appraisal, appraisal_stage
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import DOSSIER_TOPIC, uuid7
from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierAppraised,
    DossierTakenOver,
    FeesRequested,
)
from motcua_contracts.approval import DossierReturned
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.intake import (
    DossierAccepted,
    FeesPaid,
    SupplementExpired,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_runtime.delays import Apology
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import CONSULTATION, DONE, DOSSIER, OPEN, WAITING, WITHDRAWAL
from motcua_runtime.work_queue import DecisionContext
from tests import fakes
from tests.fakes import FakeWorkItems, by, event

VN = timezone(timedelta(hours=7))
CATALOGUE = default_catalogue()
CALENDAR = WorkingCalendar()
RECORD = CATALOGUE.procedures["2.000488"]  # STP consults CAT; 200 000 đ; officers may appraise
BUSINESS = CATALOGUE.procedures["2.001610"]  # SKHDT alone; 50 000 đ at the counter, free online
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)  # a fortnight without holidays
APPRAISAL = Appraisal(CATALOGUE, CALENDAR)
BY_OFFICERS = Appraisal(CATALOGUE, CALENDAR, officers=True)
MINH = DecisionContext(Officer("minh", "STP", "appraisal"), now=MONDAY + timedelta(days=1))


def emitted(emitter: Emitter) -> list:
    """What the handler decided: the events emitted, less the take-over every first hand-off
    brings (the take-over's own tests read `fakes.emitted`)."""
    return [e for e in fakes.emitted(emitter) if not isinstance(e, DossierTakenOver)]


def drain(emitter: Emitter) -> list:
    decided = emitted(emitter)
    emitter.messages.clear()
    return decided


def facts(procedure=RECORD, *, channel: str = "online", fees_paid: int = 0,
          **data: Any) -> DossierFacts:
    return DossierFacts(
        code="000.00.15.H38-251124-0003", procedure_code=procedure.code,
        applicant_name="Trần Thị Bình", received_at=MONDAY,
        due_at=CALENDAR.due_at(MONDAY, procedure.limit_value, procedure.limit_unit),
        step_due_at=CALENDAR.step_deadlines(procedure, MONDAY), delivery_channel="postal",
        channel=channel, fees_paid=fees_paid, data=data)


def accepted(procedure=RECORD, *, dossier_id: uuid.UUID | None = None, **fact_args: Any
             ) -> DossierAccepted:
    fact_args.setdefault("purpose" if procedure is RECORD else "business_name", "Có")
    if procedure is BUSINESS:
        fact_args.setdefault("registered_capital", 100_000_000)
    return event(DossierAccepted, producer=by("intake", procedure.agency),
                 dossier_id=dossier_id or uuid7(), agency=procedure.agency,
                 at=MONDAY + timedelta(minutes=30), dossier=facts(procedure, **fact_args))


@pytest.fixture
def items() -> FakeWorkItems:
    return FakeWorkItems()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("appraisal", "STP"), DOSSIER_TOPIC)


@pytest.fixture
def cat() -> Emitter:
    """The consulted agency's appraisal instance (Công an tỉnh)."""
    return Emitter(by("appraisal", "CAT"), DOSSIER_TOPIC)


def only(items: FakeWorkItems, dossier_id: uuid.UUID, kind: str = DOSSIER) -> Any:
    [item] = [item for item in items.for_dossier(dossier_id) if item.kind == kind]
    return item


def fees_paid(request: FeesRequested, dossier: DossierFacts, when: datetime) -> FeesPaid:
    paid = dossier.model_copy(update={"fees_paid": dossier.fees_paid + request.amount})
    return event(FeesPaid, producer=by("intake", "STP"), cause=request, at=when,
                 actor="applicant", amount=request.amount, receipt_number="BL-0001",
                 dossier=paid)


def answer(request: ConsultationRequested, *, agrees: bool = True,
           text: str = "Không có án tích", cause: Any = None) -> ConsultationAnswered:
    return event(ConsultationAnswered, producer=by("appraisal", request.agency),
                 cause=cause or request, agency=request.lead_agency,
                 consulted_agency=request.agency, agrees=agrees, answer=text)


def to_consultation(items: FakeWorkItems, emitter: Emitter
                    ) -> tuple[DossierAccepted, ConsultationRequested]:
    """A criminal-record dossier paid for and sent to CAT for its opinion."""
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    [fees] = drain(emitter)
    APPRAISAL.on_fees_paid(fees_paid(fees, handed.dossier, MONDAY + timedelta(hours=3)),
                           items, emitter)
    [request] = drain(emitter)
    return handed, request


# -- the automatic policy ----------------------------------------------------------------------

def test_fees_still_owed_are_requested_and_the_item_waits_for_them(items, emitter):
    handed = accepted()

    APPRAISAL.on_accepted(handed, items, emitter)

    [fees] = emitted(emitter)
    assert isinstance(fees, FeesRequested)
    assert fees.amount == 200_000 and RECORD.name in fees.reason
    assert (fees.agency, fees.causation_id, fees.causation_hash) == ("STP", handed.event_id,
                                                                     handed.hash)
    item = only(items, handed.dossier_id)
    assert (item.state, item.waiting_for, item.awaiting) == (WAITING, "fees",
                                                             [str(fees.event_id)])
    assert item.due_at == handed.dossier.step_due_at["appraisal"]
    assert item.opened_by_event == handed.event_id


@pytest.mark.parametrize("channel, paid, owed", [
    ("counter", 0, 50_000), ("counter", 20_000, 30_000)])
def test_the_fee_owed_depends_on_how_the_dossier_was_filed_and_what_was_paid(
        items, emitter, channel, paid, owed):
    APPRAISAL.on_accepted(accepted(BUSINESS, channel=channel, fees_paid=paid), items, emitter)

    [fees] = emitted(emitter)
    assert (fees.type, fees.amount) == ("FeesRequested", owed)


def test_a_dossier_filed_online_for_free_is_appraised_at_once(items, emitter):
    handed = accepted(BUSINESS, channel="online")

    APPRAISAL.on_accepted(handed, items, emitter)

    [appraised] = emitted(emitter)
    assert isinstance(appraised, DossierAppraised)
    assert appraised.recommendation == "approve"
    assert appraised.dossier == handed.dossier
    assert appraised.causation_id == handed.event_id
    item = only(items, handed.dossier_id)
    assert (item.state, item.outcome, item.closed_with_event) == (DONE, "approve",
                                                                  appraised.event_id)


def test_missing_data_is_recommended_for_denial_naming_the_field(items, emitter):
    APPRAISAL.on_accepted(accepted(BUSINESS, business_name=""), items, emitter)

    [appraised] = emitted(emitter)
    assert appraised.recommendation == "deny"
    assert "business_name" in appraised.findings


def test_fees_paid_lead_to_consulting_the_coordinating_agency(items, emitter):
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    [fees] = drain(emitter)
    paid_at = MONDAY + timedelta(hours=3)  # Monday 11:00
    paid = fees_paid(fees, handed.dossier, paid_at)

    APPRAISAL.on_fees_paid(paid, items, emitter)

    [request] = emitted(emitter)
    assert isinstance(request, ConsultationRequested)
    assert (request.agency, request.lead_agency) == ("CAT", "STP")
    assert request.producer == by("appraisal", "STP")
    assert request.dossier == paid.dossier  # the facts the payment brought
    assert request.causation_id == paid.event_id
    # A quarter of the 56 hours of appraisal: 14 working hours from Monday 11:00.
    assert request.respond_by == datetime(2025, 11, 26, 9, 0, tzinfo=VN)
    item = only(items, handed.dossier_id)
    assert (item.state, item.waiting_for, item.awaiting) == (WAITING, "consultation",
                                                             [str(request.event_id)])
    assert item.context["consulted"] == ["CAT"]
    assert item.facts().fees_paid == 200_000


def test_fees_paid_when_filing_are_not_asked_again(items, emitter):
    APPRAISAL.on_accepted(accepted(fees_paid=200_000), items, emitter)

    assert [e.type for e in emitted(emitter)] == ["ConsultationRequested"]


def test_the_answer_of_the_consulted_agency_lets_the_lead_appraise(items, emitter):
    handed, request = to_consultation(items, emitter)
    answered = answer(request)

    APPRAISAL.on_consultation_answered(answered, items, emitter)

    [appraised] = emitted(emitter)
    assert isinstance(appraised, DossierAppraised)
    assert appraised.recommendation == "approve"
    assert appraised.causation_id == answered.event_id
    item = only(items, handed.dossier_id)
    assert (item.state, item.closed_with_event) == (DONE, appraised.event_id)
    assert [(a["agency"], a["agrees"], a["answer"]) for a in item.answers] == [
        ("CAT", True, "Không có án tích")]


def test_an_objection_from_the_consulted_agency_makes_the_recommendation_a_denial(items,
                                                                                  emitter):
    _, request = to_consultation(items, emitter)

    APPRAISAL.on_consultation_answered(answer(request, agrees=False, text="Đang bị truy nã"),
                                       items, emitter)

    [appraised] = emitted(emitter)
    assert appraised.recommendation == "deny"
    assert "CAT: Đang bị truy nã" in appraised.findings


def test_an_answer_to_no_awaited_request_is_rejected_and_changes_nothing(items, emitter):
    handed, request = to_consultation(items, emitter)
    stray = answer(request, cause=handed)  # answers the hand-off, not the request

    with pytest.raises(Rejected, match="no consultation request"):
        APPRAISAL.on_consultation_answered(stray, items, emitter)

    item = only(items, handed.dossier_id)
    assert (item.state, item.awaiting, item.answers) == (WAITING, [str(request.event_id)], [])
    assert emitted(emitter) == []


def test_a_second_copy_of_an_answer_is_rejected(items, emitter):
    _, request = to_consultation(items, emitter)
    answered = answer(request)
    APPRAISAL.on_consultation_answered(answered, items, emitter)

    with pytest.raises(Rejected):
        APPRAISAL.on_consultation_answered(answer(request), items, emitter)

    assert len(emitted(emitter)) == 1


def test_fees_paid_for_a_request_never_sent_are_rejected(items, emitter):
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    forged = event(FeesRequested, producer=by("appraisal", "STP"), cause=handed, amount=1,
                   reason="?")

    with pytest.raises(Rejected, match="no fees request"):
        APPRAISAL.on_fees_paid(fees_paid(forged, handed.dossier, MONDAY), items, emitter)

    assert only(items, handed.dossier_id).state == WAITING
    assert len(emitted(emitter)) == 1


# -- liên thông at the consulted agency --------------------------------------------------------

def test_a_consultation_is_answered_automatically_and_addressed_back_to_the_lead(items,
                                                                                 emitter, cat):
    _, request = to_consultation(items, emitter)
    at_cat = FakeWorkItems()

    APPRAISAL.on_consultation_requested(request, at_cat, cat)

    [answered] = emitted(cat)
    assert isinstance(answered, ConsultationAnswered)
    assert (answered.agency, answered.consulted_agency, answered.agrees) == ("STP", "CAT", True)
    assert answered.producer == by("appraisal", "CAT")
    assert answered.causation_id == request.event_id
    item = only(at_cat, request.dossier_id, CONSULTATION)
    assert (item.agency, item.due_at, item.state, item.outcome) == (
        "CAT", request.respond_by, DONE, "agrees")
    assert item.context == {"lead_agency": "STP", "question": request.question}

    APPRAISAL.on_consultation_answered(answered, items, emitter)  # back at the lead

    assert [e.type for e in drain(emitter)] == ["DossierAppraised"]


def test_with_officers_the_consulted_agency_answers_from_its_queue(items, emitter, cat):
    _, request = to_consultation(items, emitter)
    at_cat = FakeWorkItems()
    BY_OFFICERS.on_consultation_requested(request, at_cat, cat)
    item = only(at_cat, request.dossier_id, CONSULTATION)
    assert (item.state, cat.messages) == (OPEN, [])
    hung = DecisionContext(Officer("hung", "CAT", "appraisal"), now=MONDAY + timedelta(hours=5))

    BY_OFFICERS.work_queue()["answer"].apply(
        item, Answer(agrees=False, answer="Có án tích chưa xoá"), cat, hung)

    [answered] = emitted(cat)
    assert (answered.agency, answered.agrees, answered.actor) == ("STP", False, "officer:hung")
    assert (item.state, item.outcome, item.decided_by) == (DONE, "objects", "officer:hung")



def test_after_a_return_the_answers_stand_and_the_draft_is_redone(items, emitter, cat):
    handed, request = to_consultation(items, emitter)
    at_cat = FakeWorkItems()
    APPRAISAL.on_consultation_requested(request, at_cat, cat)
    APPRAISAL.on_consultation_answered(drain(cat)[0], items, emitter)
    [appraised] = drain(emitter)
    returned = event(DossierReturned, producer=by("approval", "STP"), cause=appraised,
                     dossier=appraised.dossier, reason="Xác minh lại")
    APPRAISAL.on_accepted(returned, items, emitter)
    [again] = drain(emitter)
    assert isinstance(again, DossierAppraised)
    assert items.for_dossier(handed.dossier_id)[-1].answers[0]["agency"] == "CAT"


def test_an_agency_that_answered_can_be_consulted_again(items, emitter, cat):
    handed, request = to_consultation(items, emitter)
    at_cat = FakeWorkItems()
    APPRAISAL.on_consultation_requested(request, at_cat, cat)
    answer = drain(cat)[0]
    second = event(ConsultationRequested, producer=by("appraisal", "STP"), cause=answer,
                   agency="CAT", dossier=request.dossier, lead_agency="STP",
                   question="Xác minh thêm", respond_by=request.respond_by)

    APPRAISAL.on_consultation_requested(second, at_cat, cat)

    assert [e.type for e in emitted(cat)] == ["ConsultationAnswered"]


# -- officers, returns, replays ----------------------------------------------------------------

def test_with_officers_in_charge_the_item_waits_open_and_nothing_is_emitted(items, emitter):
    handed = accepted()

    BY_OFFICERS.on_accepted(handed, items, emitter)

    assert emitted(emitter) == []
    item = only(items, handed.dossier_id)
    assert (item.state, item.cause_event_id) == (OPEN, handed.event_id)


def test_officers_decide_only_the_procedures_the_catalogue_gives_them(items, emitter):
    BY_OFFICERS.on_accepted(accepted(BUSINESS), items, emitter)  # no officer stage: automatic

    assert [e.type for e in emitted(emitter)] == ["DossierAppraised"]


def test_a_return_answering_the_last_draft_reopens_the_dossier(items, emitter):
    handed = accepted(BUSINESS)
    APPRAISAL.on_accepted(handed, items, emitter)
    [first] = drain(emitter)
    returned = event(DossierReturned, producer=by("approval", "SKHDT"), cause=first,
                     dossier=first.dossier, reason="Kiểm tra lại vốn điều lệ")

    APPRAISAL.on_accepted(returned, items, emitter)

    [second] = emitted(emitter)
    assert isinstance(second, DossierAppraised)
    assert second.causation_id == returned.event_id
    earlier, reopened = items.for_dossier(handed.dossier_id)
    assert earlier.state == DONE
    # It remembers when the agency first received the dossier: the supplement window's start.
    assert (reopened.opened_by_event, reopened.context) == (
        returned.event_id, {"returned": "Kiểm tra lại vốn điều lệ",
                            "accepted_at": handed.occurred_at.isoformat()})
    assert reopened.closed_with_event == second.event_id


def test_a_return_of_an_older_draft_is_rejected(items, emitter):
    handed = accepted(BUSINESS)
    APPRAISAL.on_accepted(handed, items, emitter)
    [first] = drain(emitter)
    APPRAISAL.on_accepted(event(DossierReturned, producer=by("approval", "SKHDT"), cause=first,
                                dossier=first.dossier, reason="Lần 1"), items, emitter)
    drain(emitter)
    stale = event(DossierReturned, producer=by("approval", "SKHDT"), cause=first,
                  dossier=first.dossier, reason="Lần 1, gửi lại")

    with pytest.raises(Rejected, match="does not answer what appraisal sent"):
        APPRAISAL.on_accepted(stale, items, emitter)

    assert len(items.for_dossier(handed.dossier_id)) == 2
    assert emitted(emitter) == []


def test_a_return_while_the_dossier_is_still_being_appraised_is_rejected(items, emitter):
    handed = accepted()
    BY_OFFICERS.on_accepted(handed, items, emitter)
    forged = event(DossierReturned, producer=by("approval", "STP"), cause=handed,
                   dossier=handed.dossier, reason="?")

    with pytest.raises(Rejected):
        BY_OFFICERS.on_accepted(forged, items, emitter)

    assert len(items.for_dossier(handed.dossier_id)) == 1


def test_a_replayed_hand_off_is_rejected_and_emits_nothing(items, emitter):
    first = accepted(BUSINESS)
    APPRAISAL.on_accepted(first, items, emitter)
    replay = accepted(BUSINESS, dossier_id=first.dossier_id)  # same dossier, a new event id

    with pytest.raises(Rejected, match="already handed to appraisal"):
        APPRAISAL.on_accepted(replay, items, emitter)

    assert len(emitted(emitter)) == 1
    assert len(items.for_dossier(first.dossier_id)) == 1


def test_a_procedure_missing_from_the_catalogue_is_rejected(items, emitter):
    handed = accepted()
    unknown = event(DossierAccepted, producer=by("intake", "STP"), cause=handed,
                    dossier_id=uuid7(), dossier=handed.dossier.model_copy(
                        update={"procedure_code": "9.999999"}))

    with pytest.raises(Rejected, match="9.999999"):
        APPRAISAL.on_accepted(unknown, items, emitter)

    assert emitted(emitter) == []


# -- supplements at the agency -----------------------------------------------------------------

def ask_supplement(items: FakeWorkItems, emitter: Emitter) -> tuple[Any, SupplementRequested]:
    handed = accepted()
    BY_OFFICERS.on_accepted(handed, items, emitter)
    item = only(items, handed.dossier_id)
    BY_OFFICERS.work_queue()["request-supplement"].apply(item, RequestSupplement(
        reason="Ảnh căn cước bị mờ", missing_documents=["Căn cước công dân"],
        respond_within_days=3), emitter, MINH)
    [request] = drain(emitter)
    return item, request


def test_a_specialist_asks_for_a_supplement_and_the_item_waits(items, emitter):
    item, request = ask_supplement(items, emitter)

    assert isinstance(request, SupplementRequested)
    assert (request.requested_by, request.clock, request.actor) == ("appraisal", "pause",
                                                                    "officer:minh")
    assert request.missing_documents == ["Căn cước công dân"]
    assert request.respond_by == CALENDAR.add_working_hours(MINH.now, 24)
    assert (item.state, item.waiting_for, item.awaiting) == (WAITING, "supplement",
                                                             [str(request.event_id)])


def test_the_supplement_reopens_the_item_with_the_facts_it_brings(items, emitter):
    item, request = ask_supplement(items, emitter)
    moved = item.facts().model_copy(update={"due_at": item.facts().due_at + timedelta(days=2)})
    provided = event(SupplementProvided, producer=by("intake", "STP"), cause=request,
                     resumes="appraisal", documents=[{"name": "Căn cước công dân",
                                                      "sha256": "1" * 64, "size": 10}],
                     dossier=moved)

    BY_OFFICERS.on_supplement_provided(provided, items, emitter)

    assert (item.state, item.cause_event_id, item.facts()) == (OPEN, provided.event_id, moved)
    assert emitted(emitter) == []


def test_a_supplement_to_intakes_check_is_not_appraisals(items, emitter):
    item, request = ask_supplement(items, emitter)
    to_intake = event(SupplementProvided, producer=by("intake", "STP"), cause=request,
                      resumes="intake", documents=[])

    BY_OFFICERS.on_supplement_provided(to_intake, items, emitter)

    assert (item.state, emitted(emitter)) == (WAITING, [])


def asking(appraisal: Appraisal, item: Any, emitter: Emitter, when: datetime) -> Any:
    return appraisal.work_queue()["request-supplement"].apply(item, RequestSupplement(
        reason="Thiếu bản sao", missing_documents=["Bản sao"]), emitter,
        DecisionContext(MINH.officer, now=when))


def test_the_agency_asks_for_a_supplement_only_within_3_working_days_of_intake(items, emitter):
    handed = accepted()  # Monday 08:30: the window closes Thursday 08:30
    BY_OFFICERS.on_accepted(handed, items, emitter)
    item = only(items, handed.dossier_id)

    with pytest.raises(Rejected, match="within 3 working days of intake"):
        asking(BY_OFFICERS, item, emitter, CALENDAR.add_working_hours(handed.occurred_at, 25))
    assert emitted(emitter) == [] and item.state == OPEN

    asking(BY_OFFICERS, item, emitter, CALENDAR.add_working_hours(handed.occurred_at, 23))
    assert isinstance(emitted(emitter)[0], SupplementRequested)


def test_the_window_is_a_setting(items, emitter):
    handed = accepted()
    wider = Appraisal(CATALOGUE, CALENDAR, officers=True, supplement_window_days=5)
    wider.on_accepted(handed, items, emitter)
    item = only(items, handed.dossier_id)

    asking(wider, item, emitter, CALENDAR.add_working_hours(handed.occurred_at, 39))

    assert item.state == WAITING


def test_the_agency_asks_for_a_supplement_only_once_even_after_a_return(items, emitter):
    item, request = ask_supplement(items, emitter)
    provided = event(SupplementProvided, producer=by("intake", "STP"), cause=request,
                     resumes="appraisal", documents=[], dossier=item.facts())
    BY_OFFICERS.on_supplement_provided(provided, items, emitter)
    with pytest.raises(Rejected, match="only once"):
        asking(BY_OFFICERS, item, emitter, MINH.now)

    BY_OFFICERS.work_queue()["recommend"].apply(item, Recommend(
        recommendation="approve", findings="Đủ"), emitter, MINH)
    [appraised] = drain(emitter)
    BY_OFFICERS.on_accepted(event(DossierReturned, producer=by("approval", "STP"),
                                  cause=appraised, dossier=appraised.dossier, reason="Xem lại"),
                            items, emitter)
    again = items.for_dossier(item.dossier_id)[-1]
    assert again is not item and again.state == OPEN
    with pytest.raises(Rejected, match="only once"):
        asking(BY_OFFICERS, again, emitter, MINH.now)
    assert emitted(emitter) == []


@pytest.mark.parametrize("appraisal", [APPRAISAL, BY_OFFICERS], ids=["automatic", "officers"])
def test_the_agency_takes_a_dossier_over_first_and_once(items, emitter, appraisal):
    """The competent agency holds the dossier as soon as intake hands it over: DossierTakenOver
    (status 4) comes first, caused by the acceptance, even while the item waits for an officer;
    a return from approval is the same agency's dossier, not a new take-over."""
    procedure = RECORD if appraisal is BY_OFFICERS else BUSINESS  # officers appraise RECORD
    handed = accepted(procedure)
    appraisal.on_accepted(handed, items, emitter)

    first, *decided = fakes.drain(emitter)
    assert isinstance(first, DossierTakenOver)
    assert (first.causation_id, first.agency, first.producer.service) == (
        handed.event_id, procedure.agency, "appraisal")
    assert not any(isinstance(e, DossierTakenOver) for e in decided)
    if appraisal is BY_OFFICERS:
        assert decided == []
        return
    [draft] = decided
    appraisal.on_accepted(event(DossierReturned, producer=by("approval", "SKHDT"), cause=draft,
                                dossier=draft.dossier, reason="Xem lại"), items, emitter)
    assert [type(e) for e in fakes.emitted(emitter)] == [DossierAppraised]


def test_a_supplement_not_delivered_in_time_ends_the_dossier_without_a_denial(items, emitter):
    """The rules' refusal, not a denial: the expiry itself stops processing (status 8), so the
    agency drafts nothing and only closes what it held, saying why."""
    item, request = ask_supplement(items, emitter)
    expired = event(SupplementExpired, producer=by("intake", "STP"), cause=request,
                    respond_by=request.respond_by)

    BY_OFFICERS.on_supplement_expired(expired, items, emitter)

    assert emitted(emitter) == []  # no DossierAppraised: nothing for approval to sign
    assert (item.state, item.outcome, item.decided_at) == (DONE, "expired", expired.occurred_at)
    assert "không bổ sung" in item.reason


def test_an_expiry_no_supplement_request_of_this_stage_awaits_is_refused(items, emitter):
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    drain(emitter)
    forged = event(SupplementExpired, producer=by("intake", "STP"), cause=handed,
                   respond_by=MONDAY)

    with pytest.raises(Rejected, match="no supplement request"):
        APPRAISAL.on_supplement_expired(forged, items, emitter)


def test_the_expired_deadline_is_printed_in_vietnam_time(items, emitter):
    item, request = ask_supplement(items, emitter)
    expired = event(SupplementExpired, producer=by("intake", "STP"), cause=request,
                    respond_by=request.respond_by.astimezone(timezone.utc))

    BY_OFFICERS.on_supplement_expired(expired, items, emitter)

    local = request.respond_by.astimezone(VN)
    assert f"{local:%d/%m/%Y %H:%M}" in item.reason


# -- withdrawal --------------------------------------------------------------------------------

def withdrawal(cause: Any, confirmed_by: str = "appraisal") -> WithdrawalRequested:
    return event(WithdrawalRequested, producer=by("intake", "STP"), cause=cause,
                 actor="applicant", reason="Không còn nhu cầu", confirmed_by=confirmed_by)


def test_a_withdrawal_the_agency_confirms_stops_the_dossier(items, emitter):
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    drain(emitter)
    request = withdrawal(handed)

    APPRAISAL.on_withdrawal_requested(request, items, emitter)

    [stopped] = emitted(emitter)
    assert isinstance(stopped, DossierStopped)
    assert stopped.causation_id == request.event_id
    # Form 05 says the applicant asked; their own words stay sealed in the request.
    assert stopped.reason == "Dừng giải quyết theo đề nghị của công dân"
    assert "Không còn nhu cầu" not in stopped.model_dump_json()
    confirmed = only(items, handed.dossier_id, WITHDRAWAL)
    assert (confirmed.state, confirmed.outcome, confirmed.closed_with_event) == (
        DONE, "stopped", stopped.event_id)
    assert only(items, handed.dossier_id).state == WAITING  # until DossierStopped comes back


def test_a_withdrawal_intake_confirms_is_left_to_intake(items, emitter):
    handed = accepted()
    APPRAISAL.on_accepted(handed, items, emitter)
    drain(emitter)

    APPRAISAL.on_withdrawal_requested(withdrawal(handed, "intake"), items, emitter)

    assert emitted(emitter) == []
    assert [item.kind for item in items.for_dossier(handed.dossier_id)] == [DOSSIER]


def test_a_withdrawal_of_a_dossier_appraisal_never_held_is_rejected(items, emitter):
    with pytest.raises(Rejected, match="never held"):
        APPRAISAL.on_withdrawal_requested(withdrawal(accepted()), items, emitter)


def test_with_officers_the_withdrawal_waits_for_confirmation(items, emitter):
    handed = accepted()
    BY_OFFICERS.on_accepted(handed, items, emitter)
    BY_OFFICERS.on_withdrawal_requested(withdrawal(handed), items, emitter)
    confirmation = only(items, handed.dossier_id, WITHDRAWAL)
    assert (confirmation.state, emitted(emitter)) == (OPEN, [])

    BY_OFFICERS.work_queue()["confirm-withdrawal"].apply(
        confirmation, ConfirmWithdrawal(), emitter, MINH)

    [stopped] = emitted(emitter)
    assert (stopped.type, stopped.actor) == ("DossierStopped", "officer:minh")


def test_a_stopped_dossier_closes_every_item_appraisal_still_holds(items, emitter, cat):
    handed, request = to_consultation(items, emitter)
    stopped = event(DossierStopped, producer=by("appraisal", "STP"), cause=handed,
                    actor="officer:minh", reason="Dừng theo đề nghị")
    handlers = appraisal_stage(APPRAISAL).handlers

    handlers["DossierStopped"](stopped, items, emitter)

    item = only(items, handed.dossier_id)
    assert (item.state, item.outcome, item.decided_by) == (DONE, "stopped", "officer:minh")
    assert (item.waiting_for, item.awaiting) == (None, [])
    assert emitted(emitter) == []
    with pytest.raises(Rejected):  # a late answer finds nothing waiting
        handlers["ConsultationAnswered"](answer(request), items, emitter)


# -- the specialists' decisions ----------------------------------------------------------------

@pytest.fixture
def open_item(items, emitter) -> Any:
    handed = accepted()
    BY_OFFICERS.on_accepted(handed, items, emitter)
    return only(items, handed.dossier_id)


DECISIONS = BY_OFFICERS.work_queue()


def test_each_decision_applies_to_its_kind_of_item():
    assert {name: set(decision.kinds) for name, decision in DECISIONS.items()} == {
        "recommend": {DOSSIER}, "request-supplement": {DOSSIER}, "request-fees": {DOSSIER},
        "consult": {DOSSIER}, "apologize": {DOSSIER}, "answer": {CONSULTATION},
        "confirm-withdrawal": {WITHDRAWAL}}


def test_a_recommendation_is_signed_by_the_officer_and_closes_the_item(open_item, emitter):
    DECISIONS["recommend"].apply(open_item, Recommend(recommendation="approve",
                                                      findings="Đủ điều kiện"), emitter, MINH)

    [appraised] = emitted(emitter)
    assert (appraised.recommendation, appraised.findings, appraised.actor) == (
        "approve", "Đủ điều kiện", "officer:minh")
    assert appraised.causation_id == open_item.opened_by_event
    assert (open_item.state, open_item.decided_by, open_item.decided_at) == (
        DONE, "officer:minh", MINH.now)
    assert open_item.closed_with_event == appraised.event_id


def test_a_specialist_asks_for_fees(open_item, emitter):
    DECISIONS["request-fees"].apply(open_item, RequestFees(amount=100_000, reason="Lệ phí"),
                                    emitter, MINH)

    [fees] = emitted(emitter)
    assert (fees.amount, fees.actor) == (100_000, "officer:minh")
    assert (open_item.state, open_item.waiting_for) == (WAITING, "fees")


def test_consulting_several_agencies_waits_for_every_answer(open_item, items, emitter):
    DECISIONS["consult"].apply(open_item, Consult(agencies=["CAT", "SXD", "CAT"],
                                                  question="Ý kiến?"), emitter, MINH)

    requests = emitted(emitter)
    assert [r.agency for r in requests] == ["CAT", "SXD"]
    assert {r.respond_by for r in requests} == {CALENDAR.add_working_hours(MINH.now, 14)}
    assert open_item.awaiting == [str(r.event_id) for r in requests]

    BY_OFFICERS.on_consultation_answered(answer(requests[0]), items, emitter)
    assert (open_item.state, open_item.awaiting) == (WAITING, [str(requests[1].event_id)])
    BY_OFFICERS.on_consultation_answered(answer(requests[1], agrees=False, text="Không"),
                                         items, emitter)
    assert open_item.state == OPEN  # the specialist appraises with both answers at hand
    assert [a["agency"] for a in open_item.answers] == ["CAT", "SXD"]
    assert len(emitted(emitter)) == 2


@pytest.mark.parametrize("agencies, why", [(["CAT", "KHONGCO"], "unknown agencies"),
                                           (["STP"], "does not consult itself")])
def test_a_consultation_the_catalogue_cannot_route_is_rejected(open_item, emitter, agencies,
                                                                why):
    with pytest.raises(Rejected, match=why):
        DECISIONS["consult"].apply(open_item, Consult(agencies=agencies, question="?"),
                                   emitter, MINH)

    assert emitted(emitter) == []
    assert (open_item.state, open_item.awaiting, open_item.context) == (OPEN, [], {})


# -- the apology (form 04) ---------------------------------------------------------------------

DUE = datetime(2025, 12, 8, 8, 0, tzinfo=VN)  # RECORD from MONDAY: 80 working hours
FRIDAY = datetime(2025, 12, 5, 8, 0, tzinfo=VN)  # exactly 8 working hours before DUE
NEW_DUE = datetime(2025, 12, 10, 17, 0, tzinfo=VN)  # Wednesday: 23 working hours later


def apologize(item: Any, emitter: Emitter, now: datetime, new_due_at: datetime = NEW_DUE
              ) -> None:
    DECISIONS["apologize"].apply(item, Apology(reason="Chờ kết quả xác minh",
                                               new_due_at=new_due_at), emitter,
                                 DecisionContext(MINH.officer, now=now))


def test_an_apology_sets_one_new_appointment_and_moves_the_steps_ahead(open_item, emitter):
    before = open_item.facts().step_due_at
    assert open_item.facts().due_at == DUE

    apologize(open_item, emitter, FRIDAY)

    [apology] = emitted(emitter)
    assert isinstance(apology, DelayApologized)
    assert (apology.previous_due_at, apology.new_due_at, apology.actor) == (
        DUE, NEW_DUE, "officer:minh")
    assert apology.causation_id == open_item.opened_by_event
    after = open_item.facts()
    assert (after.due_at, after.rescheduled_from) == (NEW_DUE, DUE)
    assert after.step_due_at == {
        **before,  # steps already due keep their deadline; the others move by 23 hours
        "signing": datetime(2025, 12, 10, 11, 0, tzinfo=VN),
        "delivery": NEW_DUE}
    assert open_item.state == OPEN  # the apology decides nothing about the dossier


def test_a_second_apology_is_rejected(open_item, emitter):
    apologize(open_item, emitter, FRIDAY)

    with pytest.raises(Rejected, match="only once"):
        apologize(open_item, emitter, FRIDAY, NEW_DUE + timedelta(days=1))

    assert len(emitted(emitter)) == 1


def test_an_apology_less_than_a_working_day_before_the_appointment_is_rejected(open_item,
                                                                               emitter):
    with pytest.raises(Rejected, match="at least one working day"):
        apologize(open_item, emitter, FRIDAY + timedelta(minutes=30))

    assert emitted(emitter) == []
    assert open_item.facts().due_at == DUE


@pytest.mark.parametrize("new_due_at, why", [
    (DUE, "later than the current one"),
    (DUE - timedelta(hours=1), "later than the current one"),
    (datetime(2025, 12, 13, 10, 0, tzinfo=VN), "not a working day"),  # a Saturday
    (datetime(2026, 1, 1, 10, 0, tzinfo=VN), "not a working day"),  # New Year's Day
])
def test_the_new_appointment_must_be_later_and_on_a_working_day(open_item, emitter,
                                                                new_due_at, why):
    with pytest.raises(Rejected, match=why):
        apologize(open_item, emitter, FRIDAY, new_due_at)

    assert emitted(emitter) == []
    assert open_item.facts().rescheduled_from is None


# -- dossiers imported from the system being replaced, waiting on the applicant ----------------

def test_an_imported_dossier_awaiting_the_applicant_waits_and_their_answer_reopens_it(items,
                                                                                      emitter):
    """At 5 (the agency's supplement) or 6 (fees) the item opens waiting for the answer, whose
    cause is the import, as after the agency's own request; no take-over (the dossier is at 5 or
    6, held by the applicant); the answer reopens it with the facts it brings."""
    from tests.intake.test_legacy import event_of, judge, waiting_line

    [supplement_item] = judge(waiting_line(5, code="CU-A5"))
    imported, _ = event_of(supplement_item)
    BY_OFFICERS.on_imported(imported, items, emitter)
    item = only(items, imported.dossier_id)
    assert (item.state, item.waiting_for, item.awaiting) == (WAITING, "supplement",
                                                             [str(imported.event_id)])
    assert fakes.emitted(emitter) == []
    provided = event(SupplementProvided, producer=by("intake", imported.agency), cause=imported,
                     resumes="appraisal", documents=[{"name": "Bản sao sổ hộ khẩu",
                                                      "sha256": "1" * 64, "size": 10}],
                     dossier=imported.dossier)
    BY_OFFICERS.on_supplement_provided(provided, items, emitter)
    assert (item.state, item.cause_event_id) == (OPEN, provided.event_id)

    [fees_item] = judge(waiting_line(6, code="CU-A6"))
    imported, _ = event_of(fees_item)
    BY_OFFICERS.on_imported(imported, items, emitter)
    item = only(items, imported.dossier_id)
    assert (item.state, item.waiting_for) == (WAITING, "fees")
    paid = event(FeesPaid, producer=by("intake", imported.agency), cause=imported,
                 actor="applicant", amount=50_000, receipt_number="BL-0002",
                 dossier=imported.dossier)
    BY_OFFICERS.on_fees_paid(paid, items, emitter)
    assert item.state == OPEN
    assert fakes.emitted(emitter) == []
