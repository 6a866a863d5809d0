"""Signing's handler and the clerk's work-queue decisions, called directly with an in-memory
repository (work items, documents, result counters) and a real Emitter."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from motcua_catalogue import VIETNAM, WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import DOSSIER_TOPIC, uuid7
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.shared import DossierStopped
from motcua_contracts.signing import ResultSigned
from motcua_pki import DEV_PASSPHRASE, Keystore
from motcua_runtime.delays import Apology
from motcua_runtime.officers import Officer
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from motcua_runtime.work_queue import DecisionContext
from motcua_signing.handlers import Sign, Signing, signing_stage
from motcua_signing.issuer import ResultIssuer
from motcua_signing.seal import Sealer
from tests.fakes import FakeSigningRepository, by, emitted, event
from tests.personal import sealed
from tests.signing.pdf_tools import pdftotext
from tests.support import dev_pki

VN = timezone(timedelta(hours=7))
CATALOGUE = default_catalogue()
CALENDAR = WorkingCalendar()
RECORD = CATALOGUE.procedures["2.000488"]  # STP; a clerk signs when officers are in charge
PERMIT = CATALOGUE.procedures["1.009972"]  # SXD, always automatic
# The real issuer with the session's development PKI: results are rendered and sealed for real.
ISSUER = ResultIssuer(Sealer(Keystore.load(dev_pki(), DEV_PASSPHRASE)),
                      "https://dichvucong.laocai.gov.vn")
SIGNING = Signing(CATALOGUE, CALENDAR, ISSUER)
BY_OFFICERS = Signing(CATALOGUE, CALENDAR, ISSUER, officers=True)
RECEIVED = datetime(2025, 11, 24, 8, 0, tzinfo=VN)


def facts(procedure=RECORD, dossier_id: uuid.UUID | None = None) -> DossierFacts:
    return DossierFacts(code="000.00.15.H38-251124-0003", procedure_code=procedure.code,
                        applicant=sealed(dossier_id or uuid7(), {"full_name": "Trần Thị Bình"}),
                        received_at=RECEIVED,
                        due_at=CALENDAR.due_at(RECEIVED, procedure.limit_value,
                                               procedure.limit_unit),
                        step_due_at=CALENDAR.step_deadlines(procedure, RECEIVED),
                        delivery_channel="online", data={"purpose": "Xin việc"})


def decision(cls: type = DossierApproved, procedure=RECORD, dossier_id: uuid.UUID | None = None,
             occurred_at: datetime | None = None) -> Any:
    payload = ({"decision": "Cấp Phiếu lý lịch tư pháp số 1"} if cls is DossierApproved
               else {"reason": "Không đủ điều kiện"})
    dossier_id = dossier_id or uuid7()
    return event(cls, producer=by("approval", procedure.agency), dossier_id=dossier_id,
                 agency=procedure.agency, at=occurred_at or datetime.now(timezone.utc),
                 dossier=facts(procedure, dossier_id), **payload)


def handle(signing: Signing, decided: Any, results: FakeSigningRepository,
           emitter: Emitter) -> None:
    """As the consumer does: preload the batch's state, then call the handler."""
    asyncio.run(results.preload([decided]))
    signing.on_decision(decided, results, emitter)


