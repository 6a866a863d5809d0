"""The audit schema: one append-only table holding every record of the dossier topic and its
dead-letter topic exactly as the broker delivered it. The database itself refuses UPDATE,
DELETE and TRUNCATE on it (triggers, migration 0001)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motcua_audit import STAGE


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class ArchivedRecord(Base):
    __tablename__ = "events"
    # A redelivered record (same place, same bytes) is stored once. The bytes are part of the
    # key because a broker that lost its storage starts its offsets again from 0: the new records
    # at old offsets must be kept, not taken for copies.
    __table_args__ = (UniqueConstraint("topic", "partition", "offset", "value_sha256",
                                       name="events_record_once"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)  # arrival order
    topic: Mapped[str] = mapped_column(Text)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    value_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[list] = mapped_column(JSONB)  # [[name, base64 value], ...] in record order
    broker_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


class RestoredRecord(Base):
    """An archived record a broker restore published again (motcua_audit.restore), at its new
    place. The archive consumer reads it back there and keeps it out: it is archived already,
    under `archived_id`, and a second copy would read as a duplicate to the replay."""

    __tablename__ = "restored"

    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value_sha256: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    archived_id: Mapped[int] = mapped_column(BigInteger)
    restored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


EVENTS = ArchivedRecord.__table__
RESTORED = RestoredRecord.__table__
