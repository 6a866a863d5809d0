"""Chains that cannot be entered in the middle: a consumer acts on an event only if it continues
a history the consumer already knows for that dossier.

A dossier's history starts with one `DossierSubmitted` (or, brought in from the system being
replaced, one `DossierImported`; no cause) and every later event names
its cause by `causation_hash`. A key that is stolen, or an agency's key used beyond what it was
given, can sign a well-formed `DossierAccepted`; what it cannot make is the history before it.
So each consumer keeps, per dossier, the hashes of the events it has seen continue that history
(`chain_links`, in its own schema, written in the same transaction as the batch), and refuses
an event whose cause is not among them: it is dead-lettered ("chain: ...") by every consumer,
not only by the one whose read model happens to miss the dossier.

What a consumer learns, in the partition's order (one dossier's events share a partition):

- a `DossierSubmitted` is read in full and verified, by every consumer (also those that do not
  act on it), and starts the dossier's chain;
- an event the consumer acts on is read in full and verified anyway; its hash is learned once
  its cause is known, whether its handler then applies it or refuses it (a parked event is
  still part of the history that follows);
- an event it does not act on is skipped by its headers (`event_hash`, `causation_hash`; the
  body is never parsed): its hash is learned only when the cause its header names is already
  known. A header can lie, but only about a dossier whose history the liar has read: it cannot
  start a chain. A record without those headers (written before they existed) is read in full
  and verified to learn its hash.

Upgrading a running deployment: the table starts empty, so every consumer must read each open
dossier's history from its root once. Reset its consumer group to the earliest offset: its
inbox turns what it had applied into no-ops, while it learns every link."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    LargeBinary,
    MetaData,
    Table,
    Uuid,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import ROOTS, Event

ROOT_TYPE = "DossierSubmitted"
# What may start a history: a submission, or a dossier imported from the system being replaced.
ROOT_TYPES = ROOTS


def chain_links_table(metadata: MetaData) -> Table:
    return Table(
        "chain_links", metadata,
        Column("dossier_id", Uuid, primary_key=True),
        Column("hash", LargeBinary(32), primary_key=True),  # SHA-256 of a known event
    )


class ChainBook:
    """What this consumer knows of the dossiers of one batch, and what the batch adds."""

    def __init__(self, known: dict[uuid.UUID, set[bytes]]) -> None:
        self._known = known
        self._learned: set[tuple[uuid.UUID, bytes]] = set()

    @classmethod
    async def load(cls, session: AsyncSession, table: Table,
                   asked: Iterable[tuple[uuid.UUID, str | None]]) -> ChainBook:
        """What the store knows of the (dossier, hash) pairs a batch may ask about: each
        record's own hash and its cause's, from its headers and, for a record read in full, its
        body. Only those rows, not each dossier's whole history (a few rows per record instead
        of every link of every dossier the batch touches, issue 15)."""
        pairs = {(dossier_id, raw) for dossier_id, digest in asked
                 if (raw := _raw(digest)) is not None}
        known: dict[uuid.UUID, set[bytes]] = {}
        if pairs:
            rows = await session.execute(_statements(table).load, {
                "dossier_ids": [dossier_id for dossier_id, _ in pairs],
                "hashes": [digest for _, digest in pairs]})
            for dossier_id, digest in rows:
                known.setdefault(dossier_id, set()).add(bytes(digest))
        return cls(known)

    def admit(self, event: Event) -> str | None:
        """Learn a verified event; the reason it breaks the chain if it does."""
        if event.causation_id is None:
            if event.type not in ROOT_TYPES:
                roots = " or ".join(sorted(ROOT_TYPES))
                return f"chain: {event.type} has no cause; only a {roots} starts a history"
            self._learn(event.dossier_id, event.hash)
            return None
        if not self.knows(event.dossier_id, event.causation_hash):
            return (f"chain: the cause of {event.type} ({event.causation_id}) is not an event "
                    f"this consumer knows for dossier {event.dossier_id}")
        self._learn(event.dossier_id, event.hash)
        return None

    def follow(self, dossier_id: uuid.UUID, event_hash: str, causation_hash: str) -> None:
        """A skipped event's headers: learned only if its cause is known."""
        if self.knows(dossier_id, causation_hash):
            self._learn(dossier_id, event_hash)

    def knows(self, dossier_id: uuid.UUID, digest: str | None) -> bool:
        raw = _raw(digest)
        return raw is not None and raw in self._known.get(dossier_id, ())

    def _learn(self, dossier_id: uuid.UUID, digest: str | None) -> None:
        raw = _raw(digest)
        if raw is not None and raw not in self._known.setdefault(dossier_id, set()):
            self._known[dossier_id].add(raw)
            self._learned.add((dossier_id, raw))

    async def save(self, session: AsyncSession, table: Table) -> None:
        """What the batch learned, in one statement: the rows as two arrays (an executemany
        sends a message per row, most of the CPU a skipped record cost, issue 15)."""
        if self._learned:
            await session.execute(_statements(table).save, self.learned())

    def learned(self) -> dict[str, list[Any]]:
        """The parameters of `saving(table)` for what the batch learned, then forgotten: a
        consumer that saves them inside another statement of its own calls this."""
        learned = list(self._learned)  # sorted by the statement (a sort here was a tenth)
        self._learned.clear()
        return {"dossier_ids": [dossier_id for dossier_id, _ in learned],
                "hashes": [digest for _, digest in learned]}


def saving(table: Table) -> Insert:
    """The statement that stores learned links, its parameters from `ChainBook.learned`: an
    INSERT that a consumer may also run as a CTE of a statement of its own (one round trip)."""
    return _statements(table).save


class _Statements:
    """A chain table's two statements, built once: (dossier, hash) pairs passed as two arrays,
    so that each is one statement whatever the batch's size, compiled once."""

    def __init__(self, table: Table) -> None:
        pairs = func.unnest(bindparam("dossier_ids", type_=ARRAY(Uuid)),
                            bindparam("hashes", type_=ARRAY(LargeBinary))
                            ).table_valued("dossier_id", "hash").render_derived()
        given = select(pairs.c.dossier_id, pairs.c.hash)
        self.load = select(table.c.dossier_id, table.c.hash).where(
            tuple_(table.c.dossier_id, table.c.hash).in_(given))
        # In key order, so that two consumers sharing a schema (an agency's instance and the
        # shared one) lock the same links in the same order.
        self.save = (insert(table).from_select(
            ["dossier_id", "hash"], given.order_by(pairs.c.dossier_id, pairs.c.hash))
            .on_conflict_do_nothing())


_BUILT: dict[Table, _Statements] = {}


def _statements(table: Table) -> _Statements:
    if table not in _BUILT:
        _BUILT[table] = _Statements(table)
    return _BUILT[table]


def _raw(digest: str | None) -> bytes | None:
    """A hash as stored, or None for one that is absent or not hex (a header can say anything)."""
    if digest is None:
        return None
    try:
        return bytes.fromhex(digest)
    except ValueError:
        return None
