"""The envelope every event on the dossier topic carries, and how an event is built and hashed.

The hash is SHA-256 over the canonical JSON of the event without its `hash` and `signature`:
RFC 8785 (the JSON Canonicalization Scheme, JCS), so that an agency verifying in Java, Go or
JavaScript with any JCS library gets the same bytes, floats and non-BMP keys included. Events
written before JCS carry no `canonicalization` field and keep verifying in the form they were
signed in (keys sorted by code point, no whitespace, UTF-8, Python's float text): the marker is
itself signed, so it cannot be stripped to downgrade an event. Each event also
carries the hash of the event that caused it, so a dossier's history is a hash-linked chain an
auditor can walk. The producer signs those same canonical bytes (Ed25519; the key, the registry
and verification live in motcua_runtime.keys and .trust): `sign` below is the producer's key,
passed in as a function so that the contracts need no crypto library.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import rfc8785
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from motcua_contracts.json_types import JsonInt

# The value of `canonicalization` on every event written since RFC 8785 was adopted.
JCS = "RFC8785"


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then randomness.

    Python 3.11 has no uuid7; time order keeps outbox and inbox indexes append-mostly."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


class Producer(BaseModel):
    """Who emitted an event: the stage service, the agency instance it ran for, and its key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    service: str = Field(description="Stage service that emitted the event.",
                         examples=["appraisal"])
    agency: str | None = Field(
        default=None,
        description="Agency code of the emitting instance; null for an instance serving all "
        "agencies.",
        examples=["STP"],
    )
    key_id: str | None = Field(
        default=None, description="Id of the key that signed the event, in the key registry."
    )


class Event(BaseModel):
    """Fields common to every event. Subclasses add `type` (a literal) and their payload."""

    # Tolerant reader: a consumer ignores fields it does not know, so producers may add fields
    # without a new schema version. Renaming or removing a field needs a new version.
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(description="Unique id of this event (UUIDv7, time-ordered).")
    type: str = Field(description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = Field(default=1, ge=1, description="Version of this type's schema.")
    dossier_id: uuid.UUID = Field(description="The dossier this event belongs to; the Kafka key.")
    agency: str = Field(
        description="Code of the agency this event is addressed to: the one whose stage instance "
        "acts on it next (the dossier's competent agency).",
        examples=["STP"],
    )
    occurred_at: AwareDatetime = Field(description="When the fact happened, with its offset.")
    canonicalization: str | None = Field(
        default=JCS,
        description="How the event is canonicalised for `hash` and `signature`: `RFC8785` "
                    "(JCS). Absent on events written before: sorted keys by code point, no "
                    "whitespace, UTF-8.",
        examples=[JCS],
    )
    producer: Producer = Field(description="The service instance that emitted the event.")
    actor: str = Field(
        default="auto",
        description="Officer who took the decision, or `auto` for an automatic policy.",
        examples=["auto", "officer:nguyenvana"],
    )
    causation_id: uuid.UUID | None = Field(
        default=None, description="event_id of the event that caused this one; null for a root."
    )
    causation_hash: str | None = Field(
        default=None, description="hash of the causing event: links the dossier's history."
    )
    hash: str | None = Field(
        default=None, description="SHA-256 (hex) of the canonical JSON of this event."
    )
    signature: str | None = Field(
        default=None,
        description="Ed25519 signature (base64) of the producer's key `producer.key_id` over the "
                    "canonical JSON of this event without `hash` and `signature`: the bytes "
                    "whose SHA-256 is `hash`."
    )


E = TypeVar("E", bound=Event)


def field_value(event: Any, name: str) -> Any:
    """The value of the field `name` of an event, None for an event type without it. On a path
    every event takes this is the way to ask: `getattr(event, name, None)` costs 7 µs where the
    type has no such field (pydantic's `__getattr__` formats an AttributeError it then drops),
    when a folding view's budget for a whole event is 300 (issue 15). A model's fields are in
    its `__dict__` (so are a namespace's, which tests pass for events)."""
    return getattr(event, "__dict__", {}).get(name)


_SAFE_INTEGER = 2**53 - 1  # JCS numbers are IEEE doubles: integers beyond are refused
# Python writes a float as ECMAScript does (the shortest digits that read back the same) when it
# is not integral and not below 1e-4 (where Python turns to an exponent, ECMAScript at 1e-6).
_SMALLEST_PLAIN_FLOAT = 1e-4
_JCS_FAST = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                             allow_nan=False)


