"""Raw Kafka records as the consumer reads them: bytes in, an event or the reason it is not one
out, one record at a time; the key a dead letter takes in the inbox; and the copy of a dead
letter that goes to the dead-letter topic.

Why raw: FastStream decodes every body of a batch before the handler runs when a record says
`content-type: application/json` (anyone can set it), and its parser decodes every header as
strict UTF-8. One bad record then fails the whole batch, and with manual acks the next commit
moves past the good records fetched with it. So the subscriber gets a parser and a decoder that
cannot fail (`raw_batch`, `raw_bodies`), and `read_event` judges each record alone."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord

from motcua_contracts import Event, Headers, UnsupportedEvent, parse_document
from motcua_runtime.kafka import max_message_bytes
from motcua_runtime.trust import Verifier

# What is kept of a value too large to copy whole into a dead letter: enough to see what it was.
TRUNCATED_VALUE_BYTES = 4 * 1024
# Headers and key of a dead letter's copy are cut to these (an attacker may make them huge too).
KEPT_HEADER_BYTES = 16 * 1024
KEPT_KEY_BYTES = 1024
# Room under the record limit for Kafka's framing, the relay's trace headers and our dlq_* headers
# (the reason is cut to 4 KiB).
_DLQ_MARGIN_BYTES = 8 * 1024
# The headers every event carries (motcua_contracts.headers_for) and the body field each names.
_ENVELOPE_HEADERS = {Headers.TYPE: "type", Headers.SCHEMA_VERSION: "schema_version",
                     Headers.AGENCY: "agency", Headers.DOSSIER_ID: "dossier_id",
                     Headers.EVENT_ID: "event_id"}
_CONTENT_NAMESPACE = uuid.UUID("5b0e7f52-2d8c-4c1e-8f0a-3a6e9d41c7b2")


# ---------------------------------------------------------------- the subscriber's codec

async def raw_batch(records: tuple[ConsumerRecord, ...],
                    original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's batch parser, except that a header that is not UTF-8 (or is null) does not
    fail the batch: the message is built from copies with such headers blanked, and keeps the
    original records as its `raw_message` (what the processor reads)."""
    try:
        return await original(records)
    except Exception:  # noqa: BLE001 - a header not UTF-8, or a null one (Kafka allows it)
        message = await original(tuple(_utf8_headers_only(record) for record in records))
        message.raw_message = records
        return message


async def raw_bodies(message: Any) -> list[bytes]:
    """The batch decoder: the bodies as they came. Never parses, so it never fails."""
    return [record.value or b"" for record in message.raw_message]


def _utf8_headers_only(record: ConsumerRecord) -> ConsumerRecord:
    def readable(value: bytes) -> bytes:
        try:
            value.decode()
            return value
        except UnicodeDecodeError:
            return b""
    return dataclasses.replace(record, headers=tuple(
        (name, readable(value or b"")) for name, value in record.headers))


# ---------------------------------------------------------------- reading one record

_UNPARSED: Any = object()  # RecordHeaders.dossier_id before the consumer parses it


@dataclasses.dataclass
class RecordHeaders:
    """A record's headers as text, and the first one that is not UTF-8 (its name), if any.
    `dossier_id`: the dossier header parsed, once the consumer did (None if it is no UUID): it
    is asked for twice per record of a batch, and a UUID's parse is a tenth of what a skipped
    record costs (issue 15)."""

    values: dict[str, str]
    not_utf8: str | None
    dossier_id: uuid.UUID | None = dataclasses.field(default=_UNPARSED, compare=False)

    @classmethod
    def of(cls, record: ConsumerRecord) -> RecordHeaders:
        try:  # every record we produce: all UTF-8, decoded in one comprehension
            return cls({name: (value or b"").decode() for name, value in record.headers}, None)
        except UnicodeDecodeError:
            pass
        values: dict[str, str] = {}
        not_utf8 = None
        for name, value in record.headers:
            try:
                values[name] = (value or b"").decode()
            except UnicodeDecodeError:
                not_utf8 = not_utf8 or name
        return cls(values, not_utf8)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def read_event(record: ConsumerRecord, headers: RecordHeaders,
               verifier: Verifier, limit: int | None = None) -> Event | str:
    """The record's event if it may be acted on, else why not. Catches everything: whatever a
    record holds, the answer is one of the two, never an exception that fails the batch.
    `limit`: the record limit (KAFKA_MAX_MESSAGE_BYTES), if the caller looked it up already."""
    try:
        return _read(record, headers, verifier, limit)
    except Exception as error:  # noqa: BLE001 - any surprise is this record's, not the batch's
        return f"unreadable record: {type(error).__name__}: {error}"


