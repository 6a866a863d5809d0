"""The terminal waterfall of a trace: spans under their parents in order of start, offsets and
durations against the trace's start, bars on one time axis, errors spelled out."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from motcua_telemetry import SpanRecord, render_waterfall

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def span(span_id: str, parent: str | None, service: str, name: str, start_ms: float,
         duration_ms: float, *, error: str | None = None, trace_id: str = "a" * 32) -> SpanRecord:
    return SpanRecord(
        trace_id=trace_id, span_id=span_id, parent_span_id=parent, service=service, agency=None,
        name=name, kind="internal", start_time=T0 + timedelta(milliseconds=start_ms),
        end_time=T0 + timedelta(milliseconds=start_ms + duration_ms),
        status="error" if error else "ok", error=error, dossier_id=uuid.uuid4(),
        dossier_code=None, event_id=None, event_type=None, attributes={})


JOURNEY = [
    # Given out of order, as a query may return them.
    span("c", "b", "appraisal", "process DossierAccepted", 600, 400),
    span("a", None, "intake", "POST /api/dossiers", 0, 100),
    span("b", "a", "intake", "publish DossierSubmitted", 50, 10),
    span("d", "b", "intake", "process DossierSubmitted", 100, 50,
         error="Rejected: dossier is not waiting"),
]


def test_spans_are_drawn_under_their_parent_in_order_of_start():
    lines = render_waterfall(JOURNEY, width=100).splitlines()
    assert lines[0].split()[:4] == ["service", "operation", "start", "duration"]
    assert lines[0].endswith("1.00 s")  # the time axis: 0 to the end of the last span
    rows = [line for line in lines[1:-1] if "└" not in line]
    assert [row.split()[0] for row in rows] == ["intake", "intake", "intake", "appraisal"]
    operations = [re.split(r"\s+\+", row[11:])[0] for row in rows]
    assert operations == ["POST /api/dossiers", "  publish DossierSubmitted",
                          "    process DossierSubmitted", "    process DossierAccepted"]
    assert "+600.0 ms" in rows[3] and "400.0 ms" in rows[3]
    assert all(len(line) <= 100 for line in lines)


def test_bars_share_one_time_axis():
    lines = render_waterfall(JOURNEY, width=100).splitlines()
    axis_start, axis_end = lines[0].rindex(" 0 ") + 1, len(lines[0])
    width = axis_end - axis_start
    root = next(line for line in lines if "POST" in line)
    last = next(line for line in lines if "process DossierAccepted" in line)
    # The root starts at 0 and takes a tenth; the last starts at 60 % and runs to the end.
    assert root.index("█") == axis_start and abs(root.count("█") - width / 10) <= 1
    assert abs(last.index("█") - (axis_start + 0.6 * width)) <= 1 and len(last) == axis_end


def test_an_error_is_marked_and_its_reason_printed_under_it():
    text = render_waterfall(JOURNEY, width=100)
    failed = next(line for line in text.splitlines() if "process DossierSubmitted" in line)
    assert "✗" in failed
    assert "└ error: Rejected: dossier is not waiting" in text
    assert text.splitlines()[-1] == "4 spans, 2 services, 1 trace, 1 error, 1.00 s in all"


def test_a_span_whose_parent_is_missing_is_drawn_as_a_root():
    lonely = span("z", "not-stored", "delivery", "process ResultSigned", 10, 5,
                  trace_id="b" * 32)
    lines = render_waterfall([*JOURNEY, lonely], width=120).splitlines()
    row = next(line for line in lines if "process ResultSigned" in line)
    assert row[11:].startswith("process ResultSigned")
    assert "2 traces" in lines[-1]


def test_nothing_to_draw_is_an_empty_string():
    assert render_waterfall([], width=80) == ""
