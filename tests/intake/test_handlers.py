"""Intake's handlers, called directly with a fake Dossiers repository and a real Emitter: the
completeness check (accept, ask once for a supplement, refuse), the deadlines it sets, withdrawal
before acceptance, and the tracking view every event of the topic is folded into."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_catalogue import OfficeHours, WorkingCalendar, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, IllegalTransition, Status, new_event, uuid7
from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierAppraised,
    FeesRequested,
)
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered, ResultHandedToPost, ResultPickedUpByPost
from motcua_contracts.dossier import DossierFacts, ProcedureTerms
from motcua_contracts.intake import (
    DossierAccepted,
    DossierRefused,
    DossierSubmitted,
    FeesPaid,
    SupplementExpired,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_intake.handlers import Intake, intake_stage, track
from motcua_runtime.stage import Emitter, Rejected
from tests.catalogue.test_communes import LAO_CAI
from tests.fakes import FakeDossiers, at, by, drain, emitted, event
from tests.personal import sealed

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
CALENDAR = WorkingCalendar()
INTAKE = Intake(CATALOGUE, CALENDAR)
RECORD = CATALOGUE.procedures["2.000488"]  # 10 working days, clock pauses; STP, consults CAT
BUSINESS = CATALOGUE.procedures["2.001610"]  # 3 working days, clock restarts; SKHDT
RESIDENCE = CATALOGUE.procedures["1.004194"]  # 3 working days at the commune police (CAPCL)
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)  # a fortnight without holidays
HOLIDAY_EVE = datetime(2026, 4, 29, 16, 0, tzinfo=VN)  # Wednesday before 30 April and 1 May
INTAKE_PRODUCER = by("intake", "STP")


def document(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": "0" * 64, "size": 2048}


def documents_of(procedure=RECORD) -> list[dict[str, Any]]:
    return [document(name) for name in procedure.required_documents]


def submitted(procedure=RECORD, documents: list[dict[str, Any]] | None = None,
              received_at: datetime = MONDAY, dossier_id: uuid.UUID | None = None,
              code: str = "000.00.15.H38-251124-0003", procedure_code: str | None = None
              ) -> DossierSubmitted:
    dossier_id = dossier_id or uuid7()
    return new_event(
        DossierSubmitted, dossier_id=dossier_id, agency=procedure.agency,
        producer=by("intake", procedure.agency), occurred_at=received_at, code=code,
        procedure_code=procedure_code or procedure.code, channel="online",
        applicant=sealed(dossier_id, {"full_name": "Trần Thị Bình", "id_number": "010203004567",
                                      "phone": "0912345678", "address": "Số 1 Hoàng Liên"}),
        documents=documents_of(procedure) if documents is None else documents,
        delivery={"channel": "postal", "address": sealed(dossier_id, "Số 1 Hoàng Liên")},
        data=sealed(dossier_id, {"purpose": "Xin việc"}), received_at=received_at)


@pytest.fixture
def dossiers() -> FakeDossiers:
    return FakeDossiers()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(INTAKE_PRODUCER, DOSSIER_TOPIC)


def ask_for_supplement(dossiers: FakeDossiers, emitter: Emitter, submission: DossierSubmitted,
                       asked_at: datetime) -> SupplementRequested:
    """Submit an incomplete dossier; intake's request comes back from the topic at `asked_at`."""
    INTAKE.on_submitted(submission, dossiers, emitter)
    [request] = drain(emitter)
    assert isinstance(request, SupplementRequested)
    request = at(request, asked_at)
    track(request, dossiers, emitter)
    return request


def supplement(request: SupplementRequested, names: list[str], when: datetime
               ) -> SupplementProvided:
    return event(SupplementProvided, producer=INTAKE_PRODUCER, cause=request, at=when,
                 actor="applicant", resumes="intake",
                 documents=[document(name) for name in names])


# -- the completeness check --------------------------------------------------------------------