def _read(record: ConsumerRecord, headers: RecordHeaders, verifier: Verifier,
          limit: int | None) -> Event | str:
    if headers.not_utf8 is not None:
        return f"header {headers.not_utf8!r} is not UTF-8"
    value = record.value or b""
    limit = limit or max_message_bytes()
    if len(value) > limit:
        # Not ours: nothing we produce is that large, and what a handler would do with it (its
        # outbox rows, its dead letter) could not be published whole.
        return (f"record of {len(value)} bytes is over the record limit of {limit} "
                "(KAFKA_MAX_MESSAGE_BYTES)")
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        return f"invalid JSON: {error}"
    if not isinstance(document, dict):
        return f"not a JSON object: {type(document).__name__}"
    missing = [name for name in _ENVELOPE_HEADERS if name not in headers.values]
    if missing:
        return f"missing header(s): {', '.join(missing)}"
    try:
        # The document just parsed, not the bytes again: what is validated is what is verified.
        event = parse_document(document)
    except UnsupportedEvent as error:  # not a valid event, or a newer schema_version
        return str(error)
    for name, field in _ENVELOPE_HEADERS.items():
        said = headers.values[name]
        if said != str(getattr(event, field)):
            return (f"{name} header {said!r} does not match the body's {field} "
                    f"{str(getattr(event, field))!r}")
    verdict = verifier.check(document, event.occurred_at)
    if verdict is not None:
        return str(verdict)
    # The chain headers are optional (records written before them), but never contradict the
    # (verified) body.
    for name, said_body in ((Headers.EVENT_HASH, event.hash),
                            (Headers.CAUSATION_HASH, event.causation_hash)):
        chain_said = headers.values.get(name)
        if chain_said is not None and chain_said != said_body:
            return f"{name} header {chain_said!r} does not match the body's {said_body!r}"
    return event


def content_id(record: ConsumerRecord, consumer: str) -> uuid.UUID:
    """The inbox key of a record that cannot be trusted: a hash of its key, value and headers
    (and of the consumer group, so each consumer records it even in a shared schema). Never
    its offset: a broker that lost its storage hands the same offsets out again. An identical
    copy is a redelivery, and is not dead-lettered twice."""
    return uuid.uuid5(_CONTENT_NAMESPACE, f"{consumer}:{record_sha256(record)}")


def record_sha256(record: ConsumerRecord) -> str:
    digest = hashlib.sha256()
    for part in (record.key, record.value):
        _length_prefixed(digest, part)
    for name, value in record.headers:
        _length_prefixed(digest, name.encode())
        _length_prefixed(digest, value)
    return digest.hexdigest()


def _length_prefixed(digest: Any, part: bytes | None) -> None:
    # Length-prefixed, so that moving bytes from one part to the next changes the hash; None and
    # b"" differ too.
    if part is None:
        digest.update(b"\xff" * 8)
    else:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)


# ---------------------------------------------------------------- the dead letter's copy

@dataclasses.dataclass(frozen=True)
class Kept:
    """What a dead letter keeps of its record: the key, the value (whole, or its first 4 KiB if
    it would not fit the record limit) and the headers, with the dlq_value_* headers saying which.
    The same bytes go to the dead-letter topic and into the dead_letters table."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    truncated: bool


def kept_copy(record: ConsumerRecord, limit: int | None = None) -> Kept:
    value = record.value or b""
    key = record.key
    headers: list[tuple[str, bytes]] = []
    header_bytes = 0
    cut = False
    for name, header_value in record.headers:
        size = len(name) + len(header_value or b"")
        if header_bytes + size > KEPT_HEADER_BYTES:
            cut = True
            continue
        headers.append((name, header_value or b""))
        header_bytes += size
    if key is not None and len(key) > KEPT_KEY_BYTES:
        key, cut = key[:KEPT_KEY_BYTES], True
    room = (limit or max_message_bytes()) - _DLQ_MARGIN_BYTES - header_bytes - len(key or b"")
    kept_value = value
    if len(value) > room:
        kept_value, cut = value[:TRUNCATED_VALUE_BYTES], True
    headers += [(Headers.DLQ_VALUE_SHA256, hashlib.sha256(value).hexdigest().encode()),
                (Headers.DLQ_VALUE_BYTES, str(len(value)).encode()),
                (Headers.DLQ_TRUNCATED, b"true" if cut else b"false")]
    return Kept(key, kept_value, headers, cut)
