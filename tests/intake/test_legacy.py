"""The rules of `motcua import-legacy` (motcua_intake.legacy): what a line of the old system's
export must say, how the whole file is refused when one line is wrong (each error naming the
file and the line), and the event each dossier becomes: its code, appointment and end as the
file gives them, never counted again; signed by the import key, which the trust list entitles
to DossierImported alone; folded by the lifecycle into the status it had; and counted by the
auditors apart from native history."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from motcua_appraisal.handlers import Appraisal
from motcua_audit.auditor import Auditor
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_cli.legacy import beside, sample_lines, sample_results
from motcua_contracts import DossierState, IllegalTransition, Status, advance, new_event
from motcua_contracts.appraisal import DossierTakenOver
from motcua_contracts.dossier import Document
from motcua_contracts.intake import FeesPaid, SupplementExpired, SupplementProvided
from motcua_delivery.handlers import Delivery
from motcua_intake import domain
from motcua_intake.handlers import Intake, cause_of
from motcua_intake.legacy import (
    LegacyFileInvalid,
    dossier_id_of,
    imported_event,
    read_lines,
)
from motcua_privacy import Keyring, new_data_key
from motcua_runtime.keys import load_registry
from motcua_runtime.stage import Emitter
from motcua_runtime.trust import Verifier
from motcua_runtime.work_items import WITHDRAWAL
from tests.catalogue.test_communes import LAO_CAI  # the shipped catalogue, with communes
from tests.fakes import FakeDossiers, FakeWorkItems, drain, emitted
from tests.fakes import event as fake_event
from tests.support import signer_of

CATALOGUE = default_catalogue()
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
PROCEDURE = sorted(CATALOGUE.procedures)[0]


def line(**changes) -> dict:
    received = datetime(2026, 11, 2, 8, 30, tzinfo=VIETNAM)
    base = {
        "code": "LC261102-000001", "procedure_code": PROCEDURE, "channel": "counter",
        "applicant": {"full_name": "Lò Thị Mai", "id_number": "012345678901",
                      "phone": "0987654321", "address": "Số 5, phường Kim Tân"},
        "received_at": received.isoformat(),
        "due_at": (received + timedelta(days=10)).isoformat(),
        "status": 10,
        "history": [
            {"at": received.isoformat(), "actor": "legacy:tran.b", "status": 2},
            {"at": (received + timedelta(days=1)).isoformat(), "actor": "legacy:tran.b",
             "status": 4},
            {"at": (received + timedelta(days=6)).isoformat(), "actor": "legacy:le.c",
             "status": 9, "note": "Đã ký"},
            {"at": (received + timedelta(days=8)).isoformat(), "actor": "legacy:le.c",
             "status": 10}],
    }
    return {**base, **changes}


def text_of(*lines: dict | str) -> str:
    return "".join((item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
                   + "\n" for item in lines)


def judge(*lines: dict | str, known=None, read_result=None):
    return read_lines("cu.jsonl", text_of(*lines), CATALOGUE, now=NOW, known_codes=known,
                      read_result=read_result)


def test_the_sample_file_is_valid_half_ended_and_half_in_progress():
    lines = sample_lines(200, random.Random(1), CATALOGUE, NOW)
    files = sample_results(lines)
    judged = judge(*lines, read_result=lambda path: files[path])
    assert len(judged) == 200
    assert sum(item.dossier.finished for item in judged) == 100
    # Every status the import takes, in the shares an old system's dossiers have.
    statuses = Counter(item.dossier.status for item in judged)
    assert set(statuses) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
    assert statuses[10] > statuses[4] > statuses[2] > statuses[7]
    waiting = [item.dossier for item in judged if item.dossier.status in (5, 6)]
    assert all(d.awaiting is not None for d in waiting)
    assert len(files) == statuses[9]
    assert all(item.result == files[item.dossier.result_file] for item in judged
               if item.dossier.status == 9)
    # Without a folder to write the results in, none is at 9.
    assert 9 not in {line["status"] for line in sample_lines(200, random.Random(1), CATALOGUE,
                                                             NOW, results=False)}


def test_the_end_is_when_the_result_was_ready_else_the_last_step():
    [delivered] = judge(line())
    assert delivered.dossier.ended_at == datetime(2026, 11, 8, 8, 30, tzinfo=VIETNAM)
    stopped = line(status=8, history=[*line()["history"][:2], {
        "at": "2026-11-05T09:00:00+07:00", "actor": "legacy:tran.b", "status": 8}])
    [item] = judge(stopped)
    assert item.dossier.ended_at == datetime(2026, 11, 5, 9, 0, tzinfo=VIETNAM)
    [going] = judge(line(status=4, history=line()["history"][:2]))
    assert going.dossier.ended_at is None and not going.dossier.finished


def test_times_without_an_offset_are_vietnam_time():
    naive = line(received_at="2026-11-02T08:30:00", history=[
        {"at": "2026-11-02T08:30:00", "actor": "legacy:tran.b", "status": 2},
        {"at": "2026-11-03T08:30:00", "actor": "legacy:tran.b", "status": 4}], status=4)
    [item] = judge(naive)
    assert item.dossier.received_at == datetime(2026, 11, 2, 8, 30, tzinfo=VIETNAM)
    assert item.dossier.history[0].at.utcoffset() == timedelta(hours=7)


def test_every_bad_line_is_named_and_nothing_is_returned():
    lines = [
        line(code="CU-1"),
        "{not json",
        line(code="CU-1"),  # the same code twice
        line(code="CU-4", procedure_code="9.999999"),
        line(code="CU-5", status=9, history=[*line()["history"][:3]]),
        line(code="CU-6", due_at="2026-11-01T08:00:00+07:00"),
        line(code="CU-7", status=4),  # the last step says 10
        line(code="CU-8", history=list(reversed(line()["history"]))),
        line(code="CU-9", applicant={"full_name": "X", "id_number": "12", "phone": "0987654321",
                                   "address": "Y"}),
        line(code="CU-10", agency="KHONGCO"),
        line(code="CU-11", extra="?"),
        line(code="CU 14"),
        line(code="CU-12", due_at=None),
        line(code="CU-13", received_at="2027-01-01T08:00:00+07:00"),
    ]
    with pytest.raises(LegacyFileInvalid) as caught:
        judge(*lines)
    reasons = {error.line: error.reason for error in caught.value.errors}
    assert sorted(reasons) == list(range(2, 15))
    assert str(caught.value).splitlines()[0].startswith("cu.jsonl:2: not JSON")
    assert reasons[3] == "code CU-1 is already on line 1"
    assert reasons[4] == "procedure_code 9.999999 is not in the catalogue"
    assert reasons[5] == "result_file: required at status 9 (the signed result to hand over)"
    assert reasons[6].startswith("due_at 2026-11-01T08:00:00+07:00 is not after received_at")
    assert reasons[7] == "the last step of history has status 10, the dossier 4"
    assert reasons[8] == "history[1]: at 2026-11-08T08:30:00+07:00 is before the step before it"
    assert reasons[9].startswith("applicant.id_number:")
    assert reasons[10] == "agency KHONGCO is not an agency of the catalogue"
    assert reasons[11].startswith("extra:")
    assert reasons[12].startswith("code: String should match pattern")
    assert reasons[13].startswith("due_at: the appointment is required")
    assert reasons[14].endswith("is in the future")


def test_a_refused_dossier_may_have_no_appointment():
    refused = line(status=3, due_at=None, history=[
        {"at": "2026-11-02T08:30:00+07:00", "actor": "legacy:tran.b", "status": 1},
        {"at": "2026-11-02T10:00:00+07:00", "actor": "legacy:tran.b", "status": 3}])
    [item] = judge(refused)
    assert item.dossier.due_at is None and item.dossier.finished


def test_codes_already_here_under_another_dossier_are_refused_and_ours_are_known():
    ours, theirs = line(code="CU-B1"), line(code="CU-B2")
    known = {"CU-B1": dossier_id_of("CU-B1"), "CU-B2": uuid.uuid4()}
    with pytest.raises(LegacyFileInvalid, match=r"cu.jsonl:2: code CU-B2 already belongs to"):
        judge(ours, theirs, known=lambda codes: {c: known[c] for c in codes if c in known})
    assert len(judge(ours, known=lambda codes: {c: known[c] for c in codes})) == 1


def event_of(item, signer=None):
    signer = signer or signer_of("import")
    keys = Keyring()
    keys.keys[item.dossier.dossier_id] = new_data_key()
    return imported_event(item, producer=signer.producer, seal=keys.seal, sign=signer.sign,
                          actor="operator:admin", source_system="Một cửa cũ", now=NOW), keys


def test_the_event_keeps_the_code_the_appointment_and_the_end():
    [item] = judge(line())
    event, keys = event_of(item)
    assert (event.code, event.status, event.continues_at) == ("LC261102-000001", 10, None)
    assert event.dossier.due_at == datetime(2026, 11, 12, 8, 30, tzinfo=VIETNAM)  # not recounted
    assert event.ended_at == item.dossier.ended_at
    assert event.dossier_id == dossier_id_of(event.code)
    assert keys.open(event.dossier_id, event.applicant)["full_name"] == "Lò Thị Mai"
    assert [s.status for s in event.history] == [2, 4, 9, 10]
    [going] = judge(line(status=4, history=line()["history"][:2]))
    assert event_of(going)[0].continues_at == "appraisal"


def test_only_the_import_key_may_sign_an_imported_dossier(signing_keys):
    verifier = Verifier(load_registry(signing_keys))
    [item] = judge(line())
    event, _ = event_of(item)
    assert verifier.check(json.loads(event.model_dump_json()), event.occurred_at) is None
    forged, _ = event_of(item, signer_of("intake"))
    verdict = verifier.check(json.loads(forged.model_dump_json()), forged.occurred_at)
    assert verdict is not None and verdict.kind == "entitlement"
    assert "DossierImported may be emitted by import, not by intake" in verdict.reason


def test_the_lifecycle_starts_an_imported_dossier_at_its_status():
    [ended] = judge(line())
    state = advance(DossierState(), event_of(ended)[0])
    assert state.status == Status.DELIVERED and state.ended
    [going] = judge(line(status=2, history=line()["history"][:1]))
    event = event_of(going)[0]
    state = advance(DossierState(), event)
    assert (state.status, state.holder, state.agency) == (Status.ACCEPTED, "appraisal",
                                                          going.agency)
    with pytest.raises(IllegalTransition, match="already has a history"):
        advance(state, event)
    with pytest.raises(IllegalTransition, match="continues nowhere"):
        advance(DossierState(), event_of(ended)[0].model_copy(update={"continues_at":
                                                                      "appraisal"}))


def test_the_auditor_counts_imported_history_apart_from_native(signing_keys):
    auditor = Auditor(Verifier(load_registry(signing_keys)))
    [ended, going] = judge(line(code="CU-C1"), line(code="CU-C2", status=2,
                                                   history=line()["history"][:1]))
    appraisal = signer_of("appraisal")
    records = []
    for item in (ended, going):
        event, _ = event_of(item)
        records.append(event)
        if item is going:
            records.append(new_event(DossierTakenOver, dossier_id=event.dossier_id,
                                     agency=event.agency, producer=appraisal.producer,
                                     cause=event, sign=appraisal.sign))
    for offset, event in enumerate(records):
        auditor.feed(0, offset, str(event.dossier_id).encode(), event.model_dump_json().encode())
    auditor.finish()
    assert auditor.findings == []
    tally = auditor.tally
    assert (tally.imported_dossiers, tally.imported_events, tally.continued_events) == (2, 2, 1)
    assert tally.imported_by_status == {"10": 1, "2": 1}
    assert tally.received_by_agency == {}  # no native reception
    assert {r.status for r in auditor.rebuilt().values()} == {10, 4}


def waiting_line(status: int, **changes) -> dict:
    """A dossier the agency accepted and then asked the applicant for something (5 or 6)."""
    steps = line()["history"][:2]
    asked = {"at": "2026-11-04T09:00:00+07:00", "actor": "legacy:tran.b", "status": status,
             "note": "Bổ sung bản sao sổ hộ khẩu" if status == 5 else "Nộp lệ phí"}
    request = ({"supplement_due_at": "2026-11-11T17:00:00+07:00",
                "requested_documents": ["Bản sao sổ hộ khẩu"]} if status == 5
               else {"fees_due": 50_000})
    return line(**{"status": status, "history": [*steps, asked], **request, **changes})


def test_a_dossier_awaiting_a_supplement_waits_on_the_applicant_with_the_old_request():
    [item] = judge(waiting_line(5))
    event, _ = event_of(item)
    assert (event.status, event.continues_at) == (5, "appraisal")
    request = event.awaiting
    assert request is not None and request.what == "supplement"
    assert request.respond_by == datetime(2026, 11, 11, 17, 0, tzinfo=VIETNAM)  # not recounted
    assert request.requested_at == datetime(2026, 11, 4, 9, 0, tzinfo=VIETNAM)
    assert (request.missing_documents, request.reason) == (["Bản sao sổ hộ khẩu"],
                                                           "Bổ sung bản sao sổ hộ khẩu")
    assert event.dossier.due_at == datetime(2026, 11, 12, 8, 30, tzinfo=VIETNAM)
    assert event.dossier.supplements_requested == 1  # the agency's one request is made
    state = advance(DossierState(), event)
    # As after the agency's native request: the applicant holds it, appraisal resumes.
    assert (state.status, state.holder, state.supplement_from, state.supplements) == (
        Status.SUPPLEMENT_REQUESTED, "applicant", "appraisal", 1)
    provided = new_event(SupplementProvided, dossier_id=event.dossier_id, agency=event.agency,
                         producer=signer_of("intake").producer, cause=event,
                         resumes="appraisal", documents=[])
    assert advance(state, provided).status == Status.IN_PROGRESS
    expired = new_event(SupplementExpired, dossier_id=event.dossier_id, agency=event.agency,
                        producer=signer_of("intake").producer, cause=event,
                        respond_by=request.respond_by)
    assert advance(state, expired).status == Status.STOPPED  # ends as a native one would


def test_a_dossier_awaiting_fees_waits_for_the_amount_due():
    [item] = judge(waiting_line(6))
    event, _ = event_of(item)
    assert event.awaiting is not None
    assert (event.awaiting.what, event.awaiting.amount) == ("fees", 50_000)
    state = advance(DossierState(), event)
    assert (state.status, state.holder) == (Status.AWAITING_FEES, "applicant")
    paid = new_event(FeesPaid, dossier_id=event.dossier_id, agency=event.agency,
                     producer=signer_of("intake").producer, cause=event, amount=50_000,
                     receipt_number="BL-0001", dossier=event.dossier)
    assert advance(state, paid).status == Status.IN_PROGRESS


def test_what_a_waiting_dossier_waits_for_is_required_and_only_there():
    history = waiting_line(5)["history"]
    lines = [
        waiting_line(5, supplement_due_at=None),
        waiting_line(5, requested_documents=[]),
        waiting_line(5, supplement_due_at="2026-11-04T08:00:00+07:00"),
        waiting_line(6, fees_due=None),
        line(fees_due=1000),
        line(requested_documents=["X"]),
        waiting_line(5, history=[{**history[0], "status": 1}, history[2]]),
    ]
    with pytest.raises(LegacyFileInvalid) as caught:
        judge(*[dict(item, code=f"CU-W{n}") for n, item in enumerate(lines)])
    reasons = {error.line: error.reason for error in caught.value.errors}
    assert reasons[1].startswith("supplement_due_at: the supplement's deadline is required")
    assert reasons[2].startswith("requested_documents: the documents asked for are required")
    assert reasons[3].startswith("supplement_due_at 2026-11-04T08:00:00+07:00 is not after "
                                 "the request")
    assert reasons[4] == "fees_due: the amount due is required at status 6"
    assert reasons[5] == "fees_due is for a dossier awaiting fees (status 6), not 10"
    assert reasons[6].startswith("supplement_due_at and requested_documents are for a dossier")
    assert reasons[7].startswith("status 5: the history shows no acceptance")


def test_the_lifecycle_refuses_an_import_that_does_not_say_what_it_awaits():
    [item] = judge(waiting_line(5))
    event, _ = event_of(item)
    with pytest.raises(IllegalTransition, match="awaits supplement, not None"):
        advance(DossierState(), event.model_copy(update={"awaiting": None}))
    [going] = judge(line(status=4, history=line()["history"][:2]))
    with pytest.raises(IllegalTransition, match="awaits nothing from the applicant"):
        advance(DossierState(), event_of(going)[0].model_copy(
            update={"awaiting": event.awaiting}))


def test_a_commune_level_dossier_must_name_a_commune_unit_of_its_kind():
    def on_lao_cai(**changes):
        return read_lines("cu.jsonl", text_of(line(procedure_code="1.001193", **changes)),
                          LAO_CAI, now=NOW)

    with pytest.raises(LegacyFileInvalid, match=r"cu.jsonl:1: agency STC: procedure "
                                                r"1.001193 is commune-level"):
        on_lao_cai(agency="STC")  # a provincial department for a birth
    with pytest.raises(LegacyFileInvalid, match=r"agency CAPYB: procedure 1.001193"):
        on_lao_cai(agency="CAPYB")  # a commune's police, not its People's Committee
    [item] = on_lao_cai(agency="UBNDPYB")  # a commune's People's Committee
    assert item.agency == "UBNDPYB"


def test_intake_holds_an_imported_request_as_the_one_the_applicant_answers():
    """At 5 the import is the request the applicant's supplement answers (its cause), the wait
    counts from the old request and the old deadline is watched; nothing is queued to send."""
    [item] = judge(waiting_line(5))
    event, _ = event_of(item)
    dossiers = FakeDossiers()
    emitter = Emitter(signer_of("intake").producer, "dossiers")
    Intake(CATALOGUE, WorkingCalendar()).on_imported(event, dossiers, emitter)
    dossier = dossiers.get(event.dossier_id)
    assert (dossier.status_code, dossier.stage) == (5, "applicant")
    assert dossier.waiting_since == datetime(2026, 11, 4, 9, 0, tzinfo=VIETNAM)
    assert dossier.supplement_due_at == datetime(2026, 11, 11, 17, 0, tzinfo=VIETNAM)
    assert dossier.supplement_documents == ["Bản sao sổ hộ khẩu"]  # the desk's view shows them
    assert cause_of(dossier, waiting=True).event_id == event.event_id
    assert dossier.ended_at is None and emitter.messages == []
    [row] = dossiers.timeline
    assert row.note == ("Bổ sung bản sao sổ hộ khẩu (Bản sao sổ hộ khẩu) — hạn bổ sung "
                        "17:00 11/11/2026")


def unchecked_line(**changes) -> dict:
    """A dossier the old desk received and had not checked yet (status 1)."""
    received = line()["received_at"]
    return line(**{"status": 1, "due_at": None, "receiving_unit": None,
                   "history": [{"at": received, "actor": "legacy:tran.b", "status": 1}],
                   **changes})


def test_a_dossier_not_yet_checked_waits_for_the_receiving_desks_first_check():
    """At 1 the import is what the desk checks: its item at the unit that received it, the
    appointment not given yet; accepting it counts the appointment from the old reception."""
    [item] = judge(unchecked_line())
    event, _ = event_of(item)
    assert (event.status, event.continues_at, event.dossier.due_at) == (1, "intake", None)
    state = advance(DossierState(), event)
    assert (state.status, state.holder) == (Status.SUBMITTED, "intake")
    dossiers = FakeDossiers()
    emitter = Emitter(signer_of("intake").producer, "dossiers")
    intake = Intake(CATALOGUE, WorkingCalendar())  # automatic: the import waits all the same
    intake.on_imported(event, dossiers, emitter)
    dossier = dossiers.get(event.dossier_id)
    assert (dossier.status_code, dossier.stage, dossier.due_at) == (1, "intake", None)
    [desk] = dossiers.work_items.for_dossier(event.dossier_id)
    assert desk.agency == intake.receiving_unit(dossier) and desk.state == "open"
    assert desk.cause_event_id == event.event_id
    assert desk.context["checked_at"] == item.dossier.received_at.isoformat()
    assert "missing_documents" not in desk.context  # its files stayed in the old system
    assert emitter.messages == []  # nothing sent, nothing decided
    # The desk's acceptance: a native DossierAccepted caused by the import, the appointment
    # counted from the old reception.
    accept = intake.work_queue()["accept"]
    context = SimpleNamespace(repository=dossiers, now=NOW,
                              officer=SimpleNamespace(actor="officer:tran.b"))
    accept.apply(desk, accept.body(), emitter, context)
    [accepted] = emitted(emitter)
    assert (accepted.type, accepted.causation_id) == ("DossierAccepted", event.event_id)
    procedure = CATALOGUE.procedures[PROCEDURE].for_case(None)
    due, _ = domain.appointment(procedure, WorkingCalendar(), item.dossier.received_at)
    assert accepted.dossier.due_at == due
    assert advance(state, accepted).status == Status.ACCEPTED


def test_a_dossier_not_yet_checked_has_no_appointment_in_the_file():
    with pytest.raises(LegacyFileInvalid) as caught:
        judge(unchecked_line(due_at="2026-11-20T17:00:00+07:00"))
    assert caught.value.errors[0].reason.startswith(
        "due_at: a dossier not yet checked (status 1) has no appointment yet")


def withdrawing_line(asked_at: int = 4, **changes) -> dict:
    """A dossier whose applicant asked to withdraw while at `asked_at`, not yet confirmed."""
    steps = line()["history"][:2] if asked_at == 4 else [{**line()["history"][0],
                                                          "status": asked_at}]
    asked = {"at": "2026-11-04T09:00:00+07:00", "actor": "applicant", "status": 7,
             "note": "Công dân đề nghị rút hồ sơ"}
    return line(**{"status": 7, "history": [*steps, asked], **changes})


def test_a_withdrawal_to_confirm_waits_for_the_competent_agency():
    """At 7 the import is the request the agency confirms: its withdrawal item, whatever the
    policy; the confirmation is a native DossierStopped caused by the import, which ends it."""
    [item] = judge(withdrawing_line())
    event, _ = event_of(item)
    assert (event.status, event.continues_at, event.awaiting) == (7, "appraisal", None)
    state = advance(DossierState(), event)
    assert (state.status, state.progress, state.holder) == (
        Status.WITHDRAWAL_REQUESTED, Status.IN_PROGRESS, "appraisal")
    items, emitter = FakeWorkItems(), Emitter(signer_of("appraisal").producer, "t")
    appraisal = Appraisal(CATALOGUE, WorkingCalendar())
    appraisal.on_imported(event, items, emitter)
    [held] = items.for_dossier(event.dossier_id)
    assert (held.kind, held.state, held.due_at) == (WITHDRAWAL, "open", event.dossier.due_at)
    assert emitter.messages == []  # no DossierTakenOver, no automatic confirmation
    confirm = appraisal.work_queue()["confirm-withdrawal"]
    context = SimpleNamespace(now=NOW, officer=SimpleNamespace(actor="officer:le.c"))
    confirm.apply(held, confirm.body(reason="Dừng theo đề nghị"), emitter, context)
    [stopped] = emitted(emitter)
    assert (stopped.type, stopped.causation_id) == ("DossierStopped", event.event_id)
    assert advance(state, stopped).status == Status.STOPPED


def test_only_a_withdrawal_asked_while_the_agency_held_it_is_imported():
    with pytest.raises(LegacyFileInvalid) as caught:
        judge(withdrawing_line(asked_at=1))
    assert caught.value.errors[0].reason.startswith(
        "status 7: the withdrawal was asked at status 1")
    [item] = judge(withdrawing_line())
    event, _ = event_of(item)
    forged = event.model_copy(update={"history": [*event.history[:1], event.history[-1]],
                                      "status": 7})
    forged = forged.model_copy(update={"history": [
        forged.history[0].model_copy(update={"status": 1}), forged.history[-1]]})
    with pytest.raises(IllegalTransition, match="asked at status 1"):
        advance(DossierState(), forged)


PDF = b"%PDF-1.7\n% the old system's sealed result\n%%EOF\n"


def signed_line(**changes) -> dict:
    """A dossier whose result the old system signed and had not handed over (status 9)."""
    return line(**{"status": 9, "history": line()["history"][:3],
                   "result_file": "ket-qua/LC261102-000001.pdf",
                   "result_number": "125/2026/QĐ-UBND", **changes})


def test_a_signed_result_waits_at_the_delivery_desk_as_the_old_pdf():
    """At 9 the old system's PDF is kept as the result, unchanged (its hash in the event, whose
    seal it carries said), and the dossier waits at delivery: online made available at once, at
    the counter for the desk's officer."""
    files = {"ket-qua/LC261102-000001.pdf": PDF}
    [item] = judge(signed_line(), read_result=files.__getitem__)
    assert item.result == PDF
    event, _ = event_of(item)
    assert (event.status, event.continues_at) == (9, "delivery")
    assert event.result.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert (event.result.result_number, event.result.size) == ("125/2026/QĐ-UBND", len(PDF))
    assert event.result.sealed_by == "Một cửa cũ"  # not a certificate of ours
    assert event.ended_at == event.result.signed_at == item.dossier.history[-1].at
    state = advance(DossierState(), event)
    assert (state.status, state.holder) == (Status.RESULT_READY, "delivery")
    with pytest.raises(IllegalTransition, match="signed result at status 9, and only there"):
        advance(DossierState(), event.model_copy(update={"result": None}))

    dossiers = FakeDossiers()
    Intake(CATALOGUE, WorkingCalendar()).on_imported(
        event, dossiers, Emitter(signer_of("intake").producer, "t"))
    assert dossiers.get(event.dossier_id).result_sha256 == event.result.document_sha256

    delivery = Delivery(CATALOGUE)
    items, desk = FakeWorkItems(), Emitter(signer_of("delivery").producer, "t")
    delivery.on_imported(event, items, desk)  # at the counter: the desk's officer hands it
    [held] = items.for_dossier(event.dossier_id)
    assert (held.state, held.context["result_number"]) == ("open", "125/2026/QĐ-UBND")
    assert desk.messages == []
    online = event.model_copy(update={"dossier": event.dossier.model_copy(
        update={"delivery_channel": "online"}), "delivery": {"channel": "online"}})
    items = FakeWorkItems()
    delivery.on_imported(online, items, desk)
    [delivered] = emitted(desk)
    assert (delivered.type, delivered.channel, delivered.causation_id) == (
        "ResultDelivered", "online", event.event_id)


