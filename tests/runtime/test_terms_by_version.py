"""A dossier is handled to the end under the catalogue version it was received under, at every
stage (docs/catalogue.md): intake accepts a dossier received under version 1, then appraisal
(and the agency it consults), approval, signing and delivery handle it, once on a catalogue
that is still version 1 ("before") and once on version 2 ("after": imported while the dossier
was in flight, the stages restarted on it). Version 2 changes everything a stage decides by:
the time limit and step plan, who decides which stage, the agency consulted, the data
required, the supplement clock, the name and the result's title. Everything the stages do with
the dossier (deadlines, requests, decisions, the sealed result's words) is the same before and
after; a dossier received under version 2 is handled differently, so the comparison would see
a stage that read its own catalogue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from motcua_appraisal.handlers import Appraisal
from motcua_approval.handlers import Approval
from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.export import parse_export
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Event
from motcua_contracts.appraisal import ConsultationRequested, DossierTakenOver, FeesRequested
from motcua_contracts.intake import DossierAccepted, FeesPaid
from motcua_delivery.handlers import Delivery
from motcua_intake.catalogue_versions import CatalogueVersions
from motcua_intake.handlers import Intake
from motcua_pki import DEV_PASSPHRASE, Keystore
from motcua_runtime.stage import Emitter
from motcua_runtime.work_items import OPEN
from motcua_signing.handlers import Signing
from motcua_signing.issuer import ResultIssuer
from motcua_signing.seal import Sealer
from tests.catalogue.export_sample import sample, steps
from tests.fakes import FakeDossiers, FakeSigningRepository, FakeWorkItems, by, event
from tests.fakes import emitted as parsed
from tests.intake.test_handlers import submitted
from tests.signing.pdf_tools import pdftotext
from tests.support import dev_pki

MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VIETNAM)
CALENDAR = WorkingCalendar()
ISSUER = ResultIssuer(Sealer(Keystore.load(dev_pki(), DEV_PASSPHRASE)),
                      "https://dichvucong.laocai.gov.vn")
RECORD = "2.000488"  # CAT, consulting STP in version 1


def version(number: int) -> Catalogue:
    document = sample(effective_from=f"202{4 + number}-07-01")
    record = document["procedures"][0]
    record["KETQUATHUCHIEN"] = [{"TENKETQUA": "Phiếu lý lịch tư pháp"}]
    if number == 2:  # everything a later stage decides by, changed
        record["TENTTHC"] = "Cấp Phiếu lý lịch tư pháp (quy trình mới)"
        record["CACHTHUCTHUCHIEN"][0]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = 20
        record["TRINHTUTHUCHIEN"][0]["TRINHTU"] = steps(4, 136, 12, 4, 4)
        record["COQUANPHOIHOP"] = []
        record["KETQUATHUCHIEN"] = [{"TENKETQUA": "Giấy xác nhận lý lịch"}]
        record["motcua"] = {"supplement_clock": "restart",
                            "required_data": ["purpose", "second_field"],
                            "officer_stages": ["approval", "signing", "delivery"]}
    parsed_version = parse_export(json.dumps(document, ensure_ascii=False), f"v{number}")
    return dataclasses.replace(parsed_version.catalogue, version=number)


V1, V2 = version(1), version(2)


def accepted_under(received_under: int) -> DossierAccepted:
    versions = CatalogueVersions(default_catalogue())
    versions.remember(V1)
    versions.remember(V2)  # both known to intake: the dossier names its own
    intake = Intake(default_catalogue(), CALENDAR, versions=versions)
    dossiers, emitter = FakeDossiers(), Emitter(by("intake", "CAT"), "t")
    record = versions.get(received_under).procedures[RECORD]
    filed = submitted(record, received_at=MONDAY).model_copy(
        update={"catalogue_version": received_under})
    intake.on_submitted(filed, dossiers, emitter)
    [handed] = parsed(emitter)
    assert isinstance(handed, DossierAccepted)
    return handed


def decided(emitter: Emitter) -> list[Event]:
    events = [e for e in parsed(emitter) if not isinstance(e, DossierTakenOver)]
    emitter.messages.clear()
    return events


def what(events: list[Event]) -> list[tuple[Any, ...]]:
    """What a stage did, without the wall-clock times it stamps."""
    return [(e.type, e.agency, getattr(e, "amount", None), getattr(e, "respond_by", None),
             getattr(e, "recommendation", None), getattr(e, "findings", None),
             getattr(e, "decision", None), getattr(e, "dossier", None)) for e in events]


def handled(handed: DossierAccepted, catalogue: Catalogue, *, officers: bool = False
            ) -> dict[str, Any]:
    """The dossier through every stage running on `catalogue`: each stage's work item (its
    deadline, whether it waits for an officer) and what it emitted."""
    record: dict[str, Any] = {}
    lead, items, cat = Appraisal(catalogue, CALENDAR, officers=officers), FakeWorkItems(), \
        Emitter(by("appraisal", "CAT"), "t")
    lead.on_accepted(handed, items, cat)
    [item] = items.for_dossier(handed.dossier_id)
    record["appraisal item"] = (item.due_at, item.state, item.waiting_for)
    if officers:
        return record | {"waits for an officer": item.state == OPEN}
    [fees] = decided(cat)
    assert isinstance(fees, FeesRequested)
    record["fees"] = what([fees])
    paid = event(FeesPaid, producer=by("intake", "CAT"), cause=fees, actor="applicant",
                 at=MONDAY + timedelta(hours=2), amount=fees.amount, receipt_number="BL-1",
                 dossier=handed.dossier.model_copy(update={"fees_paid": fees.amount}))
    lead.on_fees_paid(paid, items, cat)
    after_fees = decided(cat)
    record["after fees"] = what(after_fees)
    if isinstance(after_fees[0], ConsultationRequested):
        consulted, stp = FakeWorkItems(), Emitter(by("appraisal", "STP"), "t")
        Appraisal(catalogue, CALENDAR).on_consultation_requested(after_fees[0], consulted, stp)
        [answer] = decided(stp)
        record["consulted"] = what([answer])
        lead.on_consultation_answered(answer, items, cat)
        after_fees = decided(cat)
        record["appraised"] = what(after_fees)
    [appraised] = after_fees
    approvals, leader = FakeWorkItems(), Emitter(by("approval", "CAT"), "t")
    Approval(catalogue, CALENDAR).on_appraised(appraised, approvals, leader)
    [approval_item] = approvals.for_dossier(handed.dossier_id)
    [approved] = decided(leader)
    record["approval"] = (approval_item.due_at, *what([approved]))
    results, clerk = FakeSigningRepository(), Emitter(by("signing", "CAT"), "t")
    asyncio.run(results.preload([approved]))
    Signing(catalogue, CALENDAR, ISSUER).on_decision(approved, results, clerk)
    [signed] = decided(clerk)
    [document] = results.documents
    with tempfile.TemporaryDirectory() as directory:
        words = pdftotext(document.content, Path(directory))
    record["signing"] = (signed.type, signed.result_number, signed.outcome,
                         words.split("Thời gian ký")[0])  # the words, not the seal's time
    desk, delivery = FakeWorkItems(), Emitter(by("delivery", "CAT"), "t")
    Delivery(catalogue).on_result_signed(signed, desk, delivery)
    [delivery_item] = desk.for_dossier(handed.dossier_id)
    record["delivery"] = (delivery_item.due_at, [e.type for e in decided(delivery)])
    return record


def test_a_version_imported_in_flight_changes_nothing_at_any_stage():
    handed = accepted_under(1)
    before, after = handled(handed, V1), handled(handed, V2)
    assert after == before
    # Version 1's terms, at every stage: 10 working days (appraisal due 60 working hours after
    # Monday 08:00: seven days, then 3.5 hours before lunch and 0.5 after), STP consulted
    # within a quarter of the 56 hours of appraisal (14, from the payment on Monday 10:00).
    assert before["appraisal item"][0] == datetime(2025, 12, 3, 14, 0, tzinfo=VIETNAM)
    [(_, agency, _, respond_by, *_)] = before["after fees"]
    assert (agency, respond_by) == ("STP", datetime(2025, 11, 26, 8, 0, tzinfo=VIETNAM))
    assert before["appraised"][0][4] == "approve"
    assert "PHIẾU LÝ LỊCH TƯ PHÁP" in before["signing"][3]
    assert "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam" in before["signing"][3]


def test_who_decides_each_stage_is_the_version_the_dossier_was_received_unders():
    handed = accepted_under(1)  # version 1: officers appraise; version 2: they do not
    assert handled(handed, V2, officers=True) == handled(handed, V1, officers=True)
    assert handled(handed, V2, officers=True)["waits for an officer"] is True


def test_a_dossier_received_under_the_new_version_is_handled_by_it():
    """The comparison above can fail: the same dossier received under version 2 gets version
    2's deadlines, no consultation, a denial for the field it lacks, under the new name."""
    old, new = handled(accepted_under(1), V1), handled(accepted_under(2), V1)
    assert new["appraisal item"][0] > old["appraisal item"][0]
    assert "consulted" not in new
    [(kind, *_, recommendation, findings, _, _)] = new["after fees"]
    assert (kind, recommendation) == ("DossierAppraised", "deny")
    assert "second_field" in findings
    assert new["signing"][2] == "denied" and "quy trình mới" in new["signing"][3]
    officers_new = handled(accepted_under(2), V1, officers=True)
    assert officers_new["waits for an officer"] is False  # appraisal is automatic in v2
