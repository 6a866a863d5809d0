"""The committed JSON Schema snapshots are the contract other agencies code against: they must
match the code, and every field in them must say what it means."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from motcua_contracts.schemas import SNAPSHOT_DIR, differences, main, render, schemas
from motcua_contracts.topic import EVENT_TYPES

WRITE_COMMAND = "python -m motcua_contracts.schemas --write"


def undescribed_fields(schema: dict[str, Any]) -> list[str]:
    """`Model.field` for every property, at any depth ($defs included), without a description."""

    def walk(node: Any, model: str) -> Iterator[str]:
        if isinstance(node, dict):
            model = node.get("title", model) if "properties" in node else model
            for name, prop in node.get("properties", {}).items():
                if not (isinstance(prop, dict) and prop.get("description")):
                    yield f"{model}.{name}"
            for value in node.values():
                yield from walk(value, model)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value, model)

    return sorted(set(walk(schema, schema.get("title", "?"))))


def test_there_is_a_snapshot_per_event_type_and_one_for_the_topic():
    assert set(schemas()) == {f"{name}.json" for name in EVENT_TYPES} | {"dossier.events.json"}


def test_committed_snapshots_match_the_code():
    changed = differences()
    assert not changed, (
        f"JSON Schema snapshots in {SNAPSHOT_DIR} differ from the contracts: {changed}. "
        f"If the change is deliberate, run `{WRITE_COMMAND}` and review the diff; a renamed, "
        "removed or retyped field needs a new schema_version.")


def test_snapshots_are_rendered_with_sorted_keys_indent_2_and_a_trailing_newline():
    text = (SNAPSHOT_DIR / "DossierAccepted.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.splitlines()[1].startswith('  "')
    assert text == render(schemas()["DossierAccepted.json"])
    keys = [line.split('"')[1] for line in text.splitlines() if line.startswith('  "')]
    assert keys == sorted(keys)


def test_a_renamed_field_is_caught_by_the_snapshot_comparison():
    produced = copy.deepcopy(schemas())
    refused = produced["DossierRefused.json"]
    refused["properties"]["refusal_reason"] = refused["properties"].pop("reason")
    refused["required"] = ["refusal_reason" if r == "reason" else r for r in refused["required"]]

    assert differences(produced) == ["DossierRefused.json"]


def test_a_new_description_alone_is_caught_too():
    produced = copy.deepcopy(schemas())
    produced["ResultDelivered.json"]["properties"]["on_time"]["description"] = "changed"

    assert differences(produced) == ["ResultDelivered.json"]


def test_check_lists_missing_changed_and_left_over_snapshots(tmp_path: Path, capsys):
    assert main(["--write", "--dir", str(tmp_path)]) == 0
    (tmp_path / "DossierApproved.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "ResultSigned.json").unlink()
    (tmp_path / "DossierWithdrawn.json").write_text("{}\n", encoding="utf-8")

    assert main(["--check", "--dir", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    for name in ("DossierApproved.json", "ResultSigned.json", "DossierWithdrawn.json"):
        assert name in err
    assert "DossierAccepted.json" not in err
    assert WRITE_COMMAND in err


def test_write_makes_check_pass_and_removes_snapshots_of_vanished_types(tmp_path: Path):
    (tmp_path / "DossierWithdrawn.json").write_text("{}\n", encoding="utf-8")

    assert main(["--write", "--dir", str(tmp_path)]) == 0

    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(schemas())


def test_undescribed_fields_finds_a_nested_field_without_description():
    schema = copy.deepcopy(schemas()["DossierAccepted.json"])
    del schema["$defs"]["DossierFacts"]["properties"]["code"]["description"]

    assert "DossierFacts.code" in undescribed_fields(schema)


def test_every_field_of_every_event_is_described():
    missing = {name: undescribed_fields(schema) for name, schema in schemas().items()}

    assert {name: fields for name, fields in missing.items() if fields} == {}