def test_a_signed_result_is_checked_before_anything_is_imported(tmp_path):
    files = {"ket-qua/a.pdf": PDF, "ket-qua/b.txt": b"not a pdf"}

    def read(path):
        if path not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[path]

    lines = [
        signed_line(code="CU-1", result_file="ket-qua/none.pdf"),
        signed_line(code="CU-2", result_file="ket-qua/b.txt", result_number="2"),
        signed_line(code="CU-3", result_file="ket-qua/a.pdf", result_number="3",
                    result_sha256="0" * 64),
        signed_line(code="CU-4", result_file="../a.pdf", result_number="4"),
        signed_line(code="CU-5", result_file="ket-qua/a.pdf", result_number=None),
        line(code="CU-6", result_number="6"),
        signed_line(code="CU-7", result_file="ket-qua/a.pdf", result_number="7"),
        signed_line(code="CU-8", result_file="ket-qua/a.pdf", result_number="7"),
    ]
    with pytest.raises(LegacyFileInvalid) as caught:
        judge(*lines, read_result=read)
    reasons = {error.line: error.reason for error in caught.value.errors}
    assert reasons == {
        1: "result_file ket-qua/none.pdf: cannot read it (No such file or directory)",
        2: "result_file ket-qua/b.txt: not a PDF (it does not start with %PDF-)",
        3: f"result_file ket-qua/a.pdf: its SHA-256 is {hashlib.sha256(PDF).hexdigest()}, "
           f"not result_sha256 {'0' * 64}",
        4: "result_file ../a.pdf: a path relative to the export's folder, inside it",
        5: "result_number: required at status 9 (the signed result to hand over)",
        6: "result_number: for a signed result to hand over (status 9), not 10",
        8: "result_number 7 is already on line 7",
    }
    # The command reads the files beside the export.
    (tmp_path / "ket-qua").mkdir()
    (tmp_path / "ket-qua" / "a.pdf").write_bytes(PDF)
    assert beside(tmp_path / "cu.jsonl")("ket-qua/a.pdf") == PDF


