"""Where a service's spans go: over OTLP/HTTP to the collector when OTEL_EXPORTER_OTLP_ENDPOINT is
set (production), else into the local span store."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

from motcua_telemetry.provider import _exporter
from motcua_telemetry.store import PostgresSpanExporter


def test_with_an_otlp_endpoint_spans_are_posted_to_its_traces_path():
    received: list[tuple[str, str, int]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], len(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        exporter = _exporter(f"http://127.0.0.1:{server.server_port}/", "postgresql://ignored")
        assert isinstance(exporter, OTLPSpanExporter)
        span = TracerProvider().get_tracer("test").start_span("process DossierAccepted")
        span.end()
        assert exporter.export([span]) is SpanExportResult.SUCCESS
        exporter.shutdown()
    finally:
        server.shutdown()
    [(path, content_type, size)] = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf") and size > 0


def test_without_an_endpoint_spans_stay_in_the_services_database():
    exporter = _exporter(None, "postgresql+asyncpg://u:p@db:5432/motcua")
    assert isinstance(exporter, PostgresSpanExporter)
    exporter.shutdown()
    assert _exporter(None, None) is None