def text_of(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as directory:
        return pdftotext(pdf, Path(directory))


def this_year() -> int:
    return datetime.now(VIETNAM).year


@pytest.fixture
def results() -> FakeSigningRepository:
    return FakeSigningRepository()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(by("signing", "STP"), DOSSIER_TOPIC)


def test_an_approval_is_numbered_rendered_stored_and_signed(results, emitter):
    decided = decision()
    before = datetime.now(timezone.utc).replace(microsecond=0)  # PDF times are whole seconds

    handle(SIGNING, decided, results, emitter)

    [signed] = emitted(emitter)
    assert isinstance(signed, ResultSigned)
    assert (signed.outcome, signed.result_number) == ("approved",
                                                      f"0001/{this_year()}/QĐ-STP")
    assert (signed.dossier, signed.actor) == (decided.dossier, "auto")
    assert (signed.causation_id, signed.causation_hash) == (decided.event_id, decided.hash)
    assert before <= signed.signed_at <= datetime.now(timezone.utc)
    [document] = results.documents
    assert document.sha256 == signed.document_sha256 == hashlib.sha256(
        document.content).hexdigest()
    assert (document.result_number, document.dossier_id, document.agency) == (
        signed.result_number, decided.dossier_id, "STP")
    assert document.certificate_fingerprint == signed.certificate_fingerprint
    text = text_of(document.content)
    assert "PHIẾU LÝ LỊCH TƯ PHÁP" in text and "Cấp Phiếu lý lịch tư pháp số 1" in text
    [item] = results.for_dossier(decided.dossier_id)
    assert (item.state, item.outcome, item.reason, item.closed_with_event) == (
        DONE, "approved", signed.result_number, signed.event_id)


def test_a_denial_is_issued_as_a_signed_refusal_notice(results, emitter):
    handle(SIGNING, decision(DossierDenied), results, emitter)

    [signed] = emitted(emitter)
    assert (signed.outcome, signed.result_number) == ("denied", f"0001/{this_year()}/TB-STP")
    text = text_of(results.documents[0].content)
    assert "THÔNG BÁO" in text and "Không đủ điều kiện" in text


def test_each_agency_numbers_its_results_in_its_own_sequence(results, emitter):
    for procedure in (RECORD, RECORD, PERMIT, RECORD):
        handle(SIGNING, decision(procedure=procedure), results, emitter)

    year = this_year()
    assert [e.result_number for e in emitted(emitter)] == [
        f"0001/{year}/QĐ-STP", f"0002/{year}/QĐ-STP", f"0001/{year}/QĐ-SXD",
        f"0003/{year}/QĐ-STP"]


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_takes_no_number(results,
                                                                                emitter):
    first = decision()
    handle(SIGNING, first, results, emitter)

    with pytest.raises(Rejected, match="already handed to signing"):
        handle(SIGNING, decision(DossierDenied, dossier_id=first.dossier_id), results, emitter)

    assert len(emitter.messages) == 1 and len(results.documents) == 1
    assert results.counters[("STP", this_year())] == 1


def test_with_officers_the_result_waits_for_the_clerk_without_a_number(results, emitter):
    decided = decision()

    handle(BY_OFFICERS, decided, results, emitter)

    assert emitter.messages == [] and results.documents == []
    assert set(results.counters.values()) == {0}
    [item] = results.for_dossier(decided.dossier_id)
    assert (item.state, item.context) == (OPEN, {"outcome": "approved",
                                                 "body": "Cấp Phiếu lý lịch tư pháp số 1"})


def test_the_clerks_sign_decision_numbers_with_the_repository_it_is_given(results, emitter):
    decided = decision()
    handle(BY_OFFICERS, decided, results, emitter)
    [item] = results.for_dossier(decided.dossier_id)
    # 18:00 UTC on 31 December 2025 is 01:00 on 1 January 2026 in Lào Cai.
    now = datetime(2025, 12, 31, 18, 0, tzinfo=timezone.utc)
    locked = FakeSigningRepository()  # what the work queue preloaded for this decision
    asyncio.run(locked.preload([SimpleNamespace(dossier_id=item.dossier_id, agency="STP",
                                                occurred_at=now)]))
    lan = DecisionContext(Officer("lan", "STP", "signing"), now=now, repository=locked)

    BY_OFFICERS.work_queue()["sign"].apply(item, Sign(), emitter, lan)

    [signed] = emitted(emitter)
    assert (signed.result_number, signed.actor, signed.signed_at) == (
        "0001/2026/QĐ-STP", "officer:lan", now)
    assert [d.result_number for d in locked.documents] == ["0001/2026/QĐ-STP"]
    assert results.documents == [] and locked.counters == {("STP", 2026): 1}
    assert (item.state, item.decided_by, item.closed_with_event) == (DONE, "officer:lan",
                                                                     signed.event_id)



def test_a_decision_taken_last_year_and_signed_this_year_is_numbered(results, emitter):
    new_years_eve = datetime(this_year() - 1, 12, 31, 23, 0, tzinfo=VIETNAM)

    handle(SIGNING, decision(occurred_at=new_years_eve), results, emitter)

    assert len(emitted(emitter)) == 1


def test_the_clerk_signs_or_apologises_on_dossier_items_only():
    assert {name: set(d.kinds) for name, d in BY_OFFICERS.work_queue().items()} == {
        "sign": {"dossier"}, "apologize": {"dossier"}}



def test_an_apology_moves_the_deadline_the_work_queue_shows(results, emitter):
    decided = decision()
    handle(BY_OFFICERS, decided, results, emitter)
    [item] = results.for_dossier(decided.dossier_id)
    due = item.facts().due_at  # 8 December 2025 08:00
    lan = DecisionContext(Officer("lan", "STP", "signing"),
                          now=datetime(2025, 12, 4, 8, 0, tzinfo=VN))

    BY_OFFICERS.work_queue()["apologize"].apply(item, Apology(
        reason="Chờ chữ ký số", new_due_at=due + timedelta(days=2)), emitter, lan)

    assert item.due_at == item.facts().step_due_at["signing"]


def test_a_stopped_dossier_closes_the_result_waiting_for_the_clerk(results, emitter):
    decided = decision()
    handle(BY_OFFICERS, decided, results, emitter)
    stopped = event(DossierStopped, producer=by("appraisal", "STP"), cause=decided,
                    reason="Rút hồ sơ")

    signing_stage(BY_OFFICERS).handlers["DossierStopped"](stopped, results, emitter)

    [item] = results.for_dossier(decided.dossier_id)
    assert (item.state, item.outcome) == (DONE, "stopped")
    assert emitter.messages == [] and results.documents == []
