"""The desk's completeness check, where the catalogue puts officers in charge of intake: a
filing opens a work item of the receiving unit instead of being decided automatically; the
officer's accept, request-supplement and refuse emit what the automatic check emits, with the
officer as actor; a supplement brings the item back; a withdrawal closes it; and procedures
without `intake` among their officer stages stay automatic."""

from __future__ import annotations

from datetime import timedelta

import pytest

from motcua_catalogue import load_catalogue
from motcua_contracts.intake import DossierAccepted, DossierRefused, WithdrawalRequested
from motcua_contracts.shared import DossierStopped, SupplementRequested
from motcua_intake.desk_queue import Accept, Refuse, RequestSupplement
from motcua_intake.handlers import Intake, track
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN, WAITING
from motcua_runtime.work_queue import DecisionContext
from tests.fakes import FakeDossiers, at, drain, emitted, event
from tests.intake.test_handlers import (
    CALENDAR,
    INTAKE_PRODUCER,
    MONDAY,
    RECORD,
    document,
    documents_of,
    submitted,
    supplement,
)

CATALOGUE = load_catalogue()
LAND = CATALOGUE.procedures["1.012760"]  # STNMT; officers at intake too; the clock pauses
HOUSEHOLD = CATALOGUE.procedures["2.000720"]  # UBNDCL; officers at intake only; restarts
DESK = Intake(CATALOGUE, CALENDAR, officers=True)
AUTOMATIC = Intake(CATALOGUE, CALENDAR)
STP_DESK_CODE = "000.00.15.H38-251124-0003"  # filed at the desk of the Sở Tư pháp
HOA = Officer("hoa", "STP", "intake")


def decide(name: str, item, body, dossiers: FakeDossiers, when) -> list:
    emitter = Emitter(INTAKE_PRODUCER, "dossiers")
    DESK.work_queue()[name].apply(item, body, emitter, DecisionContext(HOA, when, dossiers))
    return emitted(emitter)


def test_the_catalogue_names_intake_among_the_officer_stages_of_some_procedures():
    assert LAND.decided_by_officer("intake") and HOUSEHOLD.decided_by_officer("intake")
    assert not RECORD.decided_by_officer("intake")


def test_a_filing_waits_for_the_receiving_units_desk_instead_of_the_automatic_check():
    dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
    submission = submitted(LAND, code=STP_DESK_CODE)

    DESK.on_submitted(submission, dossiers, emitter)

    assert emitter.messages == []  # nothing decided by itself
    [item] = dossiers.work_items.for_dossier(submission.dossier_id)
    # The desk that received it (the code's prefix) checks it, not the competent agency.
    assert (item.agency, item.state, item.kind) == ("STP", OPEN, "dossier")
    assert item.procedure_code == LAND.code and item.dossier["code"] == STP_DESK_CODE
    assert item.cause_event_id == submission.event_id
    assert item.due_at == CALENDAR.step_deadlines(LAND, MONDAY)["intake"]
    assert "missing_documents" not in item.context  # none lacks


def test_an_officers_acceptance_is_what_the_automatic_check_emits_with_the_officer_as_actor():
    submission = submitted(LAND, code=STP_DESK_CODE)
    automatic = Emitter(INTAKE_PRODUCER, "dossiers")
    AUTOMATIC.on_submitted(submission, FakeDossiers(), automatic)
    [expected] = emitted(automatic)
    dossiers = FakeDossiers()
    DESK.on_submitted(submission, dossiers, Emitter(INTAKE_PRODUCER, "dossiers"))
    [item] = dossiers.work_items.for_dossier(submission.dossier_id)

    [accepted] = decide("accept", item, Accept(), dossiers, MONDAY + timedelta(hours=2))

    assert isinstance(accepted, DossierAccepted) and isinstance(expected, DossierAccepted)
    assert accepted.dossier == expected.dossier  # the same appointment and step deadlines
    assert (accepted.actor, accepted.agency) == ("officer:hoa", "STNMT")
    assert accepted.causation_id == submission.event_id
    assert (item.state, item.outcome, item.decided_by) == (DONE, "accepted", "officer:hoa")
    assert item.closed_with_event == accepted.event_id


