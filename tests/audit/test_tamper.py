"""Tampering with a signed log, each kind detected and named by the replay: one byte changed, an
event dropped, two events swapped, a duplicate replayed, an event forged with another agency's
key or with the shared instance's key for an agency with its own instance, an event signed with
a revoked key. The log is generated (every path, real signatures) and judged in memory; one test
runs the command on a file, with its JSON and HTML reports."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta

import pytest

from motcua_audit.auditor import Auditor
from motcua_audit.generator import generate, prepare_keys
from motcua_audit.sources import write_log
from motcua_cli.main import main
from motcua_contracts import canonical_json
from motcua_runtime.keys import load_registry, revoke
from motcua_runtime.trust import Verifier


@pytest.fixture(scope="module")
def signed_log(tmp_path_factory):
    keys_dir = tmp_path_factory.mktemp("tamper-keys")
    signer_of = prepare_keys(keys_dir)
    return keys_dir, signer_of, list(generate(signer_of, 120, seed=5, window=20))


def judge(keys_dir, records):
    auditor = Auditor(Verifier(load_registry(keys_dir)))
    for record in records:
        auditor.feed(*record)
    auditor.finish()
    return auditor.findings


def types_of(record):
    return json.loads(record[3])["type"]


def position(records, event_type, skip=0):
    """Index of the `skip`-th record of `event_type` among approved-and-delivered dossiers."""
    approved = {r[2] for r in records if types_of(r) == "DossierApproved"}
    matches = [i for i, r in enumerate(records) if types_of(r) == event_type and r[2] in approved]
    return matches[skip]


def at(records, index):
    partition, offset, key, _ = records[index]
    return key.decode(), partition, offset


def kinds(findings):
    return {f.kind for f in findings}


def test_the_untouched_log_has_no_finding(signed_log):
    keys_dir, _, records = signed_log
    assert judge(keys_dir, records) == []


def test_the_log_delivers_by_every_channel_and_the_post_office_signs_its_steps(signed_log):
    _, _, records = signed_log
    documents = [json.loads(record[3]) for record in records]
    channels = {d["channel"] for d in documents if d["type"] == "ResultDelivered"}
    assert channels == {"online", "counter", "postal"}
    postal = [d for d in documents if d["type"] == "ResultPickedUpByPost"
              or d["type"] == "ResultDelivered" and d["channel"] == "postal"]
    assert postal and {d["producer"]["key_id"] for d in postal} == {"delivery.BUUDIEN-1"}


def test_one_byte_changed_is_named_a_hash_mismatch(signed_log):
    keys_dir, _, records = signed_log
    records = list(records)
    index = position(records, "DossierAppraised")
    partition, offset, key, value = records[index]
    # A byte of the sealed applicant's ciphertext: the hash covers the ciphertext.
    spot = value.index(b'"ciphertext":"') + len(b'"ciphertext":"')
    value = value[:spot] + (b"M" if value[spot:spot + 1] != b"M" else b"N") + value[spot + 1:]
    records[index] = (partition, offset, key, value)
    findings = judge(keys_dir, records)
    assert [(f.dossier_id, f.partition, f.offset, f.kind) for f in findings] == \
        [(*at(records, index), "hash")]


def test_a_dropped_event_is_named_a_missing_cause(signed_log):
    keys_dir, _, records = signed_log
    index = position(records, "DossierApproved")
    dossier, partition, _ = at(records, index)
    findings = judge(keys_dir, records[:index] + records[index + 1:])
    chain = [f for f in findings if f.kind == "chain"]
    assert len(chain) == 1 and chain[0].dossier_id == dossier
    assert chain[0].event_type == "ResultSigned"
    assert "never appears in the log: an event was dropped" in chain[0].reason
    assert kinds(findings) == {"chain", "lifecycle"}


def test_two_swapped_events_are_named_out_of_order(signed_log):
    keys_dir, _, records = signed_log
    records = list(records)
    first = position(records, "DossierAppraised")
    dossier = records[first][2]
    second = next(i for i in range(first + 1, len(records))
                  if records[i][2] == dossier and types_of(records[i]) == "DossierApproved")
    # Swap the events but keep their places in the log (partition, offset).
    (p1, o1, k1, v1), (p2, o2, k2, v2) = records[first], records[second]
    records[first], records[second] = (p1, o1, k1, v2), (p2, o2, k2, v1)
    findings = judge(keys_dir, records)
    chain = [f for f in findings if f.kind == "chain"]
    assert [(f.offset, f.event_type) for f in chain] == [(o2, "DossierAppraised")]
    assert "out of order: DossierAppraised comes after DossierApproved" in chain[0].reason
    assert {f.dossier_id for f in findings} == {dossier.decode()}


def test_a_replayed_duplicate_is_named(signed_log):
    keys_dir, _, records = signed_log
    index = position(records, "DossierAccepted", skip=3)
    partition, _, key, value = records[index]
    copy = (partition, 10_000, key, value)
    findings = judge(keys_dir, records[:index + 5] + [copy] + records[index + 5:])
    assert [(f.offset, f.kind) for f in findings] == [(10_000, "duplicate")]
    assert "appears twice (an identical copy)" in findings[0].reason


def test_an_event_forged_with_another_agencys_key_is_named(signed_log):
    keys_dir, signer_of, records = signed_log
    records = list(records)
    index = position(records, "DossierApproved", skip=1)
    document = json.loads(records[index][3])
    other = next(code for code in ("STP", "SXD", "CAT", "SKHDT", "SGTVT", "STNMT")
                 if code != document["agency"]
                 and signer_of("approval", code).producer.agency == code)
    forger = signer_of("approval", other)
    document = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    document |= {"decision": "Cấp phép (giả mạo)",
                 "producer": forger.producer.model_dump(mode="json")}
    body = canonical_json(document)
    document |= {"hash": hashlib.sha256(body).hexdigest(), "signature": forger.sign(body)}
    partition, offset, key, _ = records[index]
    records[index] = (partition, offset, key, json.dumps(document).encode())
    findings = judge(keys_dir, records)
    assert (findings[0].offset, findings[0].kind) == (offset, "entitlement")
    assert f"signed with key approval.{other}-1 of agency {other}" in findings[0].reason
    # The real decision it replaced was what the next event cited.
    assert [(f.event_type, f.kind) for f in findings[1:]] == [("ResultSigned", "chain")]
    assert "not the hash of its cause" in findings[1].reason


def test_the_shared_instances_key_signing_for_an_agency_with_its_own_instance_is_named(
        signed_log):
    """The report's DelayApologized: the shared appraisal key (scoped in the trust list to every
    agency but those with their own instance) signing for such an agency's dossier."""
    keys_dir, signer_of, records = signed_log
    records = list(records)
    index = next(i for i in range(len(records)) if types_of(records[i]) == "DossierAppraised"
                 and json.loads(records[i][3])["producer"]["agency"] is not None)
    document = json.loads(records[index][3])
    shared = signer_of("appraisal", None)
    document = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    document |= {"producer": shared.producer.model_dump(mode="json")}
    body = canonical_json(document)
    document |= {"hash": hashlib.sha256(body).hexdigest(), "signature": shared.sign(body)}
    partition, offset, key, _ = records[index]
    records[index] = (partition, offset, key, json.dumps(document).encode())
    findings = judge(keys_dir, records)
    assert (findings[0].offset, findings[0].kind) == (offset, "entitlement")
    assert (f"signed with key appraisal-1 of appraisal, which may sign for every agency but "
            f"{', '.join(sorted(load_registry(keys_dir).keys['appraisal-1'].except_agencies))}"
            f" ({document['agency']} has an instance of its own)") in findings[0].reason