def test_a_complete_dossier_is_accepted_with_its_appointment_and_step_deadlines(dossiers,
                                                                                 emitter):
    submission = submitted(received_at=HOLIDAY_EVE)

    INTAKE.on_submitted(submission, dossiers, emitter)

    [accepted] = emitted(emitter)
    assert isinstance(accepted, DossierAccepted)
    # 1 hour on 29 April, then 30 April, 1 May and the weekend off: 15 May 16:00.
    due = datetime(2026, 5, 15, 16, 0, tzinfo=VN)
    # The personal values are handed on as the submission sealed them.
    assert accepted.dossier == DossierFacts(
        code=submission.code, procedure_code=RECORD.code, applicant=submission.applicant,
        received_at=HOLIDAY_EVE, due_at=due, delivery_channel="postal",
        delivery_address=submission.delivery.address, channel="online",
        fees_paid=0, fee=200_000, step_hours=RECORD.step_hours(), data=submission.data,
        data_filled=["purpose"],
        # The procedure's terms, which every later stage decides by (docs/catalogue.md).
        terms=ProcedureTerms(
            name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            officer_stages=["appraisal", "approval", "signing", "delivery"],
            coordinating_agencies=["CAT"], required_data=["purpose"], supplement_clock="pause"),
        step_due_at={"intake": datetime(2026, 5, 4, 10, 0, tzinfo=VN),
                     "appraisal": datetime(2026, 5, 13, 10, 0, tzinfo=VN),
                     "approval": datetime(2026, 5, 14, 16, 0, tzinfo=VN),
                     "signing": datetime(2026, 5, 15, 10, 0, tzinfo=VN),
                     "delivery": due})
    assert (accepted.dossier_id, accepted.agency) == (submission.dossier_id, "STP")
    assert (accepted.causation_id, accepted.causation_hash) == (submission.event_id,
                                                                submission.hash)
    assert accepted.producer == INTAKE_PRODUCER


def test_the_last_step_ends_on_the_appointment_for_a_working_day_procedure(dossiers, emitter):
    INTAKE.on_submitted(submitted(BUSINESS, code="000.00.12.H38-251124-0001"), dossiers, emitter)

    [accepted] = emitted(emitter)
    facts = accepted.dossier
    assert facts.due_at == datetime(2025, 11, 27, 8, 0, tzinfo=VN)  # 24 working hours later
    assert list(facts.step_due_at) == ["intake", "appraisal", "approval", "signing", "delivery"]
    assert facts.step_due_at["delivery"] == facts.due_at
    assert sorted(facts.step_due_at.values()) == list(facts.step_due_at.values())


def test_an_agency_open_on_saturday_mornings_counts_them_in_its_deadlines(dossiers, emitter):
    police = WorkingCalendar(OfficeHours.model_validate(
        "mon-fri 07:00-11:30 13:30-17:00; sat 07:00-11:30"))
    intake = Intake(CATALOGUE, CALENDAR, agency_calendars={"CAPCL": police})
    friday = datetime(2025, 11, 28, 16, 0, tzinfo=VN)

    intake.on_submitted(submitted(RESIDENCE, received_at=friday,
                                  code="000.31.02.H38-251128-0001"), dossiers, emitter)

    [accepted] = emitted(emitter)
    # 1 hour on Friday, 4.5 on Saturday morning: Wednesday 09:30, not 16:00.
    assert accepted.dossier.due_at == datetime(2025, 12, 3, 9, 30, tzinfo=VN)
    assert accepted.dossier.step_due_at["delivery"] == accepted.dossier.due_at


def test_a_submission_creates_the_dossier_and_its_first_timeline_row(dossiers, emitter):
    submission = submitted()

    INTAKE.on_submitted(submission, dossiers, emitter)

    dossier = dossiers.get(submission.dossier_id)
    assert (dossier.code, dossier.status_code, dossier.stage) == (submission.code, 1, "intake")
    # The row keeps the applicant sealed, as the event carried it; intake opens it in memory.
    assert "010203004567" not in str(dossier.applicant)
    assert dossiers.person(dossier)["id_number"] == "010203004567"
    [row] = dossiers.timeline
    assert (row.event_id, row.type, row.stage, row.agency, row.status_code, row.holder) == (
        submission.event_id, "DossierSubmitted", "intake", "STP", 1, "intake")


def test_a_missing_document_is_asked_for_once_in_writing(dossiers, emitter):
    submission = submitted(documents=documents_of()[:1])

    INTAKE.on_submitted(submission, dossiers, emitter)

    [request] = emitted(emitter)
    assert isinstance(request, SupplementRequested)
    assert request.requested_by == "intake"
    assert request.missing_documents == ["Căn cước công dân"]
    assert "Căn cước công dân" in request.reason
    assert request.clock == "pause"  # the procedure's setting
    assert request.respond_by == datetime(2025, 12, 1, 8, 0, tzinfo=VN)  # 5 working days
    assert request.causation_id == submission.event_id


