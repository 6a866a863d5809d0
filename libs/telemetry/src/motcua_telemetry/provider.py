"""A service's tracer provider: its resource (service.name = the stage name, motcua.agency = the
agency it serves) and where its spans go: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set
(production: the collector, then the trace UI), else the local span store in Postgres."""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from motcua_telemetry import names
from motcua_telemetry.store import PostgresSpanExporter


def _exporter(otlp_endpoint: str | None, database_url: str | None) -> SpanExporter | None:
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The variable names the collector's base URL; traces go to its /v1/traces.
        return OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
    if database_url:
        return PostgresSpanExporter(database_url)
    return None


def configure_tracing(service: str, agency: str | None, *, otlp_endpoint: str | None,
                      database_url: str | None) -> TracerProvider | None:
    """Install the process's tracer provider; returns it so that the caller shuts it down (which
    flushes the last spans), or None when tracing is off (OTEL_SDK_DISABLED=true, or nowhere to
    send spans). Call once per process, before the first span."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    exporter = _exporter(otlp_endpoint, database_url)
    if exporter is None:
        return None
    resource = Resource.create({names.SERVICE_NAME: service,
                                **({names.AGENCY: agency} if agency else {})})
    provider = TracerProvider(resource=resource)
    # A busy stage ends thousands of spans a second: a large queue, and a batch a second.
    provider.add_span_processor(BatchSpanProcessor(
        exporter, max_queue_size=50_000, max_export_batch_size=5_000,
        schedule_delay_millis=1_000))
    trace.set_tracer_provider(provider)
    return provider