def test_an_event_signed_with_a_revoked_key_is_named(signed_log, tmp_path):
    keys_dir, _, records = signed_log
    index = position(records, "ResultSigned", skip=2)
    document = json.loads(records[index][3])
    key_id = document["producer"]["key_id"]
    revoked_dir = tmp_path / "keys"
    shutil.copytree(keys_dir, revoked_dir)
    revoked_at = datetime.fromisoformat(document["occurred_at"]) - timedelta(seconds=1)
    revoke(revoked_dir, key_id, at=revoked_at)
    findings = judge(revoked_dir, records)
    mine = [f for f in findings if f.offset == records[index][1] and f.kind == "key"
            and f.dossier_id == records[index][2].decode()]
    assert mine and f"key {key_id} was revoked at" in mine[0].reason
    assert kinds(findings) == {"key"}  # and every later event it signed


def test_the_command_reports_as_json_and_html_and_exits_1_on_findings(signed_log, tmp_path,
                                                                       monkeypatch):
    keys_dir, _, records = signed_log
    monkeypatch.setenv("MOTCUA_KEYS_DIR", str(keys_dir))
    clean, tampered = tmp_path / "clean.tsv", tmp_path / "tampered.tsv"
    write_log(clean, records)
    index = position(records, "DossierAccepted")
    write_log(tampered, records + [records[index]])
    report, page = tmp_path / "report.json", tmp_path / "report.html"
    argv = ["--data-dir", str(tmp_path), "audit", "replay", "--workers", "2",
            "--json", str(report), "--html", str(page)]
    assert main(argv + ["--from", str(clean)]) == 0
    assert json.loads(report.read_text())["findings"] == []
    assert main(argv + ["--from", str(tampered)]) == 1
    body = json.loads(report.read_text())
    assert body["events"] == len(records) + 1 and body["dossiers"] == 120
    assert body["events_per_second"] > 0
    assert [{k: f[k] for k in ("dossier_id", "offset", "kind")} for f in body["findings"]] == \
        [{"dossier_id": records[index][2].decode(), "offset": records[index][1],
          "kind": "duplicate"}]
    assert "duplicate" in page.read_text() and records[index][2].decode() in page.read_text()


