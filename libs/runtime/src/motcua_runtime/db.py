"""Engine construction and the tables every stage keeps in its own schema: the outbox, the
inbox, and the dead letters it holds back."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# libpq's TLS parameters that asyncpg reads only from a DSN. SQLAlchemy never hands asyncpg a DSN
# (it passes the URL's query as keyword arguments), so in a DATABASE_URL they would end in a
# TypeError at the first connection; asyncpg reads the same settings from libpq's variables.
# (asyncpg has no variable for an encrypted client key's password: such a key cannot be used.)
_LIBPQ_TLS_FILES = {"sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
                    "sslcrl": "PGSSLCRL"}


def engine_url(url: str | URL) -> URL:
    """DATABASE_URL as asyncpg takes it. TLS is `?ssl=verify-full` (asyncpg's name; libpq's
    `sslmode=` is accepted for it), the CA from PGSSLROOTCERT, a client certificate from
    PGSSLCERT/PGSSLKEY: asyncpg reads those when SQLAlchemy connects."""
    url = make_url(url)
    query = dict(url.query)
    if "sslmode" in query:
        if "ssl" in query:
            raise ValueError("DATABASE_URL has both ssl= and sslmode=: keep ssl=")
        query["ssl"] = query.pop("sslmode")
    misplaced = [f"{name}= (set {env})" for name, env in _LIBPQ_TLS_FILES.items() if name in query]
    if misplaced:
        raise ValueError(f"DATABASE_URL: asyncpg does not take {', '.join(misplaced)} in the URL")
    return url.set(query=query)


# A pooled connection idle for longer than this is pinged before it is used (ping_after_idle).
IDLE_PING_SECONDS = 5.0


def create_engine(url: str | URL, *, pool_size: int = 5) -> AsyncEngine:
    engine = create_async_engine(engine_url(url), pool_size=pool_size, max_overflow=5)
    ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


def ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it has been idle for `idle_seconds`.

    Why not `pool_pre_ping`: it pings at every checkout, and asyncpg's ping is three round trips
    (BEGIN, an empty query, ROLLBACK), which a busy stage paid on every batch (issue 15). A
    connection in steady use does not need it: if Postgres restarted or killed it meanwhile, the
    first statement fails as a disconnect, SQLAlchemy invalidates that connection and every
    pooled one older than the failure, and the caller's retry (a consumer retries the whole
    batch, whose transaction was rolled back) takes a fresh one. A connection that sat idle, the
    likely one to have outlived a restart or an idle timeout, is still pinged, so a quiet
    service's first request after a restart does not fail: a dead one is replaced at checkout
    (the pool retries with a new connection on DisconnectionError)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # new, or in steady use
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"pooled connection idle for "
                                     f"{time.monotonic() - checked_in_at:.0f}s is dead") from error


_CHECKED_IN_AT = "motcua_checked_in_at"


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
        # A row the broker refuses for good (too large, say) is parked: set aside with the
        # reason, so it never holds back the rows after it; an operator can re-drive it.
        Column("parked_at", DateTime(timezone=True), nullable=True),
        Column("park_reason", Text, nullable=True),
        Index("ix_outbox_pending", "id",
              postgresql_where=text("sent_at IS NULL AND parked_at IS NULL")),
        # The relay looks up parked rows every batch (their keys hold later rows back): few
        # rows, so a small index instead of a scan of every row ever sent.
        Index("ix_outbox_parked", "id",
              postgresql_where=text("parked_at IS NOT NULL AND sent_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Ids of the messages a stage has already applied: a redelivered message is found here and
    skipped. A dead letter is keyed by a hash of its bytes and headers (never by its offset, which
a broker that lost its storage hands out again)."""
    return Table(
        "inbox", metadata,
        Column("message_id", Uuid, primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


# The states of a held-back record (dead_letters.state).
DEAD = "dead"        # could not be read or trusted: dead-lettered, holds back nothing
PARKED = "parked"    # a trusted event its handler refused: its dossier waits behind it
WAITING = "waiting"  # a later event of a parked dossier, kept in order until the head resolves
RETRIED = "retried"  # an operator re-applied it (and it applied)
SKIPPED = "skipped"  # an operator set it aside with a reason; the dossier went on without it
APPLIED = "applied"  # a waiting event applied once its dossier was released
DEAD_LETTER_STATES = (DEAD, PARKED, WAITING, RETRIED, SKIPPED, APPLIED)


def dead_letters_table(metadata: MetaData) -> Table:
    """Every record this consumer could not apply, kept as received, with the reason; and, for a
    parked dossier, its later events in arrival order. `motcua dlq` lists, retries and skips
    them; the same records also go to the dead-letter topic for the auditors."""
    return Table(
        "dead_letters", metadata,
        Column("id", BigInteger, Identity(), primary_key=True),  # arrival order
        Column("message_id", Uuid, nullable=False, unique=True),  # its inbox key
        Column("dossier_id", Uuid, nullable=True),  # null when unreadable or untrusted
        Column("event_type", Text, nullable=True),
        Column("state", String(16), nullable=False),
        Column("reason", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False),  # [[name, base64 value], ...]
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("resolved_at", DateTime(timezone=True), nullable=True),
        Column("resolved_by", Text, nullable=True),
        Column("resolution", Text, nullable=True),
        # The operator's request, picked up by the running consumer: "retry" or "skip".
        Column("requested", String(16), nullable=True),
        Column("requested_by", Text, nullable=True),
        Column("request_reason", Text, nullable=True),
        Index(f"ix_{metadata.schema}_dead_letters_dossier_id_state", "dossier_id", "state"),
        Index(f"ix_{metadata.schema}_dead_letters_state", "state"),
    )
