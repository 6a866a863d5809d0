"""What a consumer checks before acting on an event, on real signatures: the signature, the key
(known, valid at the event's time), the hash, and the entitlement of the key's service and
agency, including liên thông consultations and postal delivery across agencies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from motcua_audit.generator import prepare_keys
from motcua_contracts import new_event, uuid7
from motcua_contracts.appraisal import ConsultationAnswered, ConsultationRequested
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered, ResultHandedToPost, ResultPickedUpByPost
from motcua_contracts.dossier import DossierFacts
from motcua_runtime.keys import load_registry, revoke
from motcua_runtime.trust import Verifier
from tests.personal import seal_personal

AT = datetime(2026, 5, 4, 9, tzinfo=timezone.utc)
FACTS = DossierFacts(code="000.00.15.H38-260504-0001", procedure_code="2.000488",
                     applicant_name="Lò Văn Sáng", received_at=AT, delivery_channel="online")


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trust-keys")
    return folder, prepare_keys(folder)


def approved(signer_of, *, agency="STP", key_agency="STP", service="approval"):
    signer = signer_of(service, key_agency)
    dossier_id = uuid7()
    return new_event(DossierApproved, dossier_id=dossier_id, agency=agency, occurred_at=AT,
                     producer=signer.producer, sign=signer.sign,
                     dossier=seal_personal(dossier_id, {"dossier": FACTS})["dossier"],
                     decision="Cấp")


def check(folder, event, **changes):
    document = json.loads(event.model_dump_json()) | changes
    return Verifier(load_registry(folder)).check(document, AT)


def test_an_event_signed_by_the_competent_agency_verifies(keys):
    folder, signer_of = keys
    assert check(folder, approved(signer_of)) is None


def test_one_changed_character_breaks_the_hash(keys):
    folder, signer_of = keys
    event = approved(signer_of)
    verdict = check(folder, event, decision="Cấp phép xây dựng 10 tầng")
    assert verdict.kind == "hash"


def test_a_recomputed_hash_without_the_key_breaks_the_signature(keys):
    from motcua_contracts import event_hash
    folder, signer_of = keys
    document = json.loads(approved(signer_of).model_dump_json()) | {"decision": "Khác"}
    document["hash"] = event_hash(document)
    assert Verifier(load_registry(folder)).check(document, AT).kind == "signature"


def test_unsigned_and_unknown_key_events_are_refused(keys):
    folder, signer_of = keys
    event = approved(signer_of)
    assert check(folder, event, signature=None).kind == "signature"
    producer = json.loads(event.model_dump_json())["producer"] | {"key_id": "approval.STP-99"}
    assert check(folder, event, producer=producer).reason.startswith("unknown key")


def test_another_agencys_key_cannot_decide_for_this_dossier(keys):
    folder, signer_of = keys
    forged = approved(signer_of, agency="SXD", key_agency="STP")
    verdict = check(folder, forged)
    assert verdict.kind == "entitlement"
    assert "for agency SXD signed with key approval.STP-1 of agency STP" in verdict.reason


def test_a_stage_cannot_emit_another_stages_event(keys):
    folder, signer_of = keys
    verdict = check(folder, approved(signer_of, service="signing"))
    assert verdict.kind == "entitlement" and "not by signing" in verdict.reason


def test_a_consultation_is_asked_by_the_lead_agency_and_answered_by_the_consulted_one(keys):
    folder, signer_of = keys
    lead, consulted = signer_of("appraisal", "STP"), signer_of("appraisal", "SXD")
    request = new_event(ConsultationRequested, dossier_id=uuid7(), agency="SXD", occurred_at=AT,
                        producer=lead.producer, sign=lead.sign, dossier=FACTS,
                        lead_agency="STP", question="?", respond_by=AT + timedelta(days=3))
    answer = new_event(ConsultationAnswered, dossier_id=request.dossier_id, agency="STP",
                       occurred_at=AT, producer=consulted.producer, sign=consulted.sign,
                       cause=request, consulted_agency="SXD", agrees=True, answer="Đồng ý")
    assert check(folder, request) is None
    assert check(folder, answer) is None
    forged = new_event(ConsultationAnswered, dossier_id=request.dossier_id, agency="STP",
                       occurred_at=AT, producer=lead.producer, sign=lead.sign, cause=request,
                       consulted_agency="SXD", agrees=True, answer="Đồng ý")
    assert check(folder, forged).kind == "entitlement"


def test_a_key_revoked_before_the_event_is_refused(tmp_path):
    signer_of = prepare_keys(tmp_path)
    event = approved(signer_of)
    revoke(tmp_path, "approval.STP-1", at=AT - timedelta(hours=1))
    verdict = check(tmp_path, event)
    assert verdict.kind == "key" and "revoked" in verdict.reason


# -- by post: the desk hands over, only the post office records pick-up and delivery ----------

def postal(signer_of, kind, key_agency, **payload):
    signer = signer_of("delivery", key_agency)
    return new_event(kind, dossier_id=uuid7(), occurred_at=AT, producer=signer.producer,
                     sign=signer.sign, **payload)


def handed(signer_of, key_agency="STP"):
    return postal(signer_of, ResultHandedToPost, key_agency, agency="BUUDIEN", dossier=FACTS,
                  competent_agency="STP", address="Số 1 Hoàng Liên", result_number="1/QĐ-STP",
                  ready_at=AT)


def picked(signer_of, key_agency="BUUDIEN"):
    return postal(signer_of, ResultPickedUpByPost, key_agency, agency="STP",
                  post_office="BUUDIEN", tracking_number="RR123456785VN")


def delivered(signer_of, key_agency, channel="postal"):
    fields = {"post_office": "BUUDIEN", "tracking_number": "RR123456785VN"} \
        if channel == "postal" else {}
    return postal(signer_of, ResultDelivered, key_agency, agency="STP", channel=channel,
                  delivered_at=AT, on_time=True, **fields)


def test_the_desk_hands_over_and_the_post_office_picks_up_and_delivers(keys):
    folder, signer_of = keys
    assert check(folder, handed(signer_of)) is None
    assert check(folder, picked(signer_of)) is None
    assert check(folder, delivered(signer_of, "BUUDIEN")) is None
    assert check(folder, delivered(signer_of, "STP", "counter")) is None


@pytest.mark.parametrize("forge, reason", [
    (lambda s: handed(s, key_agency="BUUDIEN"),
     "ResultHandedToPost for agency STP signed with key delivery.BUUDIEN-1 of agency BUUDIEN"),
    (lambda s: picked(s, key_agency="STP"),
     "ResultPickedUpByPost for agency BUUDIEN signed with key delivery.STP-1 of agency STP"),
    (lambda s: delivered(s, "STP"),
     "ResultDelivered for agency BUUDIEN signed with key delivery.STP-1 of agency STP"),
    (lambda s: delivered(s, "BUUDIEN", "counter"),
     "ResultDelivered for agency STP signed with key delivery.BUUDIEN-1 of agency BUUDIEN"),
])
def test_the_desk_and_the_post_office_cannot_sign_each_others_steps(keys, forge, reason):
    folder, signer_of = keys
    verdict = check(folder, forge(signer_of))
    assert (verdict.kind, verdict.reason) == ("entitlement", reason)