def test_user_errors_are_messages_not_tracebacks(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="not `topic`, `archive` or a log file"):
        main(["--data-dir", str(tmp_path), "audit", "replay", "--from", "nowhere.tsv"])
    (tmp_path / "bad.tsv").write_text("garbage\n")
    with pytest.raises(SystemExit, match="bad.tsv:1: not a log line"):
        main(["--data-dir", str(tmp_path), "audit", "replay", "--from",
              str(tmp_path / "bad.tsv")])
    monkeypatch.delenv("MOTCUA_KEYS_DIR")
    with pytest.raises(SystemExit, match="no key registry .* run `motcua keys init`"):
        main(["--data-dir", str(tmp_path / "empty"), "audit", "replay", "--from",
              str(tmp_path / "bad.tsv")])


def test_an_operator_resolving_a_dead_letter_is_part_of_the_history_not_a_finding(signed_log):
    """`motcua dlq retry|skip` leaves a DeadLetterResolved caused by the held event, even after
    the dossier ended: the replay accepts it (it changes nothing in the lifecycle)."""
    from motcua_contracts import Event, new_event
    from motcua_contracts.dead_letters import DeadLetterResolved
    from motcua_contracts.topic import EVENT_ADAPTER

    keys_dir, signer_of, records = signed_log
    index = position(records, "ResultDelivered")  # the dossier has ended here
    partition, offset, key, value = records[index]
    delivered: Event = EVENT_ADAPTER.validate_json(value)
    signer = signer_of("intake", None)
    resolved = new_event(DeadLetterResolved, dossier_id=delivered.dossier_id,
                         agency=delivered.agency, producer=signer.producer, cause=delivered,
                         actor="operator:quantri", sign=signer.sign, consumer="intake",
                         resolution="skipped", refused_type="ResultDelivered",
                         refusal="Rejected: stale", note="đã xử lý tay")
    tail_offset = max(r[1] for r in records if r[0] == partition) + 1
    extended = [*records, (partition, tail_offset, key, resolved.model_dump_json().encode())]
    assert judge(keys_dir, extended) == []


