"""Personal data on the topic is sealed (schema version 2; the form data from version 3): the
event's JSON holds no clear personal value, its hash and signature cover the ciphertext (so they
verify without any key), an event with a clear value where its version seals it is refused, and
an older event, which carried them in clear, still reads (its values as `Sealed` of alg none)."""

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
from motcua_contracts.intake import DossierAccepted, DossierSubmitted, WithdrawalRequested
from motcua_contracts.topic import SCHEMA_VERSIONS
from motcua_privacy import Keyring, new_data_key

DOSSIER = uuid.uuid4()
RING = Keyring(keys={DOSSIER: new_data_key()})
APPLICANT = {"full_name": "Lò Thị Mai", "id_number": "012345678901", "phone": "0987654321",
             "email": "mai@example.vn", "address": "Bản Cát Cát, Sa Pa"}
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
FORM = {"child_name": "Lò Văn Páo", "date_of_birth": "2026-11-30", "mother": "Lò Thị Mai"}


def submitted(**overrides):
    payload = dict(code="STP-261203-0001", procedure_code="2.000488", channel="online",
                   applicant=RING.seal(DOSSIER, APPLICANT), documents=[],
                   delivery={"channel": "postal", "address": RING.seal(DOSSIER, "Sa Pa")},
                   data=RING.seal(DOSSIER, FORM), received_at=NOW)
    return new_event(DossierSubmitted, dossier_id=DOSSIER, agency="STP",
                     producer=Producer(service="intake"), **{**payload, **overrides})


def accepted(**facts) -> dict:
    """A DossierAccepted as JSON, its facts' applicant sealed, with `facts` besides."""
    return json.loads(new_event(
        DossierAccepted, dossier_id=DOSSIER, agency="STP", producer=Producer(service="intake"),
        dossier={"code": "STP-261203-0001", "procedure_code": "1.001193",
                 "applicant": RING.seal(DOSSIER, APPLICANT), "received_at": NOW,
                 "delivery_channel": "online", **facts}).model_dump_json())


def test_every_type_that_carries_personal_data_or_form_data_has_the_version_that_seals_it():
    with_form_data = {"DossierSubmitted", "DossierAccepted", "SupplementProvided", "FeesPaid",
                      "DossierImported",
                      "ConsultationRequested", "DossierAppraised", "DossierReturned",
                      "DossierApproved", "DossierDenied", "ResultSigned", "ResultHandedToPost"}
    assert {name for name, version in SCHEMA_VERSIONS.items() if version == 3} == with_form_data
    # SupplementExpired is at 2 for another reason: since then the expiry ends the dossier.
    assert {name for name, version in SCHEMA_VERSIONS.items() if version == 2} == {
        "ResultDelivered", "WithdrawalRequested", "SupplementExpired"}
    assert set(SCHEMA_VERSIONS) == set(EVENT_TYPES)


def test_a_submission_carries_no_personal_value_in_clear_and_verifies_without_a_key():
    event = submitted()
    body = event.model_dump_json()
    for value in [*APPLICANT.values(), *FORM.values()]:
        assert value not in body
    assert "Sa Pa" not in body
    parsed = parse_event(body.encode())
    assert parsed.hash == event_hash(json.loads(body))  # the hash covers the ciphertext
    assert RING.open(DOSSIER, parsed.applicant) == APPLICANT  # type: ignore[attr-defined]
    assert RING.open(DOSSIER, parsed.data) == FORM  # type: ignore[attr-defined]


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


def test_a_version_3_event_with_clear_form_data_is_refused():
    document = json.loads(submitted().model_dump_json())
    document["data"] = FORM
    with pytest.raises(UnsupportedEvent, match="personal data in clear.*data"):
        parse_event(json.dumps(document).encode())
    with pytest.raises(UnsupportedEvent, match="dossier.data"):
        parse_event(json.dumps(accepted(data=FORM)).encode())


def test_a_version_2_event_with_clear_form_data_still_reads_with_what_it_filled():
    document = accepted()
    document["schema_version"] = 2
    del document["dossier"]["data_filled"]
    document["dossier"]["data"] = {**FORM, "mother": ""}
    facts = parse_event(json.dumps(document).encode()).dossier  # type: ignore[attr-defined]
    assert facts.data.alg == "none"
    assert Keyring().open(DOSSIER, facts.data) == {**FORM, "mother": ""}
    assert facts.data_filled == ["child_name", "date_of_birth"]


def test_a_withdrawal_reason_is_sealed_from_version_2_and_read_in_clear_before():
    document = json.loads(new_event(
        WithdrawalRequested, dossier_id=DOSSIER, agency="STP", producer=Producer(service="intake"),
        reason=RING.seal(DOSSIER, "Tôi chuyển về Hà Giang"),
        confirmed_by="appraisal").model_dump_json())
    assert "Hà Giang" not in json.dumps(document, ensure_ascii=False)
    assert RING.open(DOSSIER, parse_event(json.dumps(document).encode()).reason) == (  # type: ignore[attr-defined]
        "Tôi chuyển về Hà Giang")
    document["reason"] = "Tôi chuyển về Hà Giang"
    with pytest.raises(UnsupportedEvent, match="reason"):
        parse_event(json.dumps(document).encode())
    document["schema_version"] = 1
    assert Keyring().open(DOSSIER, parse_event(json.dumps(document).encode()).reason) == (  # type: ignore[attr-defined]
        "Tôi chuyển về Hà Giang")
