"""Engine construction and the outbox and inbox tables every stage keeps in its own schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Column, DateTime, Identity, Index, LargeBinary, MetaData, Table, Text, Uuid, func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True)


def outbox_table(metadata: MetaData) -> Table:
    """Messages a stage has committed to publish. The relay sends unsent rows in id order and
    stamps `sent_at`; rows are kept so an operator can see what a stage emitted and when."""
    return Table(
        "outbox", metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        # [[name, base64 value], ...]: header values are bytes and a dead letter keeps them exact.
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Ids of the messages a stage has already applied: a redelivered message is found here and
    skipped. Poison messages without an event id are keyed by their topic position."""
    return Table(
        "inbox", metadata,
        Column("message_id", Uuid, primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