def test_the_replay_counts_dossiers_by_competent_agency_and_by_receiving_unit(signed_log):
    """The generated log predates the receiving unit on the event: the code's e-ID prefix names
    the unit, as for every log written before it was recorded."""
    keys_dir, _, records = signed_log
    auditor = Auditor(Verifier(load_registry(keys_dir)))
    for record in records:
        auditor.feed(*record)
    submitted = [json.loads(r[3]) for r in records if types_of(r) == "DossierSubmitted"]
    imported = sum(1 for r in records if types_of(r) == "DossierImported")  # counted apart
    by_agency, by_unit = auditor.tally.received_by_agency, auditor.tally.received_by_unit
    assert sum(by_agency.values()) == sum(by_unit.values()) == len(submitted)
    assert len(submitted) + imported == 120 and imported > 0
    assert by_unit == {prefix: sum(1 for d in submitted if d["code"].startswith(prefix + "-"))
                       for prefix in {d["code"].rsplit("-", 2)[0] for d in submitted}}
    assert by_agency == {agency: sum(1 for d in submitted if d["agency"] == agency)
                         for agency in {d["agency"] for d in submitted}}


def test_a_rating_after_delivery_is_part_of_the_history_and_before_it_a_finding(signed_log):
    """`DossierRated` (intake, once the result is delivered) changes nothing in the lifecycle:
    the replay accepts it after ResultDelivered and reports one before."""
    from motcua_contracts import Event, new_event
    from motcua_contracts.intake import DossierRated
    from motcua_contracts.topic import EVENT_ADAPTER

    keys_dir, signer_of, records = signed_log
    signer = signer_of("intake", None)

    def rated(cause: Event, partition: int, key: bytes) -> list:
        rating = new_event(DossierRated, dossier_id=cause.dossier_id, agency=cause.agency,
                           producer=signer.producer, cause=cause, actor="applicant",
                           sign=signer.sign, indicators=[2] * 9, convenience="satisfied",
                           overall="satisfied")
        tail_offset = max(r[1] for r in records if r[0] == partition) + 1
        return [*records, (partition, tail_offset, key, rating.model_dump_json().encode())]

    events = [(r[0], r[2], EVENT_ADAPTER.validate_json(r[3])) for r in records]
    delivered = {e.dossier_id for _, _, e in events if e.type == "ResultDelivered"}
    last = {e.dossier_id: (p, k, e) for p, k, e in events}  # each dossier's newest event
    ended = next(last[d] for d in delivered)
    assert ended[2].type == "ResultDelivered"
    assert judge(keys_dir, rated(ended[2], ended[0], ended[1])) == []
    open_one = next(v for d, v in last.items() if d not in delivered)  # stopped, refused...
    findings = judge(keys_dir, rated(open_one[2], open_one[0], open_one[1]))
    assert [(f.kind, f.event_type) for f in findings] == [("lifecycle", "DossierRated")]


def resigned(document, signer):
    """`document` as `signer`'s instance would have signed it: what a producer that got its
    content wrong emits (the signature is genuine; the replay must judge the content)."""
    document = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    document["producer"] = signer.producer.model_dump(mode="json")
    body = canonical_json(document)
    return json.dumps(document | {"hash": hashlib.sha256(body).hexdigest(),
                                  "signature": signer.sign(body)}).encode()


def signer_of_document(signer_of, document):
    return signer_of(document["producer"]["service"], document["producer"]["agency"])


@pytest.mark.parametrize("change,reason", [
    ({"agency": None}, "invalid event: DossierApproved.agency: Input should be a valid string"),
    ({"schema_version": "1"}, "invalid event: DossierApproved.schema_version: Value error, "
                              "Input should be a valid integer"),
    ({"type": "DossierBlessed"}, "invalid event: body: Input tag 'DossierBlessed' found using "
                                 "'type' does not match any of the expected tags"),
    ({"schema_version": 99}, "DossierApproved schema_version 99 is newer than this auditor "
                             "knows"),
])
def test_a_signed_event_that_breaks_the_schema_is_named(signed_log, change, reason):
    keys_dir, signer_of, records = signed_log
    records = list(records)
    index = position(records, "DossierApproved", skip=4)
    document = json.loads(records[index][3])
    partition, offset, key, _ = records[index]
    records[index] = (partition, offset, key,
                      resigned(document | change, signer_of_document(signer_of, document)))
    findings = judge(keys_dir, records)
    assert (findings[0].dossier_id, findings[0].offset, findings[0].kind) == \
        (key.decode(), offset, "schema")
    assert findings[0].reason.startswith(reason), findings[0].reason
    # Not part of the history: the next event cites what is no longer there.
    assert [f.event_type for f in findings[1:] if f.kind == "chain"] == ["ResultSigned"]


