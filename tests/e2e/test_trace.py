"""One dossier's journey is one trace: filed over HTTP on the real stack (the embedded broker,
Postgres, every stage a process of its own), its spans are read back from the local span store
and checked link by link; `motcua trace` draws them."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from motcua_cli import STAGES
from motcua_cli.main import main as motcua
from motcua_runtime.db import create_engine
from motcua_telemetry import SpanRecord, load_trace
from tests.support import file_dossiers, running_stack, wait_for_statuses

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def journey(infra, tmp_path_factory) -> tuple[str, str, list[SpanRecord]]:
    """(database URL, dossier code, the spans of its journey), after the stack has stopped:
    each service exports its last spans as it shuts down."""
    database_url, topic = await infra.isolated("trace")
    with running_stack(infra, database_url, topic, tmp_path_factory.mktemp("logs")) as stack:
        [dossier_id] = await file_dossiers(stack.api_url, 1, seed=5)
        await wait_for_statuses(stack.api_url, [dossier_id], {10}, timeout=120)
    engine = create_engine(database_url)
    try:
        spans = await load_trace(engine, dossier_id=uuid.UUID(dossier_id))
    finally:
        await engine.dispose()
    code = next(span.dossier_code for span in spans if span.dossier_code)
    return database_url, code, spans


async def test_a_dossier_journey_is_one_trace_from_the_filing_request_to_delivery(journey):
    _, _, spans = journey
    assert {span.trace_id for span in spans} == {spans[0].trace_id}
    [root] = [span for span in spans if span.parent_span_id is None]
    assert (root.service, root.kind, root.name) == ("intake", "server", "POST /api/dossiers")
    by_id = {span.span_id: span for span in spans}
    assert all(span.parent_span_id in by_id for span in spans if span is not root)
    assert {span.service for span in spans} >= set(STAGES)
    assert [s for s in spans if s.status == "error"] == []

    published = {span.event_id: span for span in spans if span.kind == "producer"}
    consumed = [span for span in spans if span.kind == "consumer"]
    # Each stage consumes what the one before published: its consume span is the child of
    # the publish of exactly that event.
    for stage, event_type in [("intake", "DossierSubmitted"), ("appraisal", "DossierAccepted"),
                              ("approval", "DossierAppraised"), ("signing", "DossierApproved"),
                              ("delivery", "ResultSigned")]:
        [consume] = [s for s in consumed if s.service == stage and s.event_type == event_type]
        assert consume.name == f"process {event_type}"
        assert consume.parent_span_id == published[consume.event_id].span_id
    for consume in consumed:  # intake's tracking view reads every event too
        assert consume.parent_span_id == published[consume.event_id].span_id
    # ... and what a stage emits is published from the span that handled its cause.
    # (By post, the post office delivers while it handles the desk's hand-off.)
    by_post = any(s.event_type == "ResultHandedToPost" for s in spans)
    delivered = published[next(s.event_id for s in spans if s.event_type == "ResultDelivered")]
    assert by_id[delivered.parent_span_id].name == (
        "process ResultHandedToPost" if by_post else "process ResultSigned")
    assert by_id[delivered.parent_span_id].service == "delivery"


async def test_motcua_trace_draws_the_journey_and_refuses_an_unknown_code(journey, capsys,
                                                                       monkeypatch):
    database_url, code, spans = journey
    monkeypatch.setenv("DATABASE_URL", database_url)
    # The command runs its own event loop: off this test's.
    assert await asyncio.to_thread(motcua, ["trace", code, "--width", "140"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["service", "operation", "start", "duration"]
    assert lines[1].startswith("intake") and "POST /api/dossiers" in lines[1]
    assert f"{len(spans)} spans, " in lines[-1] and ", 1 trace, 0 errors" in lines[-1]
    # Indented under its parent: a stage's consume span sits deeper than the publish before it.
    publish = next(line for line in lines if "publish ResultSigned" in line)
    consume = next(line for line in lines if "process ResultSigned" in line
                   and line.startswith("delivery"))
    depth = lambda line: len(line[11:]) - len(line[11:].lstrip())  # noqa: E731
    assert depth(consume) == depth(publish) + 2
    assert all(len(line) <= 140 for line in lines)

    assert await asyncio.to_thread(motcua, ["trace", "000.00.00.H00-000000-9999"]) == 1
    assert "no spans of dossier 000.00.00.H00-000000-9999" in capsys.readouterr().err
