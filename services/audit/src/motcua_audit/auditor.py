"""The auditor: judges a stream of raw records, one at a time, keeping only a small state per
dossier. Pure: no I/O; sources feed it, the replay runs one per share of the log.

For each record, in order: schema and version; hash, signature, key validity at the event's time
and entitlement (motcua_runtime.trust, the same checks the consumers make); duplicates; the hash
chain (the cause was seen earlier and `causation_hash` is its hash); the lifecycle (the same
`advance` fold the services use); and, when the dossier ends, the deadline (on time means the
result was ready, status 9, no later than the appointment; a rescheduled appointment still
counts as late) against what `ResultDelivered.on_time` claimed.

Memory: an open dossier keeps its state and the ids and hashes of its events; an ended one
shrinks to its final status and its event ids (~16 bytes each), so duplicates and stray events
after the end are still recognised. Nothing is kept per event beyond that."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from motcua_contracts import ROOTS, DossierState, Event, IllegalTransition, Status, advance
from motcua_contracts.envelope import field_value
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import DossierSubmitted
from motcua_contracts.lifecycle import AFTER_DELIVERY, NEUTRAL, ended_by_expiry
from motcua_contracts.topic import EVENT_ADAPTER, SCHEMA_VERSIONS
from motcua_runtime.trust import Verifier

SCHEMA = "schema"
DUPLICATE = "duplicate"
CHAIN = "chain"
LIFECYCLE = "lifecycle"
DEADLINE = "deadline"
DATABASE = "database"

_VALIDATE = EVENT_ADAPTER.validator.validate_python


@dataclass(frozen=True)
class Finding:
    dossier_id: str | None
    partition: int | None
    offset: int | None
    kind: str
    reason: str
    event_id: str | None = None
    event_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Open:
    """What the auditor keeps of a dossier still in progress. A plain class with slots, its
    fields set in place: the auditor updates one for every event it verifies (issue 15)."""

    __slots__ = ("name", "state", "seen", "pending", "due_at", "first_due_at", "ready_at",
                 "judged", "entries", "fingerprint", "imported")

    def __init__(self, name: str) -> None:
        self.name = name  # the dossier id as text: the Kafka key its records must carry
        self.state = DossierState()
        self.seen: dict[int, bytes] = {}  # event id (its UUID's integer) -> its hash (raw bytes)
        self.pending: dict[int, tuple[int, int, str, str | None]] = {}  # cause's id -> effect
        self.due_at: datetime | None = None  # the current appointment
        self.first_due_at: datetime | None = None  # the appointment before an apology reset it
        self.ready_at: datetime | None = None  # status 9: the result is signed
        self.judged = True  # False after its first finding: later transitions are not judged
        # The timeline applied so far (Timeline's two numbers, kept as ints rather than a new
        # Timeline per event).
        self.entries = 0
        self.fingerprint = 0
        self.imported = False  # its history began with a DossierImported

    @property
    def timeline(self) -> Timeline:
        return Timeline(self.entries, self.fingerprint)


@dataclass(slots=True, frozen=True)
class Timeline:
    """The events a dossier's history applied, in a form intake's timeline can be checked
    against without keeping them: how many, and the XOR of their hashes' first 8 bytes."""

    entries: int
    fingerprint: int

    def add(self, hash_bytes: bytes) -> Timeline:
        return Timeline(self.entries + 1, self.fingerprint ^ int.from_bytes(hash_bytes[:8]))


@dataclass(frozen=True)
class Rebuilt:
    """A dossier as the log tells it; `judged` False when a finding stopped its fold."""

    status: int
    timeline: Timeline
    judged: bool


@dataclass(slots=True, frozen=True)
class _Ended:
    status: int
    event_ids: bytes  # the dossier's event ids, 16 bytes each
    timeline: Timeline
    imported: bool = False


