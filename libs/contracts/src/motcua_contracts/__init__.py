"""The shared language of motcua: the event envelope, every event on the dossier topic, and the
national status codes. Pydantic, the standard library and `rfc8785` (canonical JSON) only, so any
agency can depend on it."""

from motcua_contracts.envelope import (
    JCS,
    Event,
    Producer,
    canonical_json,
    event_hash,
    new_event,
    seal,
    uuid7,
)
from motcua_contracts.lifecycle import (
    PRODUCERS,
    ROOTS,
    STATUS_NAMES,
    DossierState,
    IllegalTransition,
    Status,
    advance,
)
from motcua_contracts.topic import (
    DLQ_SUFFIX,
    DOSSIER_TOPIC,
    EVENT_TYPES,
    DossierEvent,
    Headers,
    UnsupportedEvent,
    headers_for,
    parse_document,
    parse_event,
)

__all__ = [
    "DLQ_SUFFIX",
    "DOSSIER_TOPIC",
    "EVENT_TYPES",
    "STATUS_NAMES",
    "DossierEvent",
    "DossierState",
    "Event",
    "Headers",
    "IllegalTransition",
    "JCS",
    "PRODUCERS",
    "ROOTS",
    "Producer",
    "Status",
    "UnsupportedEvent",
    "canonical_json",
    "advance",
    "event_hash",
    "headers_for",
    "new_event",
    "seal",
    "parse_document",
    "parse_event",
    "uuid7",
]