def test_a_procedure_that_restarts_the_clock_says_so_in_its_request(dossiers, emitter):
    INTAKE.on_submitted(submitted(BUSINESS, documents=[]), dossiers, emitter)

    [request] = emitted(emitter)
    assert (request.clock, request.missing_documents) == ("restart", list(
        BUSINESS.required_documents))


def test_a_supplement_that_still_misses_a_document_refuses_the_dossier(dossiers, emitter):
    request = ask_for_supplement(dossiers, emitter, submitted(documents=[]), MONDAY)
    provided = supplement(request, ["Căn cước công dân"], MONDAY + timedelta(days=1))

    INTAKE.on_supplement_provided(provided, dossiers, emitter)

    [refused] = emitted(emitter)  # not a second request
    assert isinstance(refused, DossierRefused)
    assert refused.missing_documents == ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"]
    assert refused.causation_id == provided.event_id


def test_a_supplement_completing_the_dossier_accepts_it(dossiers, emitter):
    request = ask_for_supplement(dossiers, emitter, submitted(documents=documents_of()[:1]),
                                 MONDAY)
    provided = supplement(request, ["Căn cước công dân"], MONDAY + timedelta(hours=1))

    INTAKE.on_supplement_provided(provided, dossiers, emitter)

    [accepted] = emitted(emitter)
    assert isinstance(accepted, DossierAccepted)
    assert accepted.causation_id == provided.event_id
    assert [d["name"] for d in dossiers.get(provided.dossier_id).documents] == list(
        RECORD.required_documents)


def test_a_paused_clock_moves_every_deadline_by_the_working_hours_waited(dossiers, emitter):
    asked = MONDAY + timedelta(hours=2)  # Monday 10:00
    answered = asked + timedelta(days=2)  # Wednesday 10:00: 16 working hours later
    request = ask_for_supplement(dossiers, emitter, submitted(documents=documents_of()[:1]),
                                 asked)

    INTAKE.on_supplement_provided(supplement(request, ["Căn cước công dân"], answered),
                                  dossiers, emitter)

    [accepted] = emitted(emitter)
    facts = accepted.dossier
    assert facts.received_at == MONDAY
    # Without waiting, due 8 December 08:00 (80 working hours from Monday 08:00); plus 16 hours.
    assert facts.due_at == datetime(2025, 12, 10, 8, 0, tzinfo=VN)
    assert facts.step_due_at == {
        stage: CALENDAR.add_working_hours(CALENDAR.add_working_hours(MONDAY, hours), 16)
        for stage, hours in {"intake": 4, "appraisal": 60, "approval": 72, "signing": 76,
                             "delivery": 80}.items()}
    assert facts.step_due_at["delivery"] == facts.due_at


def test_a_restarted_clock_counts_again_from_the_complete_dossier(dossiers, emitter):
    answered = datetime(2025, 11, 26, 10, 0, tzinfo=VN)  # Wednesday 10:00
    request = ask_for_supplement(dossiers, emitter,
                                 submitted(BUSINESS, documents=[]), MONDAY + timedelta(hours=2))

    INTAKE.on_supplement_provided(
        supplement(request, list(BUSINESS.required_documents), answered), dossiers, emitter)

    [accepted] = emitted(emitter)
    facts = accepted.dossier
    assert facts.received_at == MONDAY  # the receipt keeps its date; only the clock restarts
    assert facts.due_at == datetime(2025, 12, 1, 10, 0, tzinfo=VN)  # 24 working hours later
    assert facts.step_due_at["intake"] == CALENDAR.add_working_hours(answered,
                                                                     BUSINESS.intake_hours)
    assert facts.step_due_at["delivery"] == facts.due_at


