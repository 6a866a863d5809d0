"""The local span store on a real Postgres: spans exported by a service's BatchSpanProcessor are
rows of `telemetry.spans` with the dossier's columns filled, and read back by dossier."""

from __future__ import annotations

import uuid

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from motcua_runtime.db import create_engine
from motcua_telemetry import load_trace, names
from motcua_telemetry.store import PostgresSpanExporter


async def test_exported_spans_are_read_back_as_the_dossiers_journey(infra):
    database_url, _ = await infra.isolated("spans")
    exporter = PostgresSpanExporter(database_url)
    provider = TracerProvider(resource=Resource.create({names.SERVICE_NAME: "appraisal",
                                                        names.AGENCY: "STP"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    dossier, event = uuid.uuid4(), uuid.uuid4()
    root = tracer.start_span("POST /api/dossiers", kind=SpanKind.SERVER, attributes={
        names.DOSSIER_ID: str(dossier), names.DOSSIER_CODE: "000.00.15.H38-261124-0001"})
    child = tracer.start_span("process DossierAccepted", context=set_span_in_context(root),
                              kind=SpanKind.CONSUMER, attributes={
                                  names.DOSSIER_ID: str(dossier), names.EVENT_ID: str(event),
                                  names.EVENT_TYPE: "DossierAccepted"})
    child.set_status(Status(StatusCode.ERROR, "Rejected: not waiting for "
                            "{'full_name': 'Lò Văn Sáng', 'phone': '0912-345-678'}"))
    child.set_attribute("note", "gọi 84912345678 hoặc sang.lo@example.vn")
    child.end()
    root.end()
    other = tracer.start_span("process DossierAccepted", attributes={
        names.DOSSIER_ID: str(uuid.uuid4())})
    other.end()
    provider.shutdown()  # flushes, then closes the exporter's connection and loop

    engine = create_engine(database_url)
    try:
        by_code = await load_trace(engine, dossier_code="000.00.15.H38-261124-0001")
        by_id = await load_trace(engine, dossier_id=dossier)
        unknown = await load_trace(engine, dossier_code="nope")
    finally:
        await engine.dispose()
    assert by_code == by_id and unknown == []
    first, second = by_id
    assert first.name == "POST /api/dossiers" and first.parent_span_id is None
    assert (first.kind, first.status, first.service, first.agency) == (
        "server", "unset", "appraisal", "STP")
    assert len(first.trace_id) == 32 and len(first.span_id) == 16
    assert second.parent_span_id == first.span_id and second.trace_id == first.trace_id
    # Stored as log lines are written: no name, phone or e-mail of an applicant.
    assert (second.kind, second.status, second.error) == (
        "consumer", "error", "Rejected: not waiting for {'full_name': '***', 'phone': '***'}")
    assert second.attributes["note"] == "gọi ********678 hoặc ***@***"
    assert (second.dossier_id, second.event_id, second.event_type) == (
        dossier, event, "DossierAccepted")
    assert second.attributes[names.EVENT_TYPE] == "DossierAccepted"
    assert first.start_time <= second.start_time <= second.end_time <= first.end_time


def test_an_unreachable_database_loses_the_spans_not_the_service(tmp_path):
    exporter = PostgresSpanExporter(f"postgresql+asyncpg://nobody:@/none?host={tmp_path}",
                                    timeout=5)
    provider = TracerProvider()
    span = provider.get_tracer("test").start_span("lost")
    span.end()
    try:
        assert exporter.export([span]) is SpanExportResult.FAILURE
    finally:
        exporter.shutdown()
