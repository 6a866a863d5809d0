"""The envelope: building, serialising, parsing and hashing events; ids; the order of events."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from motcua_contracts import (
    EVENT_TYPES,
    Producer,
    UnsupportedEvent,
    event_hash,
    new_event,
    parse_document,
    parse_event,
    uuid7,
)
from motcua_privacy import seal_json

# Personal data travels sealed (motcua_contracts.sealed): under a data key of these tests.
DATA_KEY = bytes(range(32))
APPLICANT = {"full_name": "Nguyễn Văn An", "id_number": "010203004567", "phone": "0912345678",
             "address": "Số 1 Hoàng Liên, Lào Cai"}
DOSSIER_ID = uuid.UUID("0196a0b0-0000-7000-8000-000000000007")
SEALED_APPLICANT = seal_json(DATA_KEY, DOSSIER_ID, APPLICANT).model_dump()
SEALED_ADDRESS = seal_json(DATA_KEY, DOSSIER_ID, APPLICANT["address"]).model_dump()
SEALED_DATA = seal_json(DATA_KEY, DOSSIER_ID, {"purpose": "Xin việc", "copies": 2}).model_dump()
VN = timezone(timedelta(hours=7))
RECEIVED = datetime(2026, 4, 29, 9, 15, tzinfo=VN)
FACTS = {
    "code": "000.00.15.H38-260429-0007", "procedure_code": "2.000488",
    "applicant": SEALED_APPLICANT, "received_at": RECEIVED,
    "due_at": datetime(2026, 5, 14, 9, 15, tzinfo=VN), "delivery_channel": "online",
    "data": SEALED_DATA, "data_filled": ["copies", "purpose"],
}
SHA = "ab" * 32
PAYLOADS: dict[str, dict[str, Any]] = {
    "DossierSubmitted": {
        "code": FACTS["code"], "procedure_code": "2.000488", "channel": "online",
        "applicant": SEALED_APPLICANT,
        "documents": [{"name": "Tờ khai", "sha256": SHA, "size": 1024}],
        "delivery": {"channel": "online"}, "data": SEALED_DATA,
        "received_at": RECEIVED,
    },
    "DossierAccepted": {"dossier": FACTS},
    "DossierTakenOver": {},
    "DossierRefused": {"reason": "Hồ sơ thiếu giấy tờ bắt buộc: Tờ khai",
                       "missing_documents": ["Tờ khai"]},
    "DossierAppraised": {"dossier": FACTS, "recommendation": "approve",
                         "findings": "Hồ sơ đủ điều kiện"},
    "DossierApproved": {"dossier": FACTS, "decision": "Chấp thuận"},
    "DossierDenied": {"dossier": FACTS, "reason": "Không đủ điều kiện"},
    "ResultSigned": {"dossier": FACTS, "outcome": "approved", "result_number": "0042/2026/QĐ-STP",
                     "document_sha256": SHA, "signed_at": RECEIVED + timedelta(days=3)},
    "ResultDelivered": {"channel": "online", "delivered_at": RECEIVED + timedelta(days=4),
                        "on_time": True},
    "ResultHandedToPost": {"dossier": FACTS, "competent_agency": "STP",
                           "address": SEALED_ADDRESS,
                           "result_number": "0042/2026/QĐ-STP",
                           "ready_at": RECEIVED + timedelta(days=3)},
    "ResultPickedUpByPost": {"post_office": "BUUDIEN", "tracking_number": "RR123456785VN"},
    "SupplementRequested": {"requested_by": "appraisal", "missing_documents": ["Tờ khai"],
                            "reason": "Tờ khai chưa ký", "clock": "pause",
                            "respond_by": RECEIVED + timedelta(days=3)},
    "SupplementProvided": {"resumes": "appraisal", "dossier": FACTS,
                           "documents": [{"name": "Tờ khai", "sha256": SHA, "size": 2048}]},
    "SupplementExpired": {"respond_by": RECEIVED + timedelta(days=3)},
    "FeesRequested": {"amount": 200_000, "reason": "Lệ phí cấp Phiếu lý lịch tư pháp"},
    "FeesPaid": {"amount": 200_000, "receipt_number": "BL-0001", "dossier": FACTS},
    "ConsultationRequested": {"dossier": FACTS, "lead_agency": "STP",
                              "question": "Xác minh nhân thân",
                              "respond_by": RECEIVED + timedelta(days=5)},
    "ConsultationAnswered": {"consulted_agency": "CAT", "agrees": True,
                             "answer": "Không có tiền án"},
    "DossierReturned": {"dossier": FACTS, "reason": "Bổ sung căn cứ pháp lý"},
    "DelayApologized": {"reason": "Chờ kết quả xác minh",
                        "previous_due_at": FACTS["due_at"],
                        "new_due_at": FACTS["due_at"] + timedelta(days=5)},
    "DossierOverdue": {"due_at": FACTS["due_at"]},
    "WithdrawalRequested": {"reason": seal_json(DATA_KEY, DOSSIER_ID, "Không còn nhu cầu"),
                            "confirmed_by": "appraisal"},
    "DossierStopped": {"reason": "Công dân rút hồ sơ"},
    "DeadLetterResolved": {"consumer": "appraisal.STP", "resolution": "skipped",
                           "refused_type": "DossierAccepted", "refusal": "Rejected: stale",
                           "note": "nhập trùng", "released": 2},
    "PersonalDataErased": {"reason": "Yêu cầu xóa số 12/2026", "lawful_request": True,
                           "retention_until": RECEIVED + timedelta(days=5 * 365)},
    "DossierRated": {"indicators": [2, 2, 1, 2, 2, 0, 2, 2, 1], "convenience": "satisfied",
                     "overall": "very_satisfied"},
    "DossierImported": {
        "source_system": "Một cửa điện tử cũ", "code": "H38.22-250601-0042",
        "procedure_code": "2.000488", "channel": "counter", "applicant": SEALED_APPLICANT,
        "delivery": {"channel": "counter"}, "received_at": RECEIVED, "status": 4,
        "history": [{"at": RECEIVED, "actor": "legacy:tran.b", "status": 2},
                    {"at": RECEIVED + timedelta(days=1), "actor": "legacy:le.c", "status": 4,
                     "note": "Đang thẩm định"}],
        "continues_at": "appraisal", "dossier": FACTS},
}
PRODUCER = Producer(service="appraisal", agency="STP")


def make(event_type: str, **overrides: Any):
    payload = {**PAYLOADS[event_type], **overrides}
    return new_event(EVENT_TYPES[event_type], dossier_id=uuid7(), agency="STP",
                     producer=PRODUCER, **payload)


def raw(event) -> dict[str, Any]:
    """The event as a consumer receives it: the JSON document on the wire."""
    return json.loads(event.model_dump_json())


def test_there_is_a_sample_payload_for_every_event_type():
    assert set(PAYLOADS) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_survives_a_round_trip_through_json(event_type: str):
    event = make(event_type)

    parsed = parse_event(event.model_dump_json().encode())

    assert type(parsed) is EVENT_TYPES[event_type]
    assert parsed == event


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_hash_over_the_raw_json_equals_the_hash_field(event_type: str):
    document = raw(make(event_type))

    assert document["hash"] == event_hash(document)
    assert len(document["hash"]) == 64


def test_the_causing_event_is_linked_by_id_and_hash():
    cause = make("DossierAccepted")

    effect = new_event(EVENT_TYPES["DossierAppraised"], dossier_id=cause.dossier_id,
                       agency=cause.agency, producer=PRODUCER, cause=cause,
                       **PAYLOADS["DossierAppraised"])

    assert effect.causation_id == cause.event_id
    assert effect.causation_hash == cause.hash
    assert make("DossierSubmitted").causation_id is None


def test_hash_changes_when_one_byte_of_a_payload_value_changes():
    document = raw(make("DossierRefused"))
    tampered = {**document, "reason": document["reason"].replace("Tờ khai", "Tờ khaj")}

    assert event_hash(tampered) != document["hash"]


def test_hash_changes_when_a_nested_payload_value_changes():
    document = raw(make("DossierAccepted"))
    tampered = json.loads(json.dumps(document))
    tampered["dossier"]["data_filled"] = ["purpose"]

    assert event_hash(tampered) != document["hash"]


def test_hash_ignores_the_hash_and_signature_fields_themselves():
    document = raw(make("DossierDenied"))

    assert event_hash({**document, "signature": "c2lnbmF0dXJl"}) == document["hash"]


def test_a_reader_ignores_an_unknown_field_and_the_raw_hash_still_verifies():
    # A newer producer added an optional field (no new schema version) and hashed it too.
    document = raw(make("DossierApproved"))
    document["priority"] = "urgent"
    document["hash"] = event_hash(document)

    parsed = parse_event(json.dumps(document).encode())

    assert parsed.decision == "Chấp thuận"
    assert not hasattr(parsed, "priority")
    assert event_hash(document) == parsed.hash
    # Why the hash is taken over the raw document: the re-serialised model lost the field.
    assert event_hash(parsed.model_dump(mode="json")) != parsed.hash


def test_a_newer_schema_version_is_refused_with_a_readable_reason():
    body = json.dumps({**raw(make("DossierAppraised")), "schema_version": 4}).encode()

    with pytest.raises(UnsupportedEvent) as caught:
        parse_event(body)

    assert str(caught.value) == ("DossierAppraised schema_version 4 is newer than 3, "
                                 "the newest this service understands")


# What a field of a body may be replaced by, each one JSON a reader may receive.
ODD_VALUES = [True, "5", 5, 1.5, None, [], {}, "2026-04-29", "not a time", [1], {"a": 1}]


def _verdict(parse, body):  # noqa: ANN001, ANN202
    try:
        return parse(body)
    except UnsupportedEvent as error:
        return f"refused: {error}"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_a_parsed_document_is_judged_as_its_bytes_are(event_type: str):
    """A consumer validates the dict it verified (parse_document), not the bytes a second time:
    every alteration of every field of every type is accepted or refused the same way, with
    the same reason, as parse_event of the bytes would."""
    document = raw(make(event_type))
    altered = [document] + [{**document, name: odd} for name in document for odd in ODD_VALUES]
    altered += [{**document, name: {**value, inner: odd}}
                for name, value in document.items() if isinstance(value, dict)
                for inner in value for odd in ODD_VALUES]
    for body in altered:
        assert _verdict(parse_document, json.loads(json.dumps(body))) == \
            _verdict(parse_event, json.dumps(body).encode()), body


def test_invalid_json_is_an_unsupported_event():
    with pytest.raises(UnsupportedEvent, match="invalid event"):
        parse_event(b'{"type": "DossierSubmitted", ')


def test_an_unknown_event_type_is_an_unsupported_event():
    body = json.dumps({**raw(make("DossierDenied")), "type": "DossierWithdrawn"}).encode()

    with pytest.raises(UnsupportedEvent, match="DossierWithdrawn"):
        parse_event(body)


def test_a_missing_required_field_is_named_in_the_reason():
    document = raw(make("ResultDelivered"))
    del document["on_time"]

    with pytest.raises(UnsupportedEvent, match="on_time"):
        parse_event(json.dumps(document).encode())


def test_a_naive_timestamp_is_refused():
    document = {**raw(make("ResultDelivered")), "delivered_at": "2026-05-03T09:00:00"}

    with pytest.raises(UnsupportedEvent, match="delivered_at"):
        parse_event(json.dumps(document).encode())


def test_uuid7_is_version_7_with_the_rfc_variant_and_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000

    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_uuid7_ids_are_time_ordered_across_milliseconds():
    ids = []
    for _ in range(20):
        ids.append(uuid7())
        time.sleep(0.002)

    assert ids == sorted(ids)
    assert ids == sorted(ids, key=str)  # also as text, the form stored in logs and headers


def test_uuid7_ids_are_unique():
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_a_postal_delivery_carries_the_post_office_and_a_well_formed_item_number():
    delivered = make("ResultDelivered", channel="postal", post_office="BUUDIEN",
                     tracking_number="RR123456785VN", received_by=SEALED_ADDRESS)
    assert parse_event(delivered.model_dump_json().encode()) == delivered
    for wrong, reason in (("12345", "tracking_number"), ("RR123456784VN", "wrong check digit")):
        document = {**raw(delivered), "tracking_number": wrong}
        with pytest.raises(UnsupportedEvent, match=reason):
            parse_event(json.dumps(document).encode())


def test_a_delivery_written_before_the_postal_fields_still_reads():
    document = raw(make("ResultDelivered"))
    for field in ("received_by", "receiver_relation", "identity_checked", "post_office",
                  "tracking_number"):
        document.pop(field)
    assert parse_event(json.dumps(document).encode()).post_office is None


def test_a_document_carries_the_stored_files_media_type():
    documents = [{"name": "Tờ khai", "sha256": SHA, "size": 1024, "media_type": "application/pdf"}]
    submitted = make("DossierSubmitted", documents=documents)
    assert raw(submitted)["documents"] == documents
    assert parse_event(submitted.model_dump_json().encode()) == submitted
    document = {**raw(submitted), "documents": [{**documents[0], "media_type": "text/html"}]}
    with pytest.raises(UnsupportedEvent, match="documents.0.media_type"):
        parse_event(json.dumps(document).encode())


def test_a_document_written_before_media_types_still_reads_and_serialises_as_written():
    """Events filed before files were stored carry {name, sha256, size}: they validate, and a
    reader that writes them out again (intake's dossier row) adds no `media_type: null`."""
    old = raw(make("SupplementProvided"))
    assert old["documents"] == [{"name": "Tờ khai", "sha256": SHA, "size": 2048}]
    parsed = parse_event(json.dumps(old).encode())
    assert parsed.documents[0].media_type is None
    assert raw(parsed) == old and old["hash"] == event_hash(old)
