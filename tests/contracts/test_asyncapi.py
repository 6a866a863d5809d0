"""The committed AsyncAPI document: it matches the code, the AsyncAPI project's own parser reads
it without an error or a warning, it lists every event type, and what it says each service
receives is what each service's handlers act on."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from motcua_contracts.asyncapi import DOCUMENT_PATH, RECEIVES, document, main, render
from motcua_contracts.lifecycle import PRODUCERS
from motcua_contracts.topic import EVENT_TYPES

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def parse_with_asyncapi_parser(path: Path) -> dict:
    node = shutil.which("node")
    assert node, "node is needed to validate the AsyncAPI document: scripts/test installs it"
    assert (INTEROP / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "run `npm ci --prefix tests/interop` (scripts/test does)")
    completed = subprocess.run([node, str(INTEROP / "asyncapi.js"), str(path)],
                               capture_output=True, text=True, check=True, timeout=120)
    return json.loads(completed.stdout)


def test_the_committed_document_matches_the_code() -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(document()), (
        "run `python -m motcua_contracts.asyncapi --write` and review the diff")
    assert main(["--check"]) == 0


def test_the_asyncapi_parser_finds_no_error_and_every_event_type() -> None:
    parsed = parse_with_asyncapi_parser(DOCUMENT_PATH)
    serious = [d for d in parsed["diagnostics"] if d["severity"] in ("error", "warning")]
    assert serious == []
    assert sorted(parsed["channels"]["dossier.events"]) == sorted(EVENT_TYPES)
    assert parsed["channels"]["dossier.events.dlq"] == ["DeadLetter"]
    assert {"intakeReceives", "appraisalSends", "auditReceivesDeadLetters"} <= set(
        parsed["operations"])


def test_the_parser_would_report_a_broken_document(tmp_path: Path) -> None:
    broken = document()
    broken["channels"]["dossierEvents"]["messages"]["FeesPaid"]["payload"] = {
        "$ref": "#/components/schemas/NoSuchModel"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    parsed = parse_with_asyncapi_parser(path)
    assert any(d["severity"] == "error" for d in parsed["diagnostics"])


def test_every_payload_reference_resolves_and_every_sender_is_a_producer() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    for name, message in doc["channels"]["dossierEvents"]["messages"].items():
        assert message["payload"]["$ref"] == f"#/components/schemas/{name}"
        assert schemas[name]["properties"]["type"]["const"] == name
    text = json.dumps(doc)
    for target in {ref.split("/")[-1] for ref in _refs(doc) if "/schemas/" in ref}:
        assert target in schemas, target
    for operation_id, operation in doc["operations"].items():
        if operation["action"] == "send" and operation["channel"]["$ref"].endswith("Events"):
            service = operation_id.removesuffix("Sends")
            for ref in operation["messages"]:
                assert service in PRODUCERS[ref["$ref"].split("/")[-1]]
    assert "$defs" not in text  # every reference points into components


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("service", sorted(set(RECEIVES) - {"audit"}))
def test_what_the_document_says_a_service_receives_is_what_it_handles(service: str) -> None:
    assert set(_handled_by(service)) == RECEIVES[service]


def _handled_by(service: str) -> set[str]:
    if service == "import":  # motcua import-legacy only sends
        return set()
    if service == "operations":
        from motcua_operations.handlers import operations_stage
        return set(operations_stage().handlers)
    if service == "intake":
        from motcua_intake.handlers import intake_stage
        from tests.intake.test_handlers import INTAKE
        return set(intake_stage(INTAKE).handlers)
    if service == "appraisal":
        from motcua_appraisal.handlers import appraisal_stage
        from tests.appraisal.test_handlers import APPRAISAL
        return set(appraisal_stage(APPRAISAL).handlers)
    if service == "approval":
        from motcua_approval.handlers import approval_stage
        from tests.approval.test_handlers import BY_OFFICERS
        return set(approval_stage(BY_OFFICERS).handlers)
    if service == "signing":
        from motcua_signing.handlers import signing_stage
        from tests.signing.test_handlers import BY_OFFICERS as SIGNING
        return set(signing_stage(SIGNING).handlers)
    from motcua_delivery.handlers import delivery_stage
    from tests.delivery.test_handlers import DELIVERY
    return set(delivery_stage(DELIVERY).handlers)


def test_motcua_contracts_prints_and_writes_both(tmp_path: Path, capsys) -> None:
    from motcua_cli.main import main as motcua

    assert motcua(["contracts", "asyncapi"]) == 0
    assert json.loads(capsys.readouterr().out) == document()
    assert motcua(["contracts", "schemas", "--write", str(tmp_path)]) == 0
    written = {path.name for path in tmp_path.glob("*.json")}
    assert written == {f"{name}.json" for name in EVENT_TYPES} | {"dossier.events.json"}
    assert json.loads((tmp_path / "FeesPaid.json").read_text())["$id"].endswith("FeesPaid")


def test_the_event_catalogue_in_docs_matches_the_contracts() -> None:
    from motcua_contracts import event_catalogue

    assert event_catalogue.DOCUMENT_PATH.read_text(encoding="utf-8") == event_catalogue.render(), (
        "run `python -m motcua_contracts.event_catalogue --write` and review the diff")
    text = event_catalogue.render()
    for name in EVENT_TYPES:
        assert f"### {name}\n" in text
