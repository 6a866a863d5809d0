"""The AsyncAPI 3.0 document of the dossier topic, generated from the contracts.

One channel for `dossier.events` with every event type as a message (its payload schema, its
Kafka key and headers), one for the dead-letter topic, and for each service the operations it
receives and sends. Like the JSON Schema snapshots it is committed (`libs/contracts/asyncapi.json`)
so that agencies code against a reviewed document, and a test fails when the code drifts:

    python -m motcua_contracts.asyncapi --check   # exit 1 when the committed document differs
    python -m motcua_contracts.asyncapi --write   # rewrite it, then review the diff

Who sends each type is the lifecycle's `PRODUCERS` (the rule consumers enforce); who receives it
is `RECEIVES` below, which a test holds equal to each service's handlers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from motcua_contracts.envelope import Event
from motcua_contracts.lifecycle import PRODUCERS
from motcua_contracts.topic import (
    DLQ_SUFFIX,
    DOSSIER_TOPIC,
    EVENT_ADAPTER,
    EVENT_TYPES,
    Headers,
)

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"
TITLE = "motcua dossier events"

# The event types each service's consumer acts on. The audit archive and the operations view
# read every record; every consumer may send what it cannot apply to the dead-letter topic.
_EVERYTHING = frozenset(EVENT_TYPES)
RECEIVES: dict[str, frozenset[str]] = {
    "intake": _EVERYTHING,  # its tracking view folds every event
    "appraisal": frozenset({
        "DossierAccepted", "DossierReturned", "SupplementProvided", "SupplementExpired",
        "FeesPaid", "ConsultationRequested", "ConsultationAnswered", "WithdrawalRequested",
        "DossierStopped", "DossierImported"}),
    "approval": frozenset({"DossierAppraised", "DossierStopped"}),
    "signing": frozenset({"DossierApproved", "DossierDenied", "DossierStopped"}),
    "delivery": frozenset({"ResultSigned", "ResultHandedToPost", "DossierImported"}),
    "audit": _EVERYTHING,
    "operations": _EVERYTHING,
    # `motcua import-legacy` receives nothing: it only sends the dossiers it brings in.
    "import": frozenset(),
}
SERVICES = tuple(RECEIVES)


def _sends(service: str) -> list[str]:
    return sorted(name for name in EVENT_TYPES if service in PRODUCERS.get(name, ()))


def _headers_schema(event_type: str | None) -> dict[str, Any]:
    """The Kafka headers every record carries: what a consumer reads before the body."""
    def text(description: str, **extra: Any) -> dict[str, Any]:
        return {"type": "string", "description": description, **extra}

    properties = {
        Headers.TYPE: text("The event type, equal to the body's `type`: consumers skip what they "
                           "do not handle by this header alone.",
                           **({"const": event_type} if event_type else {})),
        Headers.SCHEMA_VERSION: text("The body's schema version, as a decimal string."),
        Headers.AGENCY: text("The competent agency's code: per-agency instances of a stage act "
                             "only on their own agency's records."),
        Headers.DOSSIER_ID: text("The dossier's id (also the record key).", format="uuid"),
        Headers.EVENT_ID: text("The event's id (the consumers' inbox key).", format="uuid"),
        Headers.EVENT_HASH: text("The body's `hash`: consumers follow each dossier's chain by "
                                 "it without parsing what they skip.", pattern="^[0-9a-f]{64}$"),
        Headers.CAUSATION_HASH: text("The body's `causation_hash`; absent on a dossier's "
                                     "root (DossierSubmitted).", pattern="^[0-9a-f]{64}$"),
        "traceparent": text("W3C trace context of the span that published the record."),
        "tracestate": text("W3C trace state, when the tracer sets one."),
    }
    return {"type": "object", "properties": properties,
            "required": [Headers.TYPE, Headers.SCHEMA_VERSION, Headers.DOSSIER_ID,
                         Headers.EVENT_ID]}


def _summary(cls: type[Event]) -> str:
    doc = (cls.__doc__ or cls.__name__).strip()
    return " ".join(doc.split("\n\n")[0].split())


def _message(name: str, cls: type[Event]) -> dict[str, Any]:
    return {
        "name": name,
        "title": name,
        "summary": _summary(cls),
        "contentType": "application/json",
        "headers": _headers_schema(name),
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "bindings": {"kafka": {
            "key": {"type": "string", "format": "uuid",
                    "description": "The dossier id: one partition per dossier keeps its events "
                                   "in order."},
            "bindingVersion": "0.5.0"}},
    }


def _dead_letter_message() -> dict[str, Any]:
    headers = _headers_schema(None)
    headers["properties"].update({
        Headers.DLQ_REASON: {"type": "string", "description": "Why the record was refused."},
        Headers.DLQ_CONSUMER: {"type": "string",
                               "description": "The consumer group that refused it."},
        Headers.DLQ_TOPIC: {"type": "string", "description": "The topic it was read from."},
        Headers.DLQ_PARTITION: {"type": "string", "description": "Its partition there."},
        Headers.DLQ_OFFSET: {"type": "string", "description": "Its offset there."},
    })
    headers["required"] = [Headers.DLQ_REASON, Headers.DLQ_CONSUMER, Headers.DLQ_TOPIC]
    return {
        "name": "DeadLetter",
        "title": "A record a consumer could not apply",
        "summary": "The refused record's own key, bytes and headers, with the reason and where "
                   "it was read; the bytes may be anything, valid JSON or not.",
        "contentType": "application/octet-stream",
        "headers": headers,
        "payload": {"type": "string", "format": "binary",
                    "description": "The original record's value, untouched."},
    }


def _schemas() -> dict[str, Any]:
    """Every event model and what they use, referenced as `#/components/schemas/<Model>`."""
    union = EVENT_ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
    return dict(sorted(union["$defs"].items()))


def _operation(service: str, action: str, channel: str, names: list[str]) -> dict[str, Any]:
    verb = "receives" if action == "receive" else "sends"
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": f"{service} {verb} " + (", ".join(names) if len(names) < 6
                                            else f"{len(names)} event types"),
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names],
    }


def document() -> dict[str, Any]:
    messages = {name: _message(name, cls) for name, cls in sorted(EVENT_TYPES.items())}
    operations: dict[str, Any] = {}
    for service in SERVICES:
        receives = sorted(RECEIVES[service])
        operations[f"{service}Receives"] = _operation(service, "receive", "dossierEvents",
                                                      receives)
        if sends := _sends(service):
            operations[f"{service}Sends"] = _operation(service, "send", "dossierEvents", sends)
        if service != "audit":  # the archive verifies nothing, so it refuses nothing
            operations[f"{service}SendsDeadLetters"] = _operation(
                service, "send", "deadLetters", ["DeadLetter"])
    operations["auditReceivesDeadLetters"] = _operation("audit", "receive", "deadLetters",
                                                        ["DeadLetter"])
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": TITLE,
            "version": "1.0.0",
            "description": (
                "The one topic every stage of the one-stop centre consumes and emits. Each "
                "record is one signed, hash-linked event of a dossier, keyed by the dossier id, "
                "its body the event as JSON; `hash` and `signature` are computed over the "
                "event's canonical JSON (RFC 8785, named by its `canonicalization` field), so "
                "any language's JCS library verifies them (docs/architecture.md)."),
            "license": {"name": "Apache-2.0",
                        "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {"host": "127.0.0.1:9092", "protocol": "kafka",
                         "description": "`motcua up`'s embedded broker (Tansu, memory)."},
            "production": {"host": "kafka:9092", "protocol": "kafka",
                           "description": "The province's Kafka cluster (docker-compose.yml)."},
        },
        "channels": {
            "dossierEvents": {
                "address": DOSSIER_TOPIC,
                "title": "Dossier events",
                "description": "Every event of every dossier, kept forever.",
                "messages": messages,
                "bindings": {"kafka": {"topic": DOSSIER_TOPIC, "partitions": 12,
                                       "topicConfiguration": {"retention.ms": -1},
                                       "bindingVersion": "0.5.0"}},
            },
            "deadLetters": {
                "address": DOSSIER_TOPIC + DLQ_SUFFIX,
                "title": "Dead letters",
                "description": "Records a consumer could not apply, with the reason.",
                "messages": {"DeadLetter": _dead_letter_message()},
            },
        },
        "operations": operations,
        "components": {"schemas": _schemas()},
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def differs(path: Path = DOCUMENT_PATH) -> bool:
    return not path.exists() or path.read_text(encoding="utf-8") != render(document())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua_contracts.asyncapi")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the committed document")
    mode.add_argument("--check", action="store_true", help="exit 1 if it differs from the code")
    mode.add_argument("--print", action="store_true", help="print the document")
    parser.add_argument("--path", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    if args.print:
        sys.stdout.write(render(document()))
        return 0
    if args.write:
        args.path.write_text(render(document()), encoding="utf-8")
        return 0
    if differs(args.path):
        print(f"{args.path} differs from the code. Run `python -m motcua_contracts.asyncapi "
              "--write`; review the diff.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
