"""Personal data on the topic is sealed (schema version 2): the event's JSON holds no clear
personal value, its hash and signature cover the ciphertext (so they verify without any key),
a version-2 event with a clear value is refused, and a version-1 event, which carried them in
clear, still reads (its values as `Sealed` of alg none)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from motcua_contracts import (
    EVENT_TYPES,
    Producer,
    UnsupportedEvent,
    event_hash,
    new_event,
    parse_event,
)
from motcua_contracts.intake import DossierAccepted, DossierSubmitted
from motcua_contracts.topic import SCHEMA_VERSIONS
from motcua_privacy import Keyring, new_data_key

DOSSIER = uuid.uuid4()
RING = Keyring(keys={DOSSIER: new_data_key()})
APPLICANT = {"full_name": "Lò Thị Mai", "id_number": "012345678901", "phone": "0987654321",
             "email": "mai@example.vn", "address": "Bản Cát Cát, Sa Pa"}
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)


def submitted(**overrides):
    payload = dict(code="STP-261203-0001", procedure_code="2.000488", channel="online",
                   applicant=RING.seal(DOSSIER, APPLICANT), documents=[],
                   delivery={"channel": "postal", "address": RING.seal(DOSSIER, "Sa Pa")},
                   received_at=NOW)
    return new_event(DossierSubmitted, dossier_id=DOSSIER, agency="STP",
                     producer=Producer(service="intake"), **{**payload, **overrides})


def test_every_type_that_carries_personal_data_is_at_version_2():
    sealed = {"DossierSubmitted", "DossierAccepted", "SupplementProvided", "FeesPaid",
              "ConsultationRequested", "DossierAppraised", "DossierReturned", "DossierApproved",
              "DossierDenied", "ResultSigned", "ResultHandedToPost", "ResultDelivered"}
    # SupplementExpired is at 2 for another reason: since then the expiry ends the dossier.
    assert {name for name, version in SCHEMA_VERSIONS.items() if version == 2} == sealed | {
        "SupplementExpired"}
    assert set(SCHEMA_VERSIONS) == set(EVENT_TYPES)


def test_a_submission_carries_no_personal_value_in_clear_and_verifies_without_a_key():
    event = submitted()
    body = event.model_dump_json()
    for value in APPLICANT.values():
        assert value not in body
    assert "Sa Pa" not in body
    parsed = parse_event(body.encode())
    assert parsed.hash == event_hash(json.loads(body))  # the hash covers the ciphertext
    assert RING.open(DOSSIER, parsed.applicant) == APPLICANT  # type: ignore[attr-defined]


def test_a_version_2_event_with_a_clear_value_is_refused():
    document = json.loads(submitted().model_dump_json())
    document["applicant"] = APPLICANT
    with pytest.raises(UnsupportedEvent, match="personal data in clear.*applicant"):
        parse_event(json.dumps(document).encode())


def test_a_version_1_event_in_clear_still_reads():
    document = json.loads(new_event(
        DossierAccepted, dossier_id=DOSSIER, agency="STP", producer=Producer(service="intake"),
        dossier={"code": "STP-261203-0001", "procedure_code": "2.000488",
                 "applicant": RING.seal(DOSSIER, APPLICANT), "received_at": NOW,
                 "delivery_channel": "postal"}).model_dump_json())
    document["schema_version"] = 1
    del document["dossier"]["applicant"]
    document["dossier"]["applicant_name"] = "Lò Thị Mai"
    document["dossier"]["delivery_address"] = "Bản Cát Cát"
    event = parse_event(json.dumps(document).encode())
    facts = event.dossier  # type: ignore[attr-defined]
    assert facts.applicant.alg == "none"
    assert Keyring().open(DOSSIER, facts.applicant) == {"full_name": "Lò Thị Mai"}
    assert Keyring().open(DOSSIER, facts.delivery_address) == "Bản Cát Cát"
