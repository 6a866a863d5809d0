"""The operations schema: one row per dossier (the projection the dashboard counts), one row
per applied event (the timeline an operator opens from a list), and the outbox (dead letters
only: this service emits no event) and inbox every consumer keeps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motcua_operations import STAGE
from motcua_runtime.chains import chain_links_table
from motcua_runtime.db import dead_letters_table, inbox_table, outbox_table


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class DossierView(Base):
    """Where a dossier is and how it stands against its deadlines, folded from its events."""

    __tablename__ = "dossiers"

    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    procedure_code: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(32), index=True, doc="The competent agency")
    receiving_unit: Mapped[str | None] = mapped_column(
        String(32), index=True, doc="The agency whose desk received it (DossierSubmitted); null "
                                    "on events from before it was recorded")
    channel: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int] = mapped_column(SmallInteger, index=True)
    holder: Mapped[str | None] = mapped_column(String(16), doc="Stage that acts next, or applicant")
    # DossierState (motcua_contracts.lifecycle) as JSON: what the rules need to judge what comes.
    lifecycle: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True,
                                                    doc="The appointment (after any apology)")
    step_due_at: Mapped[dict[str, Any]] = mapped_column(JSONB, doc="Each stage's deadline")
    step_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                      doc="The holding stage's own deadline")
    marked_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, doc="As delivery judged it")
    # What the national service index (motcua_operations.service_index) reads, folded from the
    # events like the rest: when the agency took it and the appointment it gave then (an
    # apology moves `due_at`, never this), when the result came out (status 9), the waits on
    # the applicant (supplement, fees) as [since, until] ISO pairs, how the result was
    # delivered, whether every document filed had its file uploaded, and the applicant's rating.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    waits: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    delivery_channel: Mapped[str | None] = mapped_column(String(16), doc="As delivered")
    digitised: Mapped[bool] = mapped_column(Boolean, default=False)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    rating_indicators: Mapped[list[int] | None] = mapped_column(JSONB)
    rating_overall: Mapped[str | None] = mapped_column(String(16))
    last_event_type: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    events: Mapped[int] = mapped_column(Integer, default=0)


class TimelineRow(Base):
    __tablename__ = "timeline"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    service: Mapped[str] = mapped_column(String(16), doc="The stage that emitted it")
    agency: Mapped[str] = mapped_column(String(32), doc="The agency it was addressed to")
    actor: Mapped[str] = mapped_column(String(128))
    status_code: Mapped[int] = mapped_column(SmallInteger, doc="Status after the event")
    holder: Mapped[str | None] = mapped_column(String(16), doc="Holder after the event")
    note: Mapped[str | None] = mapped_column(Text)


class Threshold(Base):
    """An alarm threshold an administrator set for the wallboard (motcua_operations.alarms)."""

    __tablename__ = "thresholds"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in browser of the operations centre (motcua_operations.signin): the cookie holds
    a random token, this row its SHA-256, who signed in (an account of the workspace's), the
    CSRF token of the page's forms and the session's two clocks."""

    __tablename__ = "sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The officers' accounts are the workspace's (`motcua officer add --role operations`): read
# here, never written (the operations role has SELECT on this one table, motcua_runtime.roles).
WORKSPACE_ACCOUNTS = Table(
    "accounts", MetaData(schema="workspace"),
    Column("id", Uuid, primary_key=True), Column("user_name", String(64)),
    Column("full_name", String(200)), Column("agency", String(16)),
    Column("roles", ARRAY(String(16))), Column("password_hash", Text),
    Column("active", Boolean))


OUTBOX = outbox_table(Base.metadata)
INBOX = inbox_table(Base.metadata)
DEAD_LETTERS = dead_letters_table(Base.metadata)
CHAIN_LINKS = chain_links_table(Base.metadata)
