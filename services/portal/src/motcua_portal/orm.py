"""The portal schema: each dossier's sync position (what the consumer has folded, and how the
sender stands with the portal), the queue of calls owed to the portal (one row per dossier
record or progress row, numbered per dossier: sent in that order), and the outbox (dead letters
only), inbox, dead letters and chain links every consumer keeps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motcua_portal import STAGE
from motcua_runtime.chains import chain_links_table
from motcua_runtime.db import dead_letters_table, inbox_table, outbox_table

# PendingCall.kind
RECORD = "record"  # the dossier as a whole: DongBoHoSoMC
PROGRESS = "progress"  # one progress row: CapNhatTienDoHoSoMC


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class SyncedDossier(Base):
    """A dossier as the portal should see it, folded from its events in the consumer's
    transaction, and the sender's standing with the portal for it."""

    __tablename__ = "dossiers"

    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # DossierState (motcua_contracts.lifecycle) as JSON: the status each event leads to.
    lifecycle: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The DongBoHoSoMC record as it stands after the last event folded.
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    events: Mapped[int] = mapped_column(Integer, default=0, doc="Events folded")
    next_seq: Mapped[int] = mapped_column(Integer, default=0, doc="Number of the next call")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The sender's side.
    on_portal: Mapped[bool] = mapped_column(Boolean, default=False,
                                            doc="The portal has the record: update, not create")
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Failures in a row")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    unsure: Mapped[bool] = mapped_column(Boolean, default=False, doc=(
        "The last progress call may have reached the portal (timeout, 5xx): look it up first"))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PendingCall(Base):
    """What the portal is owed for a dossier, in order (`seq`); `sent_at` once it has it."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq"),
        Index("ix_portal_calls_pending", "dossier_id", "seq",
              postgresql_where=text("sent_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(SmallInteger, doc="The portal's TrangThaiHoSo")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, doc="The event that owes it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=text("now()"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


OUTBOX = outbox_table(Base.metadata)
INBOX = inbox_table(Base.metadata)
DEAD_LETTERS = dead_letters_table(Base.metadata)
CHAIN_LINKS = chain_links_table(Base.metadata)
