"""JSON Schema snapshots of the dossier topic's contract, committed in `libs/contracts/schemas/`.

Agencies code against these documents, so a contract change must be deliberate and reviewed: a
test fails until the snapshots are rewritten, and the rewrite shows up as a diff in review. Adding
an optional field is compatible (readers are tolerant); renaming, removing or retyping a field is
breaking and needs a new `schema_version` (with an upcaster for the old one).

    python -m motcua_contracts.schemas --check   # exit 1 and list the snapshots that differ
    python -m motcua_contracts.schemas --write   # rewrite them, then review the diff
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from motcua_contracts.topic import DOSSIER_TOPIC, EVENT_ADAPTER, EVENT_TYPES

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "schemas"
Schema = dict[str, Any]  # one JSON Schema document


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic writes
ID_PREFIX = "urn:motcua:contracts:"  # a name, not an address: nothing is fetched from it


def identified(name: str, schema: Schema) -> Schema:
    """The schema with its dialect and a stable id first, so a validator knows which draft it
    reads and a document embedding it can refer to it by name."""
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{ID_PREFIX}{name}", **schema}


def schemas() -> dict[str, Schema]:
    """File name -> JSON Schema: one per event type, and the union of everything on the topic."""
    produced = {f"{name}.json": identified(name, cls.model_json_schema())
                for name, cls in EVENT_TYPES.items()}
    produced[f"{DOSSIER_TOPIC}.json"] = identified(DOSSIER_TOPIC, EVENT_ADAPTER.json_schema())
    return produced


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def differences(produced: Mapping[str, Schema] | None = None,
                directory: Path = SNAPSHOT_DIR) -> list[str]:
    """Snapshots that are missing, differ from `produced` (default: the code), or are left over."""
    produced = schemas() if produced is None else produced
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.json")}
    changed = {name for name, schema in produced.items() if on_disk.get(name) != render(schema)}
    return sorted(changed | (on_disk.keys() - produced.keys()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua_contracts.schemas")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the snapshots from the code")
    mode.add_argument("--check", action="store_true", help="exit 1 if a snapshot differs")
    parser.add_argument("--dir", type=Path, default=SNAPSHOT_DIR, help="snapshot directory")
    args = parser.parse_args(argv)
    produced, changed = schemas(), differences(directory=args.dir)
    if args.write:
        args.dir.mkdir(parents=True, exist_ok=True)
        for name in changed:
            if name in produced:
                (args.dir / name).write_text(render(produced[name]), encoding="utf-8")
            else:  # the snapshot of an event type that no longer exists
                (args.dir / name).unlink()
        return 0
    if changed:
        print("These snapshots differ from the code:", *changed, sep="\n  ", file=sys.stderr)
        print("Run `python -m motcua_contracts.schemas --write`; review the diff.", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
