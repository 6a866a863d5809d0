"""The key store: one row per dossier in `privacy.dossier_keys`, its data key wrapped under the
master key. Intake writes the row when it files the dossier, in the transaction of its outbox
row; erasure deletes the wrapped key and keeps who erased it, when and why. The services that
must read personal data (intake, signing, delivery) may read the table; no other role may
(motcua_runtime.roles)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from motcua_contracts.sealed import Sealed
from motcua_privacy.crypto import (
    PersonalDataErased,
    PrivacyProblem,
    UnknownKey,
    is_sealed_blob,
    new_data_key,
    open_blob,
    open_bytes,
    open_json,
    seal_blob,
    seal_json,
    unwrap,
    wrap,
)
from motcua_privacy.master import master_key as configured_master_key

SCHEMA = "privacy"
metadata = MetaData(schema=SCHEMA)

DOSSIER_KEYS = Table(
    "dossier_keys", metadata,
    Column("dossier_id", Uuid, primary_key=True),
    Column("dossier_code", Text, nullable=True, unique=True),
    # nonce || AES-GCM(master key, data key); NULL once erased.
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("erased_by", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("lawful_request", Boolean, nullable=True),
)

Db = AsyncSession | AsyncConnection


@dataclass
class Keyring:
    """The data keys of some dossiers, unwrapped, for sealing and opening their values in memory
    (handlers do no I/O: a repository loads the keys of a batch's dossiers with `load_keys`).
    An erased dossier maps to when it was erased."""

    keys: dict[uuid.UUID, bytes] = field(default_factory=dict)
    erased: dict[uuid.UUID, datetime | None] = field(default_factory=dict)

    def key(self, dossier_id: uuid.UUID) -> bytes:
        if dossier_id in self.erased:
            raise PersonalDataErased(dossier_id, self.erased[dossier_id])
        try:
            return self.keys[dossier_id]
        except KeyError:
            raise UnknownKey(f"no data key for dossier {dossier_id} in the key store") from None

    def is_erased(self, dossier_id: uuid.UUID) -> bool:
        return dossier_id in self.erased

    def seal(self, dossier_id: uuid.UUID, value: Any) -> Sealed:
        return seal_json(self.key(dossier_id), dossier_id, value)

    def open(self, dossier_id: uuid.UUID, sealed: Sealed | dict[str, Any]) -> Any:
        """The value, or PersonalDataErased / UnknownKey / PrivacyProblem. A schema-version-1
        value in clear opens without a key."""
        if isinstance(sealed, dict):
            sealed = Sealed.model_validate(sealed)
        if sealed.alg == "none":
            return json.loads(open_bytes(b"", dossier_id, sealed))
        return open_json(self.key(dossier_id), dossier_id, sealed)

    def seal_blob(self, dossier_id: uuid.UUID, content: bytes) -> bytes:
        return seal_blob(self.key(dossier_id), dossier_id, content)

    def open_blob(self, dossier_id: uuid.UUID, blob: bytes) -> bytes:
        """A file sealed whole; one written before files were sealed is returned as it is."""
        if not is_sealed_blob(blob):
            return blob
        return open_blob(self.key(dossier_id), dossier_id, blob)

    def update(self, other: Keyring) -> None:
        self.keys.update(other.keys)
        self.erased.update(other.erased)


async def create_key(db: Db, master_key: bytes | None, dossier_id: uuid.UUID,
                     dossier_code: str | None = None, *,
                     now: datetime | None = None) -> bytes:
    """A new data key for the dossier, stored wrapped; returns it unwrapped."""
    if master_key is None:
        master_key = configured_master_key()
    data_key = new_data_key()
    await db.execute(insert(DOSSIER_KEYS).values(
        dossier_id=dossier_id, dossier_code=dossier_code,
        wrapped_key=wrap(master_key, dossier_id, data_key),
        created_at=now or datetime.now(timezone.utc)))
    return data_key


# The ids as one array (`= ANY`), not an IN list of as many parameters: one statement, compiled
# and prepared once whatever the number of a batch's dossiers (issue 15).
_LOAD_KEYS = (
    select(DOSSIER_KEYS.c.dossier_id, DOSSIER_KEYS.c.wrapped_key, DOSSIER_KEYS.c.erased_at)
    .where(DOSSIER_KEYS.c.dossier_id == any_(bindparam("dossier_ids", type_=ARRAY(Uuid)))))


async def load_keys(db: Db, master_key: bytes | None,
                    dossier_ids: Iterable[uuid.UUID]) -> Keyring:
    """The keys of these dossiers that the store has (erased ones as erased); `master_key`
    None: this process's (motcua_privacy.master.master_key)."""
    if master_key is None:
        master_key = configured_master_key()
    ids = list(set(dossier_ids))
    ring = Keyring()
    if not ids:
        return ring
    rows = await db.execute(_LOAD_KEYS, {"dossier_ids": ids})
    for dossier_id, wrapped, erased_at in rows:
        if wrapped is None:
            ring.erased[dossier_id] = erased_at
        else:
            ring.keys[dossier_id] = unwrap(master_key, dossier_id, wrapped)
    return ring


@dataclass(frozen=True)
class KeyRecord:
    dossier_id: uuid.UUID
    dossier_code: str | None
    created_at: datetime
    erased_at: datetime | None
    erased_by: str | None
    reason: str | None
    lawful_request: bool | None


async def key_record(db: Db, dossier_id: uuid.UUID) -> KeyRecord | None:
    row = (await db.execute(select(DOSSIER_KEYS).where(
        DOSSIER_KEYS.c.dossier_id == dossier_id))).mappings().first()
    if row is None:
        return None
    return KeyRecord(**{k: v for k, v in row.items() if k != "wrapped_key"})


async def erase_key(db: Db, dossier_id: uuid.UUID, *, reason: str, erased_by: str,
                    lawful_request: bool, now: datetime | None = None) -> KeyRecord:
    """Destroy the dossier's data key (the row stays: who, when, why). Erasing twice is
    refused: the first erasure is the record."""
    record = await key_record(db, dossier_id)
    if record is None:
        raise UnknownKey(f"no data key for dossier {dossier_id} in the key store")
    if record.erased_at is not None:
        raise PersonalDataErased(dossier_id, record.erased_at)
    moment = now or datetime.now(timezone.utc)
    result = await db.execute(
        update(DOSSIER_KEYS).where(DOSSIER_KEYS.c.dossier_id == dossier_id,
                                   DOSSIER_KEYS.c.wrapped_key.is_not(None))
        .values(wrapped_key=None, erased_at=moment, erased_by=erased_by, reason=reason,
                lawful_request=lawful_request))
    if getattr(result, "rowcount", 1) != 1:
        raise PrivacyProblem(f"dossier {dossier_id}'s key changed under the erasure: try again")
    return KeyRecord(dossier_id, record.dossier_code, record.created_at, moment, erased_by,
                     reason, lawful_request)


async def rewrap_all(db: Db, old_master: bytes, new_master: bytes) -> int:
    """Every living data key wrapped again under `new_master` (erased ones have none), in the
    caller's transaction; returns how many. Once every service runs with the new master key,
    destroying the old one makes the wrapped keys' old copies (WAL, dead rows, backups)
    useless, those of erased dossiers included."""
    rows = await db.execute(select(DOSSIER_KEYS.c.dossier_id, DOSSIER_KEYS.c.wrapped_key)
                            .where(DOSSIER_KEYS.c.wrapped_key.is_not(None))
                            .with_for_update())
    count = 0
    for dossier_id, wrapped in rows.all():
        data_key = unwrap(old_master, dossier_id, wrapped)
        await db.execute(update(DOSSIER_KEYS).where(DOSSIER_KEYS.c.dossier_id == dossier_id)
                         .values(wrapped_key=wrap(new_master, dossier_id, data_key)))
        count += 1
    return count