def test_a_supplement_asked_at_the_desk_brings_the_item_back_and_is_asked_once():
    dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
    missing = LAND.required_documents[1]
    submission = submitted(LAND, documents=[document(LAND.required_documents[0])])
    DESK.on_submitted(submission, dossiers, emitter)
    [item] = dossiers.work_items.for_dossier(submission.dossier_id)
    assert item.context["missing_documents"] == [missing]  # what the names say, shown

    [request] = decide("request-supplement", item, RequestSupplement(
        missing_documents=[missing], reason="Thiếu bản sao giấy tờ về quyền sử dụng đất"),
        dossiers, MONDAY + timedelta(hours=1))

    assert isinstance(request, SupplementRequested)
    assert (request.requested_by, request.actor, request.agency) == ("intake", "officer:hoa",
                                                                     "STNMT")
    assert request.missing_documents == [missing] and request.clock == "pause"
    assert request.respond_by == CALENDAR.add_working_hours(MONDAY + timedelta(hours=1), 40)
    assert (item.state, item.waiting_for) == (WAITING, "supplement")
    request = at(request, MONDAY + timedelta(hours=1))
    track(request, dossiers, emitter)

    answer = supplement(request, [missing], MONDAY + timedelta(days=1))
    track_and_check = DESK.on_supplement_provided
    track_and_check(answer, dossiers, emitter)

    assert emitter.messages == []
    assert dossiers.work_items.for_dossier(submission.dossier_id) == [item]  # the same item
    assert (item.state, item.cause_event_id) == (OPEN, answer.event_id)
    assert "missing_documents" not in item.context
    with pytest.raises(Rejected, match="once per dossier"):
        decide("request-supplement", item, RequestSupplement(
            missing_documents=[missing], reason="Lần hai"), dossiers, MONDAY + timedelta(days=1))

    # Accepted after the supplement: the deadlines move by the wait, as the automatic check's.
    automatic, auto_dossiers = Emitter(INTAKE_PRODUCER, "dossiers"), FakeDossiers()
    AUTOMATIC.on_submitted(submission, auto_dossiers, automatic)
    [auto_request] = drain(automatic)
    track(at(auto_request, MONDAY + timedelta(hours=1)), auto_dossiers, automatic)
    AUTOMATIC.on_supplement_provided(answer, auto_dossiers, automatic)
    [expected] = emitted(automatic)
    [accepted] = decide("accept", item, Accept(), dossiers, MONDAY + timedelta(days=1, hours=1))
    assert accepted.dossier == expected.dossier
    assert accepted.dossier.due_at > CALENDAR.due_at(MONDAY, LAND.limit_value, LAND.limit_unit)


def test_an_officers_refusal_carries_the_reason_of_form_03():
    dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
    submission = submitted(HOUSEHOLD, documents=documents_of(HOUSEHOLD))
    DESK.on_submitted(submission, dossiers, emitter)
    [item] = dossiers.work_items.for_dossier(submission.dossier_id)

    [refused] = decide("refuse", item, Refuse(reason="Hộ kinh doanh không thuộc địa bàn"),
                       dossiers, MONDAY)

    assert isinstance(refused, DossierRefused)
    assert (refused.reason, refused.actor, refused.agency) == (
        "Hộ kinh doanh không thuộc địa bàn", "officer:hoa", "UBNDCL")
    assert (item.state, item.outcome, item.reason) == (DONE, "refused",
                                                       "Hộ kinh doanh không thuộc địa bàn")


def test_a_withdrawal_before_the_check_closes_the_desks_item():
    dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
    submission = submitted(LAND)
    DESK.on_submitted(submission, dossiers, emitter)
    withdrawal = event(WithdrawalRequested, producer=INTAKE_PRODUCER, cause=submission,
                       actor="applicant", reason="Không còn nhu cầu", confirmed_by="intake")
    DESK.on_withdrawal_requested(withdrawal, dossiers, emitter)
    [stopped] = drain(emitter)
    assert isinstance(stopped, DossierStopped)

    DESK.follow(stopped, dossiers, emitter)

    [item] = dossiers.work_items.for_dossier(submission.dossier_id)
    assert (item.state, item.outcome) == (DONE, "stopped")


def test_a_supplement_not_made_in_time_closes_the_waiting_item_with_the_refusal():
    dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
    submission = submitted(LAND, documents=[document(LAND.required_documents[0])])
    DESK.on_submitted(submission, dossiers, emitter)
    [item] = dossiers.work_items.for_dossier(submission.dossier_id)
    [request] = decide("request-supplement", item, RequestSupplement(
        missing_documents=[LAND.required_documents[1]], reason="Thiếu"), dossiers, MONDAY)
    track(request, dossiers, emitter)
    # What intake's deadline watch emits once the deadline passed (deadline_watch.py).
    refused = event(DossierRefused, producer=INTAKE_PRODUCER, cause=request,
                    at=request.respond_by + timedelta(minutes=1),
                    reason="Công dân không bổ sung hồ sơ trong thời hạn yêu cầu")

    DESK.follow(refused, dossiers, emitter)

    assert (item.state, item.outcome, item.decided_by) == (DONE, "stopped", "auto")
    assert item.reason == "Công dân không bổ sung hồ sơ trong thời hạn yêu cầu"


def test_procedures_without_intake_officers_and_the_default_stay_automatic():
    for intake, procedure in ((DESK, RECORD), (AUTOMATIC, LAND)):
        dossiers, emitter = FakeDossiers(), Emitter(INTAKE_PRODUCER, "dossiers")
        submission = submitted(procedure)
        intake.on_submitted(submission, dossiers, emitter)
        [accepted] = emitted(emitter)
        assert isinstance(accepted, DossierAccepted) and accepted.actor == "auto"
        assert dossiers.work_items.for_dossier(submission.dossier_id) == []


def test_the_desks_decisions_validate_their_bodies():
    with pytest.raises(ValueError):
        RequestSupplement(missing_documents=[], reason="Thiếu")
    with pytest.raises(ValueError):
        Refuse(reason="")