def test_the_supplement_a_desk_asked_of_an_unchecked_import_comes_back_to_the_desk():
    """The desk asks for a supplement of a dossier imported at 1: the applicant's answer brings
    the desk's item back, never the automatic check (the dossier's other files stayed in the
    old system, so a check of the files here would refuse it for documents it has)."""
    [item] = judge(unchecked_line())
    imported, _ = event_of(item)
    dossiers = FakeDossiers()
    emitter = Emitter(signer_of("intake").producer, "t")
    intake = Intake(CATALOGUE, WorkingCalendar())  # automatic
    intake.on_imported(imported, dossiers, emitter)
    [desk] = dossiers.work_items.for_dossier(imported.dossier_id)
    ask = intake.work_queue()["request-supplement"]
    context = SimpleNamespace(repository=dossiers, now=NOW,
                              officer=SimpleNamespace(actor="officer:tran.b"))
    ask.apply(desk, ask.body(missing_documents=["Bản sao sổ hộ khẩu"], reason="Thiếu"),
              emitter, context)
    [asked] = drain(emitter)
    intake.follow(asked, dossiers, emitter)
    drain(emitter)
    assert (dossiers.get(imported.dossier_id).status_code, desk.state) == (5, "waiting")
    supplied = fake_event(SupplementProvided, producer=signer_of("intake").producer,
                          cause=asked, resumes="intake", documents=[Document(
                              name="Bản sao sổ hộ khẩu", sha256="a" * 64, size=1000)])
    intake.on_supplement_provided(supplied, dossiers, emitter)
    assert drain(emitter) == []  # neither accepted nor refused by the automatic check
    assert desk.state == "open" and "missing_documents" not in desk.context
    assert dossiers.get(imported.dossier_id).status_code == 1
