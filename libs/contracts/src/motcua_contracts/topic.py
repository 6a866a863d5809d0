"""The dossier topic: its name, the union of every event on it, the Kafka headers that let a
consumer skip what it does not handle before parsing a body, and the way to parse a message (its
bytes, or the document a reader parsed already to verify it)."""

from __future__ import annotations

from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter, ValidationError

from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierAppraised,
    DossierTakenOver,
    FeesRequested,
)
from motcua_contracts.approval import DossierApproved, DossierDenied, DossierReturned
from motcua_contracts.dead_letters import DeadLetterResolved
from motcua_contracts.delivery import (
    ResultDelivered,
    ResultHandedToPost,
    ResultPickedUpByPost,
)
from motcua_contracts.envelope import Event
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import (
    DossierAccepted,
    DossierOverdue,
    DossierRated,
    DossierRefused,
    DossierSubmitted,
    FeesPaid,
    PersonalDataErased,
    SupplementExpired,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_contracts.sealed import clear_values
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_contracts.signing import ResultSigned

DOSSIER_TOPIC = "dossier.events"
DLQ_SUFFIX = ".dlq"

DossierEvent = Annotated[
    Union[
        DossierSubmitted,
        DossierAccepted,
        DossierTakenOver,
        DossierRefused,
        SupplementRequested,
        SupplementProvided,
        SupplementExpired,
        FeesRequested,
        FeesPaid,
        ConsultationRequested,
        ConsultationAnswered,
        DossierAppraised,
        DossierReturned,
        DossierApproved,
        DossierDenied,
        ResultSigned,
        ResultHandedToPost,
        ResultPickedUpByPost,
        ResultDelivered,
        DelayApologized,
        DossierOverdue,
        WithdrawalRequested,
        DossierStopped,
        DeadLetterResolved,
        PersonalDataErased,
        DossierRated,
        DossierImported,
    ],
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(DossierEvent)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].default: cls for cls in get_args(get_args(DossierEvent)[0])
}
# The newest schema version of each type that this contracts package understands. A message with
# a higher version goes to the dead-letter topic; an older one is upcast: version 2 of the types
# that carry personal data seals it (motcua_contracts.sealed), version 3 seals the form data too,
# and the older versions, which carried those in clear, are read with the clear values as
# `Sealed` of alg "none".
SCHEMA_VERSIONS: dict[str, int] = {
    name: cls.model_fields["schema_version"].default for name, cls in EVENT_TYPES.items()}


class Headers:
    """Kafka header names. Values are UTF-8 strings."""

    TYPE = "type"
    SCHEMA_VERSION = "schema_version"
    AGENCY = "agency"
    DOSSIER_ID = "dossier_id"
    EVENT_ID = "event_id"
    # The event's `hash` and `causation_hash`, so a consumer follows every dossier's chain
    # without parsing the bodies it skips (motcua_runtime.chains). Absent on a root's cause.
    EVENT_HASH = "event_hash"
    CAUSATION_HASH = "causation_hash"
    # Set on dead-letter records:
    DLQ_REASON = "dlq_reason"
    DLQ_CONSUMER = "dlq_consumer"
    DLQ_TOPIC = "dlq_original_topic"
    DLQ_PARTITION = "dlq_original_partition"
    DLQ_OFFSET = "dlq_original_offset"
    # A dead letter whose value was cut to fit the record limit: the full value's SHA-256 (hex)
    # and size, and "true". The consumer's dead_letters row says which it kept.
    DLQ_VALUE_SHA256 = "dlq_value_sha256"
    DLQ_VALUE_BYTES = "dlq_value_bytes"
    DLQ_TRUNCATED = "dlq_truncated"


class UnsupportedEvent(ValueError):
    """A message that is not a valid event of this contract: the reason says why."""


def headers_for(event: Event) -> list[tuple[str, bytes]]:
    return [
        (Headers.TYPE, event.type.encode()),
        (Headers.SCHEMA_VERSION, str(event.schema_version).encode()),
        (Headers.AGENCY, event.agency.encode()),
        (Headers.DOSSIER_ID, str(event.dossier_id).encode()),
        (Headers.EVENT_ID, str(event.event_id).encode()),
        *([(Headers.EVENT_HASH, event.hash.encode())] if event.hash else []),
        *([(Headers.CAUSATION_HASH, event.causation_hash.encode())]
          if event.causation_hash else []),
        ("content-type", b"application/json"),
    ]


def parse_event(body: bytes) -> Event:
    """Parse and validate one message body, or raise UnsupportedEvent with a readable reason."""
    try:
        event = EVENT_ADAPTER.validate_json(body)
    except ValidationError as error:
        raise _invalid(error) from None
    return _supported(event)


def parse_document(document: dict[str, Any]) -> Event:
    """`parse_event` of a body its reader has parsed already (orjson's dict of it, what a
    consumer verifies): the same checks, without parsing the JSON a second time. The dict of
    plain JSON values validates as its text does (strings for times and ids, numbers, lists)
    and in two thirds of the time of `validate_json` of the bytes (issue 15)."""
    try:
        event = EVENT_ADAPTER.validate_python(document)
    except ValidationError as error:
        raise _invalid(error, _JSON_WORDING) from None
    return _supported(event)


# The reasons pydantic gives in Python terms where the JSON's are clearer ("a valid dictionary or
# instance of Producer"), worded as validate_json words them: a dead letter reads the same
# whichever way its record was validated.
_JSON_WORDING = {"model_type": "Input should be an object",
                 "dict_type": "Input should be an object",
                 "list_type": "Input should be a valid array"}


def _invalid(error: ValidationError, wording: dict[str, str] | None = None) -> UnsupportedEvent:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    message = (wording or {}).get(first["type"], first["msg"])
    return UnsupportedEvent(f"invalid event: {where}: {message}")


def _supported(event: Event) -> Event:
    newest = SCHEMA_VERSIONS[event.type]
    if event.schema_version > newest:
        raise UnsupportedEvent(
            f"{event.type} schema_version {event.schema_version} is newer than {newest}, "
            "the newest this service understands"
        )
    if clear := clear_values(event, event.schema_version):
        raise UnsupportedEvent(f"{event.type} schema_version {event.schema_version} carries "
                               f"personal data in clear ({', '.join(clear)}): it must be sealed")
    return event