def test_after_a_restart_the_tracking_view_judges_against_the_complete_dossiers_clock(
        dossiers, emitter):
    """Restart: the clock counts from the complete dossier, not the incomplete first filing, on
    the tracking view too: a result ready after 3 working days from Monday (when the incomplete
    dossier came) but within 3 from Wednesday (when it was complete) is on time."""
    answered = datetime(2025, 11, 26, 10, 0, tzinfo=VN)  # Wednesday 10:00
    request = ask_for_supplement(dossiers, emitter, submitted(BUSINESS, documents=[]),
                                 MONDAY + timedelta(hours=2))
    INTAKE.on_supplement_provided(
        supplement(request, list(BUSINESS.required_documents), answered), dossiers, emitter)
    [accepted] = drain(emitter)
    accepted = at(accepted, answered + timedelta(minutes=5))
    dossier = track(accepted, dossiers, emitter)
    from_first_filing = CALENDAR.add_working_hours(MONDAY, 24)  # Thursday 08:00
    assert dossier.due_at == CALENDAR.add_working_hours(answered, 24) > from_first_filing

    run_to_result(dossiers, emitter, accepted, accepted.dossier,
                  signed_at=from_first_filing + timedelta(hours=4))

    assert dossiers.get(accepted.dossier_id).on_time is True


def test_an_unknown_procedure_refuses_the_dossier(dossiers, emitter):
    submission = submitted(procedure_code="9.999999")

    INTAKE.on_submitted(submission, dossiers, emitter)

    [refused] = emitted(emitter)
    assert isinstance(refused, DossierRefused)
    assert "9.999999" in refused.reason
    assert refused.causation_id == submission.event_id


def test_a_submission_reusing_another_dossiers_code_is_rejected(dossiers, emitter):
    INTAKE.on_submitted(submitted(), dossiers, emitter)
    before = list(emitter.messages)

    with pytest.raises(Rejected, match="already belongs to dossier"):
        INTAKE.on_submitted(submitted(), dossiers, emitter)

    assert len(dossiers.dossiers) == 1
    assert emitter.messages == before


def test_a_replayed_submission_is_an_illegal_transition_and_emits_nothing(dossiers, emitter):
    first = submitted()
    INTAKE.on_submitted(first, dossiers, emitter)

    with pytest.raises(IllegalTransition):
        INTAKE.on_submitted(submitted(dossier_id=first.dossier_id), dossiers, emitter)

    assert len(emitter.messages) == 1
    assert len(dossiers.timeline) == 1


# -- withdrawal before acceptance --------------------------------------------------------------

def test_a_withdrawal_before_acceptance_is_confirmed_by_intake(dossiers, emitter):
    request = ask_for_supplement(dossiers, emitter, submitted(documents=[]), MONDAY)
    withdrawal = event(WithdrawalRequested, producer=INTAKE_PRODUCER, cause=request,
                       actor="applicant", reason="Đã có phiếu khác", confirmed_by="intake")

    INTAKE.on_withdrawal_requested(withdrawal, dossiers, emitter)

    [stopped] = emitted(emitter)
    assert isinstance(stopped, DossierStopped)
    assert stopped.producer.service == "intake"
    assert stopped.causation_id == withdrawal.event_id
    # Form 05 says the applicant asked; their own words stay sealed in the request.
    assert stopped.reason == "Dừng giải quyết theo đề nghị của công dân"
    assert "Đã có phiếu khác" not in stopped.model_dump_json()
    assert dossiers.get(withdrawal.dossier_id).status_code == int(Status.WITHDRAWAL_REQUESTED)

    track(stopped, dossiers, emitter)

    dossier = dossiers.get(withdrawal.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.STOPPED), None)
    assert dossier.ended_at == stopped.occurred_at


def test_a_withdrawal_the_agency_confirms_is_only_tracked_at_intake(dossiers, emitter):
    submission = submitted()
    INTAKE.on_submitted(submission, dossiers, emitter)
    track(drain(emitter)[0], dossiers, emitter)  # accepted: now the agency's to confirm
    withdrawal = event(WithdrawalRequested, producer=INTAKE_PRODUCER, cause=submission,
                       reason="Không còn nhu cầu", confirmed_by="appraisal")

    INTAKE.on_withdrawal_requested(withdrawal, dossiers, emitter)

    assert emitter.messages == []
    dossier = dossiers.get(submission.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.WITHDRAWAL_REQUESTED),
                                                    "appraisal")


# -- the tracking view -------------------------------------------------------------------------

def accept(dossiers: FakeDossiers, emitter: Emitter, submission: DossierSubmitted
           ) -> DossierAccepted:
    INTAKE.on_submitted(submission, dossiers, emitter)
    [accepted] = drain(emitter)
    accepted = at(accepted, submission.received_at + timedelta(minutes=30))
    track(accepted, dossiers, emitter)
    return accepted


