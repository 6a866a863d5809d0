"""Verifying an event before acting on it: its hash, its signature, the key's validity at the
event's time, and whether the key's owner is entitled to emit that event for that dossier: its
service may emit that type, and the key's scope in the trust list covers the agency the event is
signed for (an agency's key that agency alone; a shared key every agency but those it lists in
`except_agencies`, see motcua_runtime.keys).

What is signed: the canonical JSON of the event as received, without `hash` and `signature`:
RFC 8785 for events that say so in `canonicalization`, the older sorted-keys form for those
written before (`motcua_contracts.canonical_json`), i.e. exactly the bytes whose SHA-256 is
`hash`. The signature is Ed25519 (RFC 8032) over those bytes, base64 in `signature`;
`producer.key_id` names the key and is itself signed. Fields a reader does not know are covered
too.

Speed: the consumers verify every record they handle and the replay every record of the log, so
the JSON is re-serialised with orjson and verified with libsodium (PyNaCl's, the detached
check: motcua_runtime.ed25519), about twice as fast as OpenSSL's Ed25519 here. orjson's output
with sorted keys equals RFC 8785 for every document without floats whose keys sort the same by
code point and by UTF-16 unit (checked on random Unicode strings); where it could differ (a
float, a key outside the basic multilingual plane), the hash does not match and the exact
canonical form is computed before the event is declared altered."""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from motcua_contracts import PRODUCERS, canonical_json
from motcua_runtime import ed25519
from motcua_runtime.keys import KeyRecord, KeyRegistry

SIGNATURE = "signature"  # kinds of verdicts, also the `kind` of the replay's findings
KEY = "key"
HASH = "hash"
ENTITLEMENT = "entitlement"

_ABSENT = object()  # a field the document does not have (None is a value it may hold)


@dataclass(frozen=True)
class Verdict:
    """Why an event must not be acted on."""

    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


def canonical_bytes(document: dict[str, Any]) -> tuple[bytes, str]:
    """The bytes that are hashed and signed, and their SHA-256 (hex), taken fast."""
    # Serialise without the two fields by taking them out and putting them back (in the same
    # order): cheaper than copying the document, on a path every record takes; two pops, not a
    # comprehension of them (a third of a microsecond, issue 15).
    claimed = document.pop("hash", _ABSENT)
    signature = document.pop(SIGNATURE, _ABSENT)
    try:
        body = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(body).hexdigest()
        if digest != claimed:
            slow = canonical_json(document)
            if slow != body:
                return slow, hashlib.sha256(slow).hexdigest()
        return body, digest
    finally:
        if claimed is not _ABSENT:
            document["hash"] = claimed
        if signature is not _ABSENT:
            document[SIGNATURE] = signature


def competent_agency(document: dict[str, Any]) -> str | None:
    """The agency whose key may sign this event. A hand-off is addressed to the dossier's
    competent agency and signed by it; a liên thông (consultation) crosses agencies: the lead
    agency asks, the consulted agency answers. Postal delivery crosses them the same way: the
    competent agency's desk hands the result to the post office, and only the post office
    records the pick-up and the delivery."""
    kind = document.get("type")
    if kind == "ConsultationRequested":
        return document.get("lead_agency")
    if kind == "ConsultationAnswered":
        return document.get("consulted_agency")
    if kind == "ResultHandedToPost":
        return document.get("competent_agency")
    if kind == "ResultPickedUpByPost" or (kind == "ResultDelivered"
                                          and document.get("channel") == "postal"):
        return document.get("post_office")
    return document.get("agency")


class Verifier:
    """Checks events against a key registry. Public keys are decoded once per key id."""

    def __init__(self, registry: KeyRegistry) -> None:
        self.registry = registry

    def check(self, document: dict[str, Any], occurred_at: datetime) -> Verdict | None:
        """None if the event may be acted on; else the first reason it may not. `document` is
        the event as received (parsed JSON); `occurred_at` its parsed time."""
        producer = document.get("producer") or {}
        key_id = producer.get("key_id")
        signature = document.get(SIGNATURE)
        if not key_id or not signature:
            return Verdict(SIGNATURE, "the event is not signed (no producer.key_id or signature)")
        record = self.registry.get(key_id)
        if record is None:
            return Verdict(KEY, f"unknown key {key_id!r}: not in the key registry")
        problem = record.problem_at(occurred_at)
        if problem:
            return Verdict(KEY, problem)
        verdict = _entitlement(document, producer, record)
        if verdict:
            return verdict
        body, digest = canonical_bytes(document)
        if digest != document.get("hash"):
            return Verdict(HASH, f"the content does not match its hash: recomputed {digest[:16]}…"
                                 f", the event says {str(document.get('hash'))[:16]}…")
        try:
            raw_signature = binascii.a2b_base64(signature, strict_mode=True)
        except (ValueError, binascii.Error, TypeError):
            raw_signature = b""  # not base64 (or not a string): no signature verifies
        if not ed25519.verify(raw_signature, body, record.public_key):
            return Verdict(SIGNATURE, f"the signature does not verify with key {key_id}")
        return None


def _entitlement(document: dict[str, Any], producer: dict[str, Any],
                 record: KeyRecord) -> Verdict | None:
    if producer.get("service") != record.service or producer.get("agency") != record.agency:
        return Verdict(ENTITLEMENT, f"key {record.key_id} belongs to {record.instance}, but the "
                                    f"event names producer "
                                    f"{producer.get('service')}.{producer.get('agency')}")
    kind = document.get("type")
    # An event without a type (or not a string) names nothing anyone may emit.
    allowed = PRODUCERS.get(kind, frozenset()) if isinstance(kind, str) else frozenset()
    if record.service not in allowed:
        return Verdict(ENTITLEMENT, f"{kind} may be emitted by {', '.join(sorted(allowed))}, "
                                    f"not by {record.service} (key {record.key_id})")
    # The key's scope (motcua_runtime.scope), spelled out on a path every record takes.
    agency = competent_agency(document)
    if record.agency is not None and record.agency != agency:
        return Verdict(ENTITLEMENT, f"{kind} for agency {agency} signed with key {record.key_id} "
                                    f"of agency {record.agency}")
    if agency in record.except_agencies:
        return Verdict(ENTITLEMENT, f"{kind} for agency {agency} signed with key {record.key_id} "
                                    f"of {record.instance}, which may sign for {record.scope} "
                                    f"({agency} has an instance of its own)")
    return None