@dataclass
class Tally:
    events: int = 0
    on_time: int = 0
    late: int = 0
    findings_by_kind: dict[str, int] = field(default_factory=dict)
    # Dossiers received, by competent agency and by the unit that received them (its agency
    # code; on events from before it was recorded, the e-ID prefix of the code).
    received_by_agency: dict[str, int] = field(default_factory=dict)
    received_by_unit: dict[str, int] = field(default_factory=dict)
    # Imported history told from native (motcua_contracts.imported): the dossiers brought in
    # from the system being replaced, the DossierImported events that carry their old history,
    # and the native events that continued them here (officers carrying on).
    imported_dossiers: int = 0
    imported_events: int = 0
    continued_events: int = 0
    imported_by_status: dict[str, int] = field(default_factory=dict)


class Auditor:
    def __init__(self, verifier: Verifier, *, max_findings: int = 10_000) -> None:
        self.verifier = verifier
        self.max_findings = max_findings
        self.findings: list[Finding] = []
        self.tally = Tally()
        self.dossiers: dict[int, _Open | _Ended] = {}  # by the dossier UUID's integer

    # ---- the stream ---------------------------------------------------------------------------

    def feed(self, partition: int, offset: int, key: bytes | None, value: bytes) -> None:
        self.tally.events += 1
        where = (partition, offset)
        try:
            document = orjson.loads(value)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            self._report(_key_text(key), where, SCHEMA, f"not a JSON event: {error}")
            return
        try:
            # The adapter's own validator: the same schema, without TypeAdapter.validate_python's
            # keyword arguments passed through on every call (half a microsecond, issue 15).
            event: Event = _VALIDATE(document)
        except ValidationError as error:
            first = error.errors()[0]
            place = ".".join(str(part) for part in first["loc"]) or "body"
            self._report(str(document.get("dossier_id") or _key_text(key)), where, SCHEMA,
                         f"invalid event: {place}: {first['msg']}", document)
            return
        kind = event.type
        # Dossiers and events are told apart by their UUIDs' integers: an attribute, where
        # `.bytes` formats 16 bytes for every look-up.
        dossier_key = event.dossier_id.int
        dossier = self.dossiers.get(dossier_key)
        # The dossier id as text, for the key check and the findings: kept by an open dossier,
        # so that it is formatted once per dossier rather than once per event.
        dossier_id = dossier.name if isinstance(dossier, _Open) else str(event.dossier_id)
        if event.schema_version > SCHEMA_VERSIONS[kind]:
            self._report(dossier_id, where, SCHEMA, f"{kind} schema_version "
                         f"{event.schema_version} is newer than this auditor knows", document)
            return
        if key is not None and key != dossier_id.encode():
            self._report(dossier_id, where, SCHEMA, f"Kafka key {_key_text(key)!r} is not the "
                         "dossier id: the event is outside its dossier's ordered history", document)
        verdict = self.verifier.check(document, event.occurred_at)
        event_key = event.event_id.int
        hash_bytes = _hash_bytes(event.hash)
        if verdict is not None:
            # Not part of the history: a consumer dead-letters it and changes nothing. The rest
            # of this dossier is still checked for integrity, not judged against the lifecycle.
            self._report(dossier_id, where, verdict.kind, verdict.reason, document)
            if isinstance(dossier, _Open):
                dossier.judged = False
                # Its id is known, so the events citing it are not taken for orphans as well.
                dossier.seen.setdefault(event_key, hash_bytes)
                dossier.pending.pop(event_key, None)
            return
        if dossier is None:  # a dossier starts with its first verified event
            dossier = self.dossiers[dossier_key] = _Open(dossier_id)
        elif isinstance(dossier, _Ended):
            self._after_end(dossier_key, dossier, dossier_id, where, event, event_key, document)
            return
        seen = dossier.seen
        if event_key in seen:
            same = seen[event_key] == hash_bytes
            self._report(dossier_id, where, DUPLICATE,
                         f"event {event.event_id} appears twice "
                         f"({'an identical copy' if same else 'with different content'})",
                         document)
            return
        self._check_chain(dossier, dossier_id, where, event, document)
        if kind == "DossierSubmitted":
            self._count_received(event)  # type: ignore[arg-type]
        elif kind == "DossierImported" and event.causation_id is None:
            dossier.imported = True
            self._count_imported(event)  # type: ignore[arg-type]
        elif dossier.imported:
            self.tally.continued_events += 1
        seen[event_key] = hash_bytes
        if dossier.pending:
            self._resolve_pending(dossier, dossier_id, where, event, event_key, document)
        if dossier.judged:
            try:
                dossier.state = advance(dossier.state, event)
                dossier.entries += 1
                dossier.fingerprint ^= int.from_bytes(hash_bytes[:8])
            except IllegalTransition as error:
                self._report(dossier_id, where, LIFECYCLE, str(error), document)
                dossier.judged = False
        self._track_deadline(dossier, dossier_id, where, event, document)
        if dossier.state.ended and not dossier.pending:
            status = dossier.state.status
            self.dossiers[dossier_key] = _Ended(int(status) if status else 0,
                                                _id_bytes(seen), dossier.timeline,
                                                dossier.imported)

    def _count_imported(self, event: DossierImported) -> None:
        """Counted apart from the native dossiers received: their reception, deadlines and
        steps were the old system's, judged there."""
        tally = self.tally
        tally.imported_dossiers += 1
        tally.imported_events += 1
        status = str(event.status)
        tally.imported_by_status[status] = tally.imported_by_status.get(status, 0) + 1

    def _count_received(self, event: DossierSubmitted) -> None:
        unit = event.receiving_unit or event.code.rsplit("-", 2)[0]
        for counts, name in ((self.tally.received_by_agency, event.agency),
                             (self.tally.received_by_unit, unit)):
            counts[name] = counts.get(name, 0) + 1

    def finish(self) -> None:
        """At the end of the log: causes that never appeared."""
        for dossier_key, dossier in self.dossiers.items():
            if isinstance(dossier, _Open):
                for cause, (partition, offset, kind, event_id) in dossier.pending.items():
                    self.findings_append(Finding(
                        str(uuid.UUID(int=dossier_key)), partition, offset, CHAIN,
                        f"{kind} cites cause {uuid.UUID(int=cause)}, which never appears in "
                        "the log: an event was dropped", event_id, kind))

    def rebuilt(self) -> dict[uuid.UUID, Rebuilt]:
        """Every dossier as the log tells it: status, timeline, whether fully judged."""
        result = {}
        for key, dossier in self.dossiers.items():
            if isinstance(dossier, _Ended):
                result[uuid.UUID(int=key)] = Rebuilt(dossier.status, dossier.timeline, True)
            else:
                status = dossier.state.status
                result[uuid.UUID(int=key)] = Rebuilt(int(status) if status else 0,
                                                       dossier.timeline, dossier.judged)
        return result

    def statuses(self) -> Counter[int]:
        """How many dossiers the log leaves at each status (0: none reached), without building
        `rebuilt()`'s record per dossier when nothing is compared with a database."""
        counts: Counter[int] = Counter()
        for dossier in self.dossiers.values():
            if isinstance(dossier, _Ended):
                counts[dossier.status] += 1
            else:
                status = dossier.state.status
                counts[int(status) if status else 0] += 1
        return counts

    # ---- the checks ---------------------------------------------------------------------------

    def _check_chain(self, dossier: _Open, dossier_id: str, where: tuple[int, int], event: Event,
                     document: dict[str, Any]) -> None:
        if event.causation_id is None:
            if event.type not in ROOTS:
                self._report(dossier_id, where, CHAIN, f"{event.type} has no cause: only a "
                             "DossierSubmitted (or a DossierImported) starts a history",
                             document)
            return
        cause_hash = dossier.seen.get(event.causation_id.int)
        if cause_hash is None:
            dossier.pending[event.causation_id.int] = (*where, event.type, str(event.event_id))
        elif cause_hash.hex() != event.causation_hash:
            self._report(dossier_id, where, CHAIN, f"causation_hash of {event.type} is not the "
                         f"hash of its cause {event.causation_id}", document)

    def _resolve_pending(self, dossier: _Open, dossier_id: str, where: tuple[int, int],
                         event: Event, event_key: int, document: dict[str, Any]) -> None:
        effect = dossier.pending.pop(event_key, None)
        if effect is not None:
            partition, offset, kind, _ = effect
            self._report(dossier_id, where, CHAIN,
                         f"out of order: {event.type} comes after {kind} (partition {partition} "
                         f"offset {offset}), which it caused", document)
            dossier.judged = False

    def _after_end(self, dossier_key: int, dossier: _Ended, dossier_id: str,
                   where: tuple[int, int], event: Event, event_key: int,
                   document: dict[str, Any]) -> None:
        ids = dossier.event_ids
        id_bytes = event_key.to_bytes(16)
        if any(ids[i:i + 16] == id_bytes for i in range(0, len(ids), 16)):
            self._report(dossier_id, where, DUPLICATE,
                         f"event {event.event_id} appears twice (after the dossier ended)",
                         document)
        elif event.type in NEUTRAL or (event.type in AFTER_DELIVERY
                                       and dossier.status == int(Status.DELIVERED)):
            # An operator resolving a dead letter of an ended dossier, or erasing its personal
            # data; the applicant rating a delivered one: legal, changes nothing but the
            # timeline intake keeps of it.
            self.dossiers[dossier_key] = _Ended(
                dossier.status, ids + id_bytes,
                dossier.timeline.add(_hash_bytes(event.hash)), dossier.imported)
            if dossier.imported:
                self.tally.continued_events += 1
        else:
            self._report(dossier_id, where, LIFECYCLE, f"{event.type} after the dossier ended "
                         f"(status {dossier.status})", document)

    def _track_deadline(self, dossier: _Open, dossier_id: str, where: tuple[int, int],
                        event: Event, document: dict[str, Any]) -> None:
        facts = field_value(event, "dossier")
        if facts is not None and facts.due_at is not None:
            dossier.due_at = facts.due_at
            if facts.rescheduled_from is not None:
                dossier.first_due_at = dossier.first_due_at or facts.rescheduled_from
        if event.type == "DelayApologized":
            dossier.first_due_at = dossier.first_due_at or event.previous_due_at  # type: ignore
        elif event.type == "ResultSigned":
            dossier.ready_at = event.signed_at  # type: ignore[attr-defined]
        elif event.type == "ResultDelivered":
            appointment = dossier.first_due_at or dossier.due_at
            ready = dossier.ready_at
            if ready is None:
                return  # no signed result: the lifecycle finding says so
            punctual = appointment is None or ready <= appointment
            if punctual:
                self.tally.on_time += 1
            else:
                self.tally.late += 1
            claimed = event.on_time  # type: ignore[attr-defined]
            if claimed != punctual:
                rescheduled = " (reset by an apology: still late)" if dossier.first_due_at else ""
                self._report(dossier_id, where, DEADLINE,
                             f"ResultDelivered says on_time={claimed}, but the result was ready "
                             f"at {ready.isoformat()} against the appointment "
                             f"{appointment.isoformat() if appointment else 'none'}{rescheduled}",
                             document)
        elif (event.type in ("DossierStopped", "DossierRefused") or ended_by_expiry(event)) \
                and dossier.due_at is not None:
            if event.occurred_at <= (dossier.first_due_at or dossier.due_at):
                self.tally.on_time += 1
            else:
                self.tally.late += 1

    # ---- findings -----------------------------------------------------------------------------

    def _report(self, dossier_id: str | None, where: tuple[int, int], kind: str, reason: str,
                document: dict[str, Any] | None = None) -> None:
        document = document or {}
        event_id = document.get("event_id")
        self.findings_append(Finding(dossier_id, where[0], where[1], kind, reason,
                                     str(event_id) if event_id else None, document.get("type")))

    def findings_append(self, finding: Finding) -> None:
        counts = self.tally.findings_by_kind
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
        if len(self.findings) < self.max_findings:
            self.findings.append(finding)


def _hash_bytes(value: str | None) -> bytes:
    try:
        return bytes.fromhex(value or "")
    except ValueError:
        return b""


def _id_bytes(event_ids: dict[int, bytes]) -> bytes:
    """An ended dossier's event ids, 16 bytes each: a fifth of the memory of the integers."""
    return b"".join(event_id.to_bytes(16) for event_id in event_ids)


def _key_text(key: bytes | None) -> str | None:
    return key.decode(errors="replace") if key is not None else None