def test_a_record_that_is_not_json_and_one_under_another_dossiers_key_are_named(signed_log):
    keys_dir, _, records = signed_log
    records = list(records)
    index = position(records, "DossierAccepted", skip=6)
    partition, offset, key, value = records[index]
    other_key = next(r[2] for r in records if r[2] != key)
    records[index] = (partition, offset, other_key, value)
    records.insert(index + 1, (partition, 20_000, key, value[:-1]))
    findings = judge(keys_dir, records)
    assert [(f.offset, f.kind) for f in findings] == [(offset, "schema"), (20_000, "schema")]
    assert findings[0].dossier_id == key.decode()
    assert f"Kafka key {other_key.decode()!r} is not the dossier id" in findings[0].reason
    assert findings[1].reason.startswith("not a JSON event")


def test_a_delivery_that_lies_about_the_deadline_is_named(signed_log):
    keys_dir, signer_of, records = signed_log
    records = list(records)
    index = position(records, "ResultDelivered", skip=2)
    document = json.loads(records[index][3])
    partition, offset, key, _ = records[index]
    records[index] = (partition, offset, key,
                      resigned(document | {"on_time": not document["on_time"]},
                               signer_of_document(signer_of, document)))
    findings = judge(keys_dir, records)
    assert [(f.offset, f.kind) for f in findings] == [(offset, "deadline")]
    assert f"ResultDelivered says on_time={not document['on_time']}, but the result was " \
           "ready at" in findings[0].reason


def test_a_genuine_event_the_lifecycle_forbids_and_one_without_a_cause_are_named(signed_log):
    """Signed by the entitled stage, well formed, in the chain: a second approval of the same
    draft (the dossier has moved on to signing), and an acceptance that cites nothing."""
    from motcua_contracts import uuid7

    keys_dir, signer_of, records = signed_log
    records = list(records)
    index = position(records, "DossierApproved", skip=5)
    approved = json.loads(records[index][3])
    partition, _, key, _ = records[index]
    again = resigned(approved | {"event_id": str(uuid7())},
                     signer_of_document(signer_of, approved))
    signed_at = next(i for i in range(index + 1, len(records)) if records[i][2] == key
                     and types_of(records[i]) == "ResultSigned")
    records.insert(signed_at + 1, (partition, 30_000, key, again))
    accepted_at = position(records, "DossierAccepted", skip=7)
    accepted = json.loads(records[accepted_at][3])
    orphan = resigned(accepted | {"event_id": str(uuid7()), "causation_id": None,
                                  "causation_hash": None},
                      signer_of_document(signer_of, accepted))
    records.insert(accepted_at + 1, (records[accepted_at][0], 30_001, records[accepted_at][2],
                                     orphan))
    findings = judge(keys_dir, records)
    again_found = [(f.kind, f.reason) for f in findings if f.offset == 30_000]
    assert len(again_found) == 1 and again_found[0][0] == "lifecycle"
    assert "DossierApproved cannot happen now" in again_found[0][1]
    orphan_found = [(f.kind, f.reason) for f in findings if f.offset == 30_001]
    assert orphan_found[0][0] == "chain" and "DossierAccepted has no cause" in orphan_found[0][1]
    # Nor may an acceptance follow the acceptance: the lifecycle says so too.
    assert [kind for kind, _ in orphan_found[1:]] == ["lifecycle"]


def test_the_statuses_counted_without_a_database_are_those_of_the_rebuilt_dossiers(signed_log):
    from collections import Counter

    keys_dir, _, records = signed_log
    records = list(records)
    del records[position(records, "ResultSigned", skip=1)]  # one dossier left open
    auditor = Auditor(Verifier(load_registry(keys_dir)))
    for record in records:
        auditor.feed(*record)
    auditor.finish()
    rebuilt = auditor.rebuilt()
    assert auditor.statuses() == Counter(r.status for r in rebuilt.values())
    assert len(rebuilt) == 120 and len(auditor.statuses()) > 2
