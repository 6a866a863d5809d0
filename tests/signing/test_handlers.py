"""Signing's handler, called directly with a fake repository, a real Emitter and the real issuer
(the session's development PKI): it numbers, renders and seals."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_catalogue import Catalogue, load_catalogue
from motcua_contracts import DOSSIER_TOPIC, Producer, new_event, uuid7
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.signing import ResultSigned
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import DONE, OPEN
from motcua_signing.handlers import on_decision
from motcua_signing.seal import verify
from tests.fakes import FakeWorkItems, emitted
from tests.signing.pdf_tools import pdftotext

VN = timezone(timedelta(hours=7))
CATALOGUE = load_catalogue()
PROCEDURE = CATALOGUE.procedures["2.000488"]  # criminal record certificate, STP
# 31 December 2025 18:00 UTC is 1 January 2026 01:00 in Lào Cai: the number is of 2026.
DECIDED_AT = datetime(2025, 12, 31, 18, 0, tzinfo=timezone.utc)


class FakeDocumentStore(list):
    """In memory, the DocumentStore port."""

    def put(self, document: Any) -> None:
        self.append(document)


class FakeSigningRepository(FakeWorkItems):
    """In memory, with the methods handlers use of motcua_signing.repository.SigningRepository."""

    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[tuple[str, int], int] = defaultdict(int)
        self.documents = FakeDocumentStore()

    def next_number(self, agency: str, year: int) -> int:
        self.counters[(agency, year)] += 1
        return self.counters[(agency, year)]


def decision(cls=DossierApproved, dossier_id: uuid.UUID | None = None, **payload: Any):
    received = datetime(2025, 12, 20, 9, 0, tzinfo=VN)
    facts = DossierFacts(code="000.00.15.H38-251220-0003", procedure_code=PROCEDURE.code,
                         applicant_name="Trần Thị Bình", received_at=received,
                         due_at=received + timedelta(days=14), delivery_channel="online",
                         data={"purpose": "Xin việc"})
    payload = payload or ({"decision": "Cấp Phiếu lý lịch tư pháp số 1"} if cls is DossierApproved
                          else {"reason": "Không đủ điều kiện"})
    return new_event(cls, dossier_id=dossier_id or uuid7(), agency="STP", occurred_at=DECIDED_AT,
                     producer=Producer(service="approval", agency="STP"), dossier=facts,
                     **payload)


@pytest.fixture
def results() -> FakeSigningRepository:
    return FakeSigningRepository()


@pytest.fixture
def emitter() -> Emitter:
    return Emitter(Producer(service="signing", agency="STP"), DOSSIER_TOPIC)


@pytest.fixture
def handle(issuer):
    def call(event, results, emitter, catalogue=CATALOGUE):
        on_decision(event, results, emitter, catalogue=catalogue, issuer=issuer)
    return call


def test_an_approval_is_numbered_sealed_stored_and_announced(results, emitter, handle, keystore,
                                                             tmp_path):
    event = decision()

    handle(event, results, emitter)

    [signed] = emitted(emitter)
    assert isinstance(signed, ResultSigned)
    assert (signed.outcome, signed.result_number) == ("approved", "0001/2026/QĐ-STP")
    assert signed.dossier == event.dossier
    assert signed.causation_id == event.event_id
    assert signed.causation_hash == event.hash
    assert signed.certificate_fingerprint == keystore.for_agency("STP").fingerprint
    [document] = results.documents
    assert document.sha256 == signed.document_sha256 == hashlib.sha256(document.content).hexdigest()
    assert (document.result_number, document.dossier_id, document.dossier_code) == (
        signed.result_number, event.dossier_id, event.dossier.code)
    assert document.media_type == "application/pdf"
    assert document.certificate_fingerprint == signed.certificate_fingerprint
    assert document.signed_at == signed.signed_at and signed.signed_at.microsecond == 0
    assert verify(document.content, [keystore.root]).valid
    text = " ".join(pdftotext(document.content, tmp_path).split())
    assert "PHIẾU LÝ LỊCH TƯ PHÁP" in text and "Cấp Phiếu lý lịch tư pháp số 1" in text
    assert event.dossier.code in text and "0001/2026/QĐ-STP" in text
    [item] = results.for_dossier(event.dossier_id)
    assert (item.state, item.outcome, item.reason) == (DONE, "approved", "0001/2026/QĐ-STP")


def test_a_denial_is_issued_as_a_sealed_refusal_notice(results, emitter, handle, tmp_path):
    event = decision(DossierDenied)

    handle(event, results, emitter)

    [signed] = emitted(emitter)
    assert (signed.outcome, signed.result_number) == ("denied", "0001/2026/TB-STP")
    assert signed.causation_id == event.event_id
    text = " ".join(pdftotext(results.documents[0].content, tmp_path).split())
    assert "THÔNG BÁO" in text and "Lý do từ chối: Không đủ điều kiện" in text


def test_each_result_of_the_agency_takes_the_next_number(results, emitter, handle):
    for _ in range(3):
        handle(decision(), results, emitter)

    assert [event.result_number for event in emitted(emitter)] == [
        "0001/2026/QĐ-STP", "0002/2026/QĐ-STP", "0003/2026/QĐ-STP"]


def test_a_second_hand_off_of_the_same_dossier_is_rejected_and_emits_nothing(results, emitter,
                                                                             handle):
    first = decision()
    handle(first, results, emitter)

    with pytest.raises(Rejected, match="already handed to signing"):
        handle(decision(DossierDenied, first.dossier_id), results, emitter)

    assert len(emitter.messages) == 1
    assert len(results.documents) == 1
    assert results.counters[("STP", 2026)] == 1


def test_a_procedure_signed_by_the_clerk_waits_without_a_number(results, emitter, handle):
    officer = PROCEDURE.model_copy(update={"officer_stages": ("signing",)})
    event = decision()

    handle(event, results, emitter,
           catalogue=Catalogue(CATALOGUE.agencies, {PROCEDURE.code: officer}))

    assert emitter.messages == [] and results.documents == []
    assert dict(results.counters) == {}
    assert [item.state for item in results.for_dossier(event.dossier_id)] == [OPEN]
