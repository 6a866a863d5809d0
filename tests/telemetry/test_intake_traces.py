"""Intake keeps each dossier's trace together: the filing request is its root, the outbox row of
`DossierSubmitted` carries the context the relay continues, and an applicant's later action is
a span of that same trace, linked to the request that made it."""

from __future__ import annotations

import base64
import json
import random

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_intake.api import create_api
from motcua_intake.orm import OUTBOX, Dossier
from motcua_runtime.db import create_engine
from motcua_telemetry import http, names, spans
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import dossier_files, signer_of


@pytest.fixture
def recorded(monkeypatch) -> InMemorySpanExporter:
    """Spans of this test only: the process's global provider is left alone."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(spans, "tracer", tracer)
    monkeypatch.setattr(http, "tracer", tracer)
    return exporter


async def folded(engine) -> None:
    """What intake's consumer does when the submission comes back from the topic, as far as a
    withdrawal needs: the dossier's newest event is its submission."""
    async with engine.begin() as connection:
        submitted = json.loads(await connection.scalar(select(OUTBOX.c.value)))
        await connection.execute(update(Dossier).values(
            last_event_id=submitted["event_id"], last_event_hash=submitted["hash"]))


def traceparent_of(headers: list[list[str]]) -> str:
    return next(base64.b64decode(v).decode() for k, v in headers if k == "traceparent")


async def test_an_applicants_withdrawal_continues_the_dossiers_trace(infra, recorded):
    database_url, topic = await infra.isolated("traces")
    engine = create_engine(database_url)
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_dependency(), signer=signer_of("intake"),
                     files=dossier_files())
    app.add_middleware(http.TracingMiddleware)
    body = sample_submission(default_catalogue().procedures["2.000488"].model_dump(),
                             random.Random(4))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as client:
            await upload_sample_files(client, [default_catalogue().procedures["2.000488"]
                                               .model_dump()])
            recorded.clear()  # the upload's own trace is not the dossier's
            filed = (await client.post("/api/dossiers", json=body)).json()
            assert (await client.get(filed["status_url"])).status_code == 200  # not traced
            await folded(engine)
            withdrawn = await client.post(f"/api/dossiers/{filed['code']}/withdrawal", json={
                "id_number": body["applicant"]["id_number"], "reason": "Nộp nhầm thủ tục"})
            assert withdrawn.status_code == 202, withdrawn.text
        async with engine.connect() as connection:
            rows = (await connection.execute(select(OUTBOX.c.headers).order_by(OUTBOX.c.id))).all()
    finally:
        await engine.dispose()

    finished = {span.name: span for span in recorded.get_finished_spans()}
    assert set(finished) == {"POST /api/dossiers", "transaction intake",
                             "POST /api/dossiers/{code}/withdrawal",
                             "applicant WithdrawalRequested"}
    root = finished["POST /api/dossiers"]
    assert root.parent is None and root.attributes[names.DOSSIER_ID] == filed["dossier_id"]
    assert root.attributes[names.DOSSIER_CODE] == filed["code"]
    trace_id = format(root.context.trace_id, "032x")
    action = finished["applicant WithdrawalRequested"]
    request = finished["POST /api/dossiers/{code}/withdrawal"]
    # The action is in the dossier's trace, under its root, linked to the request that made it.
    assert action.context.trace_id == root.context.trace_id
    assert action.parent.span_id == root.context.span_id
    [link] = action.links  # to the request's transaction, in the request's own trace
    linked = next(span for span in recorded.get_finished_spans()
                  if span.context.span_id == link.context.span_id)
    assert (linked.name, linked.parent.span_id) == ("transaction intake", request.context.span_id)
    assert request.context.trace_id != root.context.trace_id
    assert action.attributes[names.EVENT_TYPE] == "WithdrawalRequested"
    # What the relay will continue from: the transaction that wrote the submission, the action.
    submitted, withdrawal = (traceparent_of(row.headers) for row in rows)
    assert submitted.split("-")[1] == trace_id == withdrawal.split("-")[1]
    assert withdrawal.split("-")[2] == format(action.context.span_id, "016x")