def run_to_result(dossiers: FakeDossiers, emitter: Emitter, cause: Any, facts: DossierFacts,
                  signed_at: datetime) -> ResultSigned:
    """Appraised, approved and signed at `signed_at`, each tracked (the agency is STP)."""
    appraised = event(DossierAppraised, producer=by("appraisal", "STP"), cause=cause,
                      at=signed_at - timedelta(hours=2), dossier=facts, recommendation="approve",
                      findings="Đủ điều kiện")
    approved = event(DossierApproved, producer=by("approval", "STP"), cause=appraised,
                     at=signed_at - timedelta(hours=1), dossier=facts, decision="Cấp phiếu")
    signed = event(ResultSigned, producer=by("signing", "STP"), cause=approved, at=signed_at,
                   dossier=facts, outcome="approved", result_number="0001/2025/QĐ-STP",
                   document_sha256="ab" * 32, signed_at=signed_at)
    for step in (appraised, approved, signed):
        track(step, dossiers, emitter)
    return signed


def test_tracking_moves_status_holder_and_due_date_and_adds_a_timeline_row(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())

    dossier = dossiers.get(accepted.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.ACCEPTED), "appraisal")
    assert dossier.due_at == accepted.dossier.due_at
    assert (dossier.last_event_id, dossier.last_event_hash) == (accepted.event_id, accepted.hash)
    assert [(row.type, row.status_code, row.holder) for row in dossiers.timeline] == [
        ("DossierSubmitted", 1, "intake"), ("DossierAccepted", 2, "appraisal")]
    assert dossiers.timeline[-1].note == "Hẹn trả kết quả 08:00 08/12/2025"
    assert emitter.messages == []  # tracking emits nothing


def test_waiting_for_fees_is_tracked_with_the_request_the_applicant_answers(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    fees = event(FeesRequested, producer=by("appraisal", "STP"), cause=accepted,
                 at=MONDAY + timedelta(hours=3), amount=200000, reason="Lệ phí")

    track(fees, dossiers, emitter)

    dossier = dossiers.get(accepted.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.AWAITING_FEES), "applicant")
    assert (dossier.waiting_since, dossier.waiting_on_event_id) == (fees.occurred_at,
                                                                    fees.event_id)
    assert dossiers.timeline[-1].note == "Lệ phí: 200.000 đồng"

    paid = event(FeesPaid, producer=INTAKE_PRODUCER, cause=fees, amount=200000,
                 receipt_number="BL-1", dossier=accepted.dossier)
    track(paid, dossiers, emitter)

    dossier = dossiers.get(accepted.dossier_id)
    assert (dossier.status_code, dossier.stage, dossier.fees_paid) == (4, "appraisal", 200000)
    assert dossier.waiting_since is None and dossier.waiting_on_event_id is None


