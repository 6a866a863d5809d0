"""The local span store of the embedded default: finished spans written to `telemetry.spans` in
the service's own Postgres, so a dossier's journey can be read back without a trace backend.

The exporter runs behind a BatchSpanProcessor, whose worker thread calls `export`. Writing needs
asyncpg, so the exporter keeps a small event loop of its own in a thread and one connection on
it: the service's event loop never waits for a span to be stored."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import asyncpg
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode
from sqlalchemy import Column, DateTime, Index, MetaData, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url

from motcua_runtime.logging import mask_text
from motcua_telemetry import names

SCHEMA = "telemetry"
metadata = MetaData(schema=SCHEMA)

# The dashboard reads these columns too: change them only with a migration and a word to it.
SPANS = Table(
    "spans", metadata,
    Column("trace_id", Text, nullable=False),        # 32 hex digits
    Column("span_id", Text, nullable=False),         # 16 hex digits
    Column("parent_span_id", Text, nullable=True),
    Column("service", Text, nullable=False),
    Column("agency", Text, nullable=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),            # server, client, producer, consumer, internal
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("end_time", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),          # ok, error, unset
    Column("error", Text, nullable=True),
    Column("dossier_id", Uuid, nullable=True),
    Column("dossier_code", Text, nullable=True),
    Column("event_id", Uuid, nullable=True),
    Column("event_type", Text, nullable=True),
    Column("attributes", JSONB, nullable=False),
    Index("ix_spans_dossier_id", "dossier_id"),
    Index("ix_spans_dossier_code", "dossier_code"),
    Index("ix_spans_trace_id", "trace_id"),
)
COLUMNS = [column.name for column in SPANS.columns]

_log = logging.getLogger(__name__)


def _time(nanoseconds: int | None) -> datetime:
    return datetime.fromtimestamp((nanoseconds or 0) / 1e9, tz=timezone.utc)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _error(span: ReadableSpan) -> str | None:
    """The span's error, masked as log lines are: an exception's text can carry a request."""
    error = _raw_error(span)
    return mask_text(error) if error else error


def _raw_error(span: ReadableSpan) -> str | None:
    if span.status.status_code is not StatusCode.ERROR:
        return None
    if span.status.description:
        return span.status.description
    for event in span.events:
        if event.name == "exception" and event.attributes:
            return f"{event.attributes.get('exception.type')}: " \
                   f"{event.attributes.get('exception.message')}"
    return "error"


def span_row(span: ReadableSpan) -> tuple[Any, ...]:
    """One row of `telemetry.spans`, in COLUMNS order."""
    context = span.get_span_context()
    if context is None:  # an SDK span always has one; a stand-in without is a bug
        raise ValueError(f"span {span.name!r} has no span context")
    attributes = dict(span.attributes or {})
    resource = span.resource.attributes
    stored: dict[str, Any] = {key: value if isinstance(value, (int, float, bool)) else
                              mask_text(value) if isinstance(value, str) else
                              list(value) for key, value in attributes.items()}  # type: ignore[arg-type]
    if span.links:
        stored["links"] = [{"trace_id": format(link.context.trace_id, "032x"),
                            "span_id": format(link.context.span_id, "016x")}
                           for link in span.links]
    return (
        format(context.trace_id, "032x"),
        format(context.span_id, "016x"),
        format(span.parent.span_id, "016x") if span.parent else None,
        str(resource.get(names.SERVICE_NAME, "unknown")),
        attributes.get(names.AGENCY) or resource.get(names.AGENCY) or None,
        span.name,
        span.kind.name.lower(),
        _time(span.start_time),
        _time(span.end_time),
        span.status.status_code.name.lower(),
        _error(span),
        _uuid(attributes.get(names.DOSSIER_ID)),
        attributes.get(names.DOSSIER_CODE),
        _uuid(attributes.get(names.EVENT_ID)),
        attributes.get(names.EVENT_TYPE),
        json.dumps(stored, ensure_ascii=False),
    )


def connect_arguments(database_url: str) -> dict[str, Any]:
    """asyncpg's arguments for a SQLAlchemy URL (`postgresql+asyncpg://...`, where the
    embedded default puts its Unix socket folder in `?host=`)."""
    url = make_url(database_url)
    return {"user": url.username, "password": url.password or None,
            "host": url.query.get("host") or url.host, "port": url.port,
            "database": url.database,
            "ssl": url.query.get("ssl") or url.query.get("sslmode")}  # TLS as DATABASE_URL asks


class PostgresSpanExporter(SpanExporter):
    def __init__(self, database_url: str, *, timeout: float = 10.0) -> None:
        self._arguments = connect_arguments(database_url)
        self._timeout = timeout
        self._connection: asyncpg.Connection | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="span-store",
                                        daemon=True)
        self._thread.start()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        rows = [span_row(span) for span in spans]
        future = asyncio.run_coroutine_threadsafe(self._write(rows), self._loop)
        try:
            future.result(self._timeout)
        except Exception as error:  # the database may be down: lose these spans, not the service
            future.cancel()
            _log.warning("could not store %d spans: %s", len(rows), error)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    async def _write(self, rows: list[tuple[Any, ...]]) -> None:
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(**self._arguments)
        # COPY: a batch of a few thousand spans costs one round trip.
        await self._connection.copy_records_to_table(
            SPANS.name, schema_name=SCHEMA, columns=COLUMNS, records=rows)

    def shutdown(self) -> None:
        if not self._loop.is_running():
            return
        if self._connection is not None:
            closing = asyncio.run_coroutine_threadsafe(self._connection.close(), self._loop)
            try:
                closing.result(self._timeout)
            except Exception:  # already broken: nothing left to close cleanly
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self._timeout)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True  # every export is written before `export` returns
