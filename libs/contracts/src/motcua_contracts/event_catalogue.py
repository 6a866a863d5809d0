"""docs/events.md, the event catalogue for reading, generated from the contracts and checked
against them by a test like the schemas and the AsyncAPI document:

    python -m motcua_contracts.event_catalogue --check   # exit 1 when docs/events.md differs
    python -m motcua_contracts.event_catalogue --write   # rewrite it, then review the diff

Reads only motcua_contracts: EVENT_TYPES (classes, docstrings), the topic union's JSON Schema
($defs), lifecycle.PRODUCERS (who may send), asyncapi.RECEIVES (who receives it),
topic.SCHEMA_VERSIONS and topic.Headers."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from motcua_contracts.asyncapi import RECEIVES
from motcua_contracts.envelope import Event
from motcua_contracts.lifecycle import PRODUCERS
from motcua_contracts.topic import (
    DLQ_SUFFIX,
    DOSSIER_TOPIC,
    EVENT_ADAPTER,
    EVENT_TYPES,
    SCHEMA_VERSIONS,
    Headers,
)

# The repository's docs/ when run from a checkout (an installed wheel has no docs to check).
DOCUMENT_PATH = Path(__file__).resolve().parents[4] / "docs" / "events.md"
UNION = EVENT_ADAPTER.json_schema()
DEFS: dict[str, Any] = UNION["$defs"]
ENVELOPE_FIELDS = set(Event.model_fields)
EVERYONE = {name for name, types in RECEIVES.items() if types == frozenset(EVENT_TYPES)}


def cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type for a JSON Schema fragment."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    if "enum" in schema:
        return " \\| ".join(f'`"{value}"`' for value in schema["enum"])
    if "anyOf" in schema:
        parts = [type_of(part) for part in schema["anyOf"]]
        return " or ".join(parts)
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"object of {type_of(extra)}"
        return "object"
    if kind == "null":
        return "null"
    if kind is None:
        return "any"
    text = kind
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def constraints(schema: dict[str, Any]) -> str:
    words = []
    for key, label in (("minLength", "min length"), ("maxLength", "max length"),
                       ("minimum", "≥"), ("maximum", "≤"), ("minItems", "min items"),
                       ("maxItems", "max items"), ("pattern", "pattern")):
        value = schema.get(key)
        if value is None:
            for part in schema.get("anyOf", []):
                if key in part:
                    value = part[key]
        if value is not None:
            words.append(f"{label} `{value}`" if key == "pattern" else f"{label} {value}")
    return ", ".join(words)


def field_rows(schema: dict[str, Any], *, skip: AbstractSet[str] = frozenset()) -> list[str]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        if name in skip:
            continue
        need = "yes" if name in required else (
            f"no (default `{json.dumps(prop['default'], ensure_ascii=False)}`)"
            if "default" in prop and prop["default"] not in ([], {})
            else "no")
        limits = constraints(prop)
        description = prop.get("description", "")
        if limits:
            description = f"{description} ({limits})" if description else limits
        rows.append(f"| `{name}` | {type_of(prop)} | {need} | {cell(description)} |")
    return rows


def table(rows: list[str]) -> list[str]:
    if not rows:
        return ["(no fields besides the envelope)", ""]
    return ["| field | type | required | description |", "|---|---|---|---|", *rows, ""]


def receivers(name: str) -> list[str]:
    acting = sorted(s for s, types in RECEIVES.items() if name in types and s not in EVERYONE)
    return acting


def doc_of(cls: type) -> str:
    return inspect.cleandoc(cls.__doc__ or "")


def render() -> str:
    out: list[str] = []
    w = out.append
    w("<!-- Generated from libs/contracts (EVENT_TYPES, PRODUCERS, RECEIVES); do not edit by "
      "hand: change the contracts and regenerate. -->")
    w("# Event catalogue")
    w("")
    w("Generated from the contracts in `libs/contracts` (the equivalent of "
      "`python -m motcua_contracts.asyncapi --print`, rendered for reading): each event type's "
      "docstring, fields and descriptions, who may send it (`motcua_contracts.lifecycle."
      "PRODUCERS`, which every consumer enforces) and who receives it "
      "(`motcua_contracts.asyncapi.RECEIVES`, which a test holds equal to each service's "
      "handlers). The machine-readable contract is `libs/contracts/asyncapi.json` (AsyncAPI "
      "3.0) and `libs/contracts/schemas/` (one JSON Schema per type, and "
      f"`{DOSSIER_TOPIC}.json` for the whole topic); `motcua contracts asyncapi|schemas` prints "
      "or writes them. The envelope, hashing and signatures are explained in "
      "[architecture.md](architecture.md#the-envelope).")
    w("")
    w("## The topic")
    w("")
    w(f"- Topic `{DOSSIER_TOPIC}`: every event of every dossier, retention forever, 12 "
      "partitions (`motcua topics --partitions`). The record key is the dossier id (UTF-8 text "
      "of the UUID), so a dossier's events stay in order on one partition.")
    w(f"- Dead-letter topic `{DOSSIER_TOPIC}{DLQ_SUFFIX}`: records a consumer could not apply, "
      "with their original key, bytes and headers, plus the headers below.")
    w(f"- `{'`, `'.join(sorted(EVERYONE))}` receive every event type (the audit archive stores "
      "it; intake's tracking view and the operations view fold it through the lifecycle "
      "rules); the tables below also name the other services that receive a type.")
    w("")
    w("Headers on every record (values UTF-8), read before the body so that a consumer skips "
      "what it does not handle without parsing it:")
    w("")
    w("| header | value |")
    w("|---|---|")
    w(f"| `{Headers.TYPE}` | the event type (equal to the body's `type`) |")
    w(f"| `{Headers.SCHEMA_VERSION}` | the body's schema version, decimal |")
    w(f"| `{Headers.AGENCY}` | the agency the event is addressed to (per-agency instances act on "
      "their own only) |")
    w(f"| `{Headers.DOSSIER_ID}` | the dossier id (also the key) |")
    w(f"| `{Headers.EVENT_ID}` | the event id (the consumers' inbox key) |")
    w(f"| `{Headers.EVENT_HASH}` | the body's `hash` (consumers follow each dossier's chain "
      "by it) |")
    w(f"| `{Headers.CAUSATION_HASH}` | the body's `causation_hash`; absent on a root |")
    w("| `content-type` | `application/json` |")
    w("| `traceparent`, `tracestate` | W3C trace context of the publishing span |")
    w("")
    w("Added on dead-letter records:")
    w("")
    w("| header | value |")
    w("|---|---|")
    w(f"| `{Headers.DLQ_REASON}` | why the record was refused (`signature: ...`, `key: ...`, "
      "`hash: ...`, `entitlement: ...`, `invalid event: ...`, a handler's refusal) |")
    w(f"| `{Headers.DLQ_CONSUMER}` | the consumer group that refused it |")
    w(f"| `{Headers.DLQ_TOPIC}`, `{Headers.DLQ_PARTITION}`, `{Headers.DLQ_OFFSET}` | where it "
      "was read |")
    w("")
    w("## Summary")
    w("")
    w("| type | schema version | sent by | also received by (besides "
      + ", ".join(sorted(EVERYONE)) + ") |")
    w("|---|---|---|---|")
    for name in EVENT_TYPES:
        sent = ", ".join(sorted(PRODUCERS.get(name, ()))) or "—"
        acting = ", ".join(receivers(name)) or "—"
        w(f"| [{name}](#{name.lower()}) | {SCHEMA_VERSIONS[name]} | {sent} | {acting} |")
    w("")
    w("## The envelope")
    w("")
    w("Every event carries these fields (`motcua_contracts.envelope.Event`); the sections below "
      "list only each type's own fields.")
    w("")
    out.extend(table(field_rows(Event.model_json_schema())))
    w("### Producer")
    w("")
    w(cell(DEFS["Producer"].get("description", "")))
    w("")
    out.extend(table(field_rows(DEFS["Producer"])))
    w("## Event types")
    w("")
    for name, cls in EVENT_TYPES.items():
        schema = DEFS[name]
        w(f"### {name}")
        w("")
        w(doc_of(cls))
        w("")
        sent = ", ".join(f"`{s}`" for s in sorted(PRODUCERS.get(name, ()))) or "nobody"
        acting = ", ".join(f"`{s}`" for s in receivers(name)) or "no other service"
        w(f"- Sent by: {sent}. Received by: every reader of the whole topic "
          f"({', '.join(sorted(EVERYONE))}), and {acting}.")
        w(f"- Schema version {SCHEMA_VERSIONS[name]}; JSON Schema "
          f"`libs/contracts/schemas/{name}.json`; Python `{cls.__module__}.{name}`.")
        w("")
        out.extend(table(field_rows(schema, skip=ENVELOPE_FIELDS)))
    w("## Shared structures")
    w("")
    w("Models the event types use (the `$defs` of `libs/contracts/schemas/"
      f"{DOSSIER_TOPIC}.json`).")
    w("")
    for name, schema in sorted(DEFS.items()):
        if name in EVENT_TYPES or name == "Producer":
            continue
        w(f"### {name}")
        w("")
        if schema.get("description"):
            w(cell(schema["description"]))
            w("")
        out.extend(table(field_rows(schema)))
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua_contracts.event_catalogue")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite docs/events.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if it differs from the code")
    mode.add_argument("--print", action="store_true", help="print the catalogue")
    parser.add_argument("--path", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    text = render()
    if args.print:
        sys.stdout.write(text)
    elif args.write:
        args.path.write_text(text, encoding="utf-8")
    elif not args.path.exists() or args.path.read_text(encoding="utf-8") != text:
        print(f"{args.path} differs from the contracts. Run `python -m "
              "motcua_contracts.event_catalogue --write`; review the diff.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