def test_a_result_signed_by_the_appointment_ends_the_dossier_on_time(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    due = accepted.dossier.due_at

    signed = run_to_result(dossiers, emitter, accepted, accepted.dossier, signed_at=due)

    dossier = dossiers.get(accepted.dossier_id)
    assert (dossier.status_code, dossier.stage) == (int(Status.RESULT_READY), "delivery")
    assert (dossier.ended_at, dossier.on_time) == (signed.occurred_at, True)

    # By post: the desk hands the result to the post office, which picks it up and delivers it.
    handed = event(ResultHandedToPost, producer=by("delivery", "STP"), cause=signed,
                   agency="BUUDIEN", at=due + timedelta(hours=1), dossier=accepted.dossier,
                   competent_agency="STP", address="Số 1 Hoàng Liên",
                   result_number="0001/2026/QĐ-STP", ready_at=due)
    picked = event(ResultPickedUpByPost, producer=by("delivery", None), cause=handed,
                   agency="STP", at=due + timedelta(hours=2), post_office="BUUDIEN",
                   tracking_number="RR123456785VN")
    for step in (handed, picked):
        track(step, dossiers, emitter)
        assert dossiers.get(accepted.dossier_id).status_code == int(Status.RESULT_READY)
    track(event(ResultDelivered, producer=by("delivery", "BUUDIEN"), cause=picked,
                at=due + timedelta(days=3), channel="postal", delivered_at=due + timedelta(days=3),
                on_time=True, post_office="BUUDIEN", tracking_number="RR123456785VN",
                received_by="Trần Thị Bình"), dossiers, emitter)

    dossier = dossiers.get(accepted.dossier_id)
    assert dossier.status_code == int(Status.DELIVERED)
    assert dossier.ended_at == signed.occurred_at  # the end is status 9, not the hand-over
    postal = [(e.type, e.agency, e.note) for e in dossiers.timeline[-3:]]
    assert postal == [
        ("ResultHandedToPost", "STP",
         "Chuyển kết quả qua bưu chính (BUUDIEN) tới địa chỉ người nộp đã đăng ký"),
        ("ResultPickedUpByPost", "BUUDIEN",  # the shared instance acted for the post office
         "Bưu điện BUUDIEN đã nhận kết quả, số hiệu bưu gửi RR123456785VN"),
        ("ResultDelivered", "BUUDIEN",
         "Bưu điện BUUDIEN đã phát cho người nhận, số hiệu bưu gửi RR123456785VN")]


def test_a_desk_cannot_deliver_a_postal_result_itself(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    signed = run_to_result(dossiers, emitter, accepted, accepted.dossier,
                           signed_at=accepted.dossier.due_at)

    with pytest.raises(IllegalTransition, match="chose postal delivery, not counter"):
        track(event(ResultDelivered, producer=by("delivery", "STP"), cause=signed,
                    channel="counter", delivered_at=signed.occurred_at, on_time=True),
              dossiers, emitter)
    assert dossiers.get(accepted.dossier_id).status_code == int(Status.RESULT_READY)


def test_a_result_signed_after_the_appointment_is_late(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())

    run_to_result(dossiers, emitter, accepted, accepted.dossier,
                  signed_at=accepted.dossier.due_at + timedelta(minutes=1))

    assert dossiers.get(accepted.dossier_id).on_time is False


def test_a_rescheduled_dossier_is_late_even_when_it_meets_the_new_appointment(dossiers,
                                                                               emitter):
    accepted = accept(dossiers, emitter, submitted())
    first_due = accepted.dossier.due_at
    new_due = first_due + timedelta(days=7)
    apology = event(DelayApologized, producer=by("appraisal", "STP"), cause=accepted,
                    at=MONDAY + timedelta(days=2), reason="Chờ xác minh",
                    previous_due_at=first_due, new_due_at=new_due)
    track(apology, dossiers, emitter)
    dossier = dossiers.get(accepted.dossier_id)
    assert dossier.due_at == new_due
    assert dossiers.timeline[-1].note == "Chờ xác minh — hẹn mới 08:00 15/12/2025"
    moved = accepted.dossier.model_copy(update={"due_at": new_due,
                                                "rescheduled_from": first_due})

    run_to_result(dossiers, emitter, apology, moved, signed_at=first_due - timedelta(days=1))

    dossier = dossiers.get(accepted.dossier_id)
    assert dossier.ended_at is not None and dossier.on_time is False


def test_a_second_supplement_request_counts_as_late(dossiers, emitter):
    request = ask_for_supplement(dossiers, emitter, submitted(documents=documents_of()[:1]),
                                 MONDAY)
    INTAKE.on_supplement_provided(supplement(request, ["Căn cước công dân"], MONDAY),
                                  dossiers, emitter)
    [accepted] = drain(emitter)
    track(accepted, dossiers, emitter)
    again = event(SupplementRequested, producer=by("appraisal", "STP"), cause=accepted,
                  requested_by="appraisal", missing_documents=[], reason="Bản sao mờ",
                  respond_by=MONDAY + timedelta(days=7), clock="pause")
    track(again, dossiers, emitter)
    provided = event(SupplementProvided, producer=INTAKE_PRODUCER, cause=again,
                     resumes="appraisal", documents=[document("Bản sao rõ")],
                     dossier=accepted.dossier)
    track(provided, dossiers, emitter)
    assert dossiers.get(accepted.dossier_id).lifecycle["supplements"] == 2

    run_to_result(dossiers, emitter, provided, accepted.dossier,
                  signed_at=accepted.dossier.due_at - timedelta(days=1))  # before the appointment

    assert dossiers.get(accepted.dossier_id).on_time is False


def test_an_expired_supplement_after_acceptance_stops_the_dossier_on_the_tracking_view(
        dossiers, emitter):
    """The refusal the rules give an accepted dossier whose supplement never came: status 8,
    ended at the expiry (judged against the appointment), no result, nothing after it."""
    accepted = accept(dossiers, emitter, submitted())
    request = event(SupplementRequested, producer=by("appraisal", "STP"), cause=accepted,
                    at=MONDAY + timedelta(hours=2), requested_by="appraisal",
                    missing_documents=["Căn cước công dân"], reason="Ảnh mờ",
                    respond_by=MONDAY + timedelta(days=3), clock="pause")
    track(request, dossiers, emitter)
    expired = event(SupplementExpired, producer=INTAKE_PRODUCER, cause=request,
                    at=request.respond_by + timedelta(minutes=1), respond_by=request.respond_by)

    dossier = track(expired, dossiers, emitter)

    assert (dossier.status_code, dossier.stage) == (Status.STOPPED, None)
    assert dossier.ended_at == expired.occurred_at and dossier.on_time is True
    assert dossier.supplement_due_at is None and dossier.waiting_since is None
    with pytest.raises(IllegalTransition, match="ended"):
        run_to_result(dossiers, emitter, expired, accepted.dossier,
                      signed_at=expired.occurred_at + timedelta(hours=3))


def test_the_tracking_view_keeps_the_documents_asked_for_while_the_dossier_waits(
        dossiers, emitter):
    """The request's list, one by one (the desk's counter supplement offers a file for each),
    kept while the dossier waits and cleared by the answer."""
    accepted = accept(dossiers, emitter, submitted())
    request = event(SupplementRequested, producer=by("appraisal", "STP"), cause=accepted,
                    at=MONDAY + timedelta(hours=2), requested_by="appraisal",
                    missing_documents=["Căn cước công dân", "Sơ đồ thửa đất"],
                    reason="Ảnh mờ; thiếu sơ đồ", respond_by=MONDAY + timedelta(days=3),
                    clock="pause")

    waiting = track(request, dossiers, emitter)
    assert waiting.supplement_documents == ["Căn cước công dân", "Sơ đồ thửa đất"]

    provided = event(SupplementProvided, producer=INTAKE_PRODUCER, cause=request,
                     resumes="appraisal", documents=[document("Sơ đồ thửa đất")],
                     dossier=accepted.dossier)
    assert track(provided, dossiers, emitter).supplement_documents is None


def test_one_supplement_request_alone_does_not_make_the_dossier_late(dossiers, emitter):
    request = ask_for_supplement(dossiers, emitter, submitted(documents=documents_of()[:1]),
                                 MONDAY)
    INTAKE.on_supplement_provided(supplement(request, ["Căn cước công dân"], MONDAY),
                                  dossiers, emitter)
    [accepted] = drain(emitter)
    track(accepted, dossiers, emitter)

    run_to_result(dossiers, emitter, accepted, accepted.dossier,
                  signed_at=accepted.dossier.due_at - timedelta(days=1))

    assert dossiers.get(accepted.dossier_id).on_time is True


def test_an_illegal_event_raises_and_changes_nothing(dossiers, emitter):
    submission = submitted()
    INTAKE.on_submitted(submission, dossiers, emitter)
    [accepted] = drain(emitter)  # not yet back from the topic: the dossier is still at intake
    approved = event(DossierApproved, producer=by("approval", "STP"), cause=accepted,
                     dossier=accepted.dossier, decision="Chấp thuận")

    with pytest.raises(IllegalTransition, match="DossierApproved cannot happen now"):
        track(approved, dossiers, emitter)

    dossier = dossiers.get(submission.dossier_id)
    assert (dossier.status_code, dossier.stage, dossier.last_event_type) == (
        1, "intake", "DossierSubmitted")
    assert dossier.due_at is None and dossier.facts is None
    assert len(dossiers.timeline) == 1


def test_an_event_from_a_stage_not_entitled_to_it_is_illegal(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    forged = event(DossierAppraised, producer=by("approval", "STP"), cause=accepted,
                   dossier=accepted.dossier, recommendation="approve", findings="?")

    with pytest.raises(IllegalTransition, match="may be emitted by appraisal"):
        track(forged, dossiers, emitter)

    assert dossiers.get(accepted.dossier_id).stage == "appraisal"
    assert len(dossiers.timeline) == 2


def test_tracking_rejects_an_event_for_an_unknown_dossier(dossiers, emitter):
    stray = event(DossierRefused, producer=INTAKE_PRODUCER, dossier_id=uuid7(), agency="STP",
                  reason="?")

    with pytest.raises(Rejected, match="no dossier"):
        track(stray, dossiers, emitter)

    assert dossiers.timeline == [] and emitter.messages == []


def test_the_timeline_names_the_agency_that_acted_in_a_consultation(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    asked = event(ConsultationRequested, producer=by("appraisal", "STP"), cause=accepted,
                  agency="CAT", dossier=accepted.dossier, lead_agency="STP",
                  question="Có án tích không?", respond_by=MONDAY + timedelta(days=3))
    answered = event(ConsultationAnswered, producer=by("appraisal", "CAT"), cause=asked,
                     agency="STP", consulted_agency="CAT", agrees=True, answer="Không có án tích")

    track(asked, dossiers, emitter)
    track(answered, dossiers, emitter)

    request_row, answer_row = dossiers.timeline[-2:]
    assert (request_row.type, request_row.agency) == ("ConsultationRequested", "STP")
    assert (answer_row.type, answer_row.agency) == ("ConsultationAnswered", "CAT")
    assert answer_row.note == "CAT: Không có án tích"
    assert dossiers.get(accepted.dossier_id).lifecycle["consultations"] == 0


def test_an_instance_serving_all_agencies_records_the_consulted_agency(dossiers, emitter):
    accepted = accept(dossiers, emitter, submitted())
    asked = event(ConsultationRequested, producer=by("appraisal", None), cause=accepted,
                  agency="CAT", dossier=accepted.dossier, lead_agency="STP", question="?",
                  respond_by=MONDAY + timedelta(days=3))
    answered = event(ConsultationAnswered, producer=by("appraisal", None), cause=asked,
                     agency="STP", consulted_agency="CAT", agrees=False, answer="Có án tích")

    track(asked, dossiers, emitter)
    track(answered, dossiers, emitter)

    assert [row.agency for row in dossiers.timeline[-2:]] == ["STP", "CAT"]


def test_the_stage_table_tracks_every_event_type_and_routes_intakes_own():
    stage = intake_stage(INTAKE)

    assert stage.guards_topic is True
    assert stage.handlers["DossierAccepted"].__name__ == "follow"  # track, then the e-mail
    assert stage.handlers["DossierSubmitted"].__name__ == "on_submitted"
    assert stage.handlers["SupplementProvided"].__name__ == "on_supplement_provided"
    assert stage.handlers["WithdrawalRequested"].__name__ == "on_withdrawal_requested"


def test_a_portals_commune_level_submission_to_no_unit_of_its_kind_is_refused(dossiers,
                                                                               emitter):
    """A portal publishing on the topic names the agency itself: a commune-level dossier must
    go to a commune's unit of the procedure's kind, as a filing over HTTP is routed. Else it is
    refused the way a submission of an unknown procedure is (DossierRefused, the reason said)."""
    lao_cai = Intake(LAO_CAI, CALENDAR)
    birth = LAO_CAI.procedures["1.001193"]  # a commune's People's Committee handles it
    residence = LAO_CAI.procedures["1.004194"]  # a commune's police

    for n, (procedure, agency) in enumerate([(birth, "SKHDT"), (birth, "CAPYB"),
                                             (residence, "UBNDPYB"), (birth, "KHONGCO")]):
        submission = submitted(procedure, code=f"000.00.15.H38-251124-00{n}9")
        submission = submission.model_copy(update={"agency": agency})
        lao_cai.on_submitted(submission, dossiers, emitter)
        [refused] = drain(emitter)
        assert isinstance(refused, DossierRefused), refused
        assert refused.causation_id == submission.event_id
        assert f"Thủ tục {procedure.code} là thủ tục cấp xã" in refused.reason
        assert f"{agency} không phải là" in refused.reason

    # Its own commune's units pass: the check goes on (here, to acceptance).
    for procedure, agency in [(birth, "UBNDPYB"), (residence, "CAPYB")]:
        submission = submitted(procedure, code=f"000.00.15.H38-251124-01{len(agency)}")
        submission = submission.model_copy(update={"agency": agency})
        lao_cai.on_submitted(submission, dossiers, emitter)
        assert not any(isinstance(e, DossierRefused) for e in drain(emitter))