class _NotPlain(Exception):
    """A value the fast writer cannot be sure to write as RFC 8785 does."""


def _plain(value: Any) -> Any:
    """The document with every value the standard library's JSON writer then writes exactly as
    RFC 8785 does: an integral float as the integer (40.0 is "40", -0.0 is "0"). Raises
    _NotPlain on what it cannot vouch for: keys outside ASCII (JCS sorts them by UTF-16 code
    units, not code points), integers past 2**53, floats under 1e-4 or not finite."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        plain = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _NotPlain
            plain[key] = _plain(item)
        return plain
    if kind is list:
        return [_plain(item) for item in value]
    if kind is int:
        if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            return value
        raise _NotPlain
    if kind is float:
        if value.is_integer():
            if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
                return int(value)
        elif _SMALLEST_PLAIN_FLOAT <= abs(value) < float("inf"):
            return value
    raise _NotPlain


def canonical_json(document: dict[str, Any]) -> bytes:
    """The bytes an event's hash and signature cover: RFC 8785 when the event says so, else the
    form of the events written before it (and of documents that are not events).

    RFC 8785 is written by the standard library's (C) JSON writer after `_plain`, and by the
    rfc8785 package (pure Python, 10 to 20 times slower on an event) only for what `_plain`
    cannot vouch for: every stage signs what it emits and every consumer recomputes these
    bytes, so this is on the path of every event (tests/contracts/test_jcs.py compares the two
    on generated documents)."""
    if document.get("canonicalization") == JCS:
        try:
            return _JCS_FAST.encode(_plain(document)).encode()
        except (_NotPlain, UnicodeEncodeError):  # a lone surrogate cannot be UTF-8
            return rfc8785.dumps(document)
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def event_hash(document: dict[str, Any]) -> str:
    """Hash of an event as received (a JSON object): computed over the raw document, not over a
    re-serialised model, so fields a reader does not know still count."""
    unsigned = {k: v for k, v in document.items() if k not in ("hash", "signature")}
    return hashlib.sha256(canonical_json(unsigned)).hexdigest()


def new_event(
    cls: type[E],
    *,
    dossier_id: uuid.UUID,
    agency: str,
    producer: Producer,
    cause: Event | None = None,
    actor: str = "auto",
    occurred_at: datetime | None = None,
    sign: Callable[[bytes], str] | None = None,
    **payload: Any,
) -> E:
    """Build an event with a fresh id, the causal link to `cause`, its hash filled in, and its
    signature if `sign` (the producer's key: canonical bytes -> base64 signature) is given."""
    draft = cls(
        event_id=uuid7(),
        dossier_id=dossier_id,
        agency=agency,
        occurred_at=occurred_at or datetime.now(timezone.utc),
        producer=producer,
        actor=actor,
        causation_id=cause.event_id if cause else None,
        causation_hash=cause.hash if cause else None,
        **payload,
    )
    return seal(draft, sign)


def seal(event: E, sign: Callable[[bytes], str] | None = None) -> E:
    """`event` with its hash, and its signature when `sign` is given, computed over its content
    as it stands (so set `producer.key_id` first: it is signed too)."""
    document = event.model_dump(mode="json")
    body = canonical_json({k: v for k, v in document.items() if k not in ("hash", "signature")})
    update: dict[str, Any] = {"hash": hashlib.sha256(body).hexdigest(), "signature": None}
    if sign is not None:
        update["signature"] = sign(body)
    return event.model_copy(update=update)
