"""The spans of a dossier's journey, and how their context travels in Kafka headers (W3C
`traceparent`) and in intake's dossier row.

- A stage consuming an event starts "process <Type>" (CONSUMER) as a child of the context in the
  record's headers, and runs the handler inside it: the events it emits carry that span's context
  into the outbox row.
- The relay starts "publish <Type>" (PRODUCER) as a child of the context stored in the row and
  sends its own context in the record's headers: the next stage's consume span is its child.
- Work on a dossier that no event caused (an applicant's action over HTTP, a deadline passing)
  continues the dossier's trace from the root context intake stored with it, linked to the
  request or the sweep that did it. So one dossier's whole journey is one trace.
- A transaction that carries a batch (several dossiers) is a span of its own, linked to the
  per-event spans it committed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from motcua_telemetry import names

tracer = trace.get_tracer("motcua")  # a proxy: follows the provider configure_tracing installs
_PROPAGATOR = TraceContextTextMapPropagator()
TRACE_HEADERS = ("traceparent", "tracestate")

Headers = list[tuple[str, bytes]]


class EventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def event_id(self) -> Any: ...
    @property
    def dossier_id(self) -> Any: ...
    @property
    def agency(self) -> str: ...


def now() -> int:
    return time.time_ns()


def event_attributes(event: EventLike) -> dict[str, str]:
    attributes = {names.DOSSIER_ID: str(event.dossier_id), names.EVENT_ID: str(event.event_id),
                  names.EVENT_TYPE: event.type, names.AGENCY: event.agency}
    # DossierSubmitted names the dossier's code; read from the fields, not by getattr with a
    # default, which costs a pydantic model without the field 7 µs (issue 15).
    code = getattr(event, "__dict__", {}).get("code")
    if code:
        attributes[names.DOSSIER_CODE] = code
    return attributes


def _carrier(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode(errors="replace") for name, value in headers
            if name in TRACE_HEADERS}


def context_of(headers: Iterable[tuple[str, bytes]]) -> Context:
    """The trace context a record carries; empty (so a new trace) when it carries none."""
    return _PROPAGATOR.extract(_carrier(headers))


def context_of_traceparent(traceparent: str | None) -> Context:
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def with_trace_context(headers: Headers, context: Context | None = None) -> Headers:
    """`headers` with the trace context of `context` (default: the current span) in place of
    any they had. Without an active span they are returned without one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context)
    kept = [(name, value) for name, value in headers if name not in TRACE_HEADERS]
    return kept + [(name, value.encode()) for name, value in carrier.items()]


def start_consume(headers: Iterable[tuple[str, bytes]], event: EventLike, *,
                  start_time: int, batch_size: int) -> Span:
    return tracer.start_span(
        f"process {event.type}", context=context_of(headers), kind=SpanKind.CONSUMER,
        start_time=start_time,
        attributes={**event_attributes(event), "messaging.system": "kafka",
                    "messaging.operation": "process", "messaging.batch.message_count": batch_size})


def start_publish(topic: str, headers: Headers) -> Span:
    values = {name: value.decode(errors="replace") for name, value in headers}
    event_type = values.get("type", "message")
    attributes = {"messaging.system": "kafka", "messaging.destination.name": topic,
                  "messaging.operation": "publish"}
    for header, attribute in (("dossier_id", names.DOSSIER_ID), ("event_id", names.EVENT_ID),
                              ("type", names.EVENT_TYPE), ("agency", names.AGENCY)):
        if values.get(header):
            attributes[attribute] = values[header]
    if "dlq_reason" in values:  # a dead letter keeps the headers of the message it carries
        attributes["motcua.dlq_reason"] = values["dlq_reason"]
        return tracer.start_span(f"dead-letter {event_type}", context=context_of(headers),
                                 kind=SpanKind.PRODUCER, attributes=attributes)
    return tracer.start_span(f"publish {event_type}", context=context_of(headers),
                             kind=SpanKind.PRODUCER, attributes=attributes)


def fail(span: Span, error: BaseException | str) -> None:
    span.set_status(Status(StatusCode.ERROR, str(error)))
    if isinstance(error, BaseException):
        span.record_exception(error)


@contextmanager
def in_dossier_trace(traceparent: str | None, name: str,
                     attributes: Mapping[str, str]) -> Iterator[Span]:
    """A span in the dossier's own trace (a child of the root context intake stored with it),
    linked to the current span: the HTTP request or the sweep that caused this work."""
    current = trace.get_current_span().get_span_context()
    with tracer.start_as_current_span(
            name, context=context_of_traceparent(traceparent), attributes=dict(attributes),
            links=[Link(current)] if current.is_valid else None) as span:
        yield span


@asynccontextmanager
async def transaction(name: str) -> AsyncIterator[Span]:
    """One database transaction, as a child of the current span (an HTTP request); enter it
    with the session's `begin()`."""
    with tracer.start_as_current_span(f"transaction {name}", kind=SpanKind.CLIENT,
                                      attributes={"db.system": "postgresql"}) as span:
        yield span


def record_transaction(name: str, *, start_time: int, carried: Iterable[Span],
                       error: BaseException | None = None, **attributes: Any) -> None:
    """A batch's transaction, recorded once it is over, linked to the per-event spans it
    carried (they belong to several dossiers' traces, so it cannot be a child of one)."""
    span = tracer.start_span(
        f"transaction {name}", kind=SpanKind.CLIENT, start_time=start_time,
        links=[Link(s.get_span_context()) for s in carried if s.get_span_context().is_valid],
        attributes={"db.system": "postgresql", **attributes})
    if error is not None:
        fail(span, error)
    span.end()


@asynccontextmanager
async def batch_transaction(name: str, start_time: int) -> AsyncIterator[list[Span]]:
    """Around a transaction that applies a batch of events: collects their consume spans, ends
    them once it has committed (rolled back, they are dropped: the retry makes new ones) and
    records the transaction itself. Enter it outside the session so it exits after the commit."""
    carried: list[Span] = []
    try:
        yield carried
    except BaseException as error:
        record_transaction(name, start_time=start_time, carried=carried, error=error)
        raise
    took = round((now() - start_time) / 1e6, 1)
    for span in carried:
        span.set_attribute("motcua.batch_ms", took)  # the time to its commit
        span.end()
    record_transaction(name, start_time=start_time, carried=carried, events=len(carried))
