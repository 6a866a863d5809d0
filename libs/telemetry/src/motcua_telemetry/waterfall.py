"""A trace drawn as a waterfall for a terminal: one line per span, indented under its parent,
with its service, start offset, duration and a bar on a shared time axis; errors underneath."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from motcua_telemetry.reader import SpanRecord

SERVICE_WIDTH = 10
MAX_OPERATION_WIDTH = 48


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds / 60:.1f} min"


def ordered(spans: Sequence[SpanRecord]) -> list[tuple[int, SpanRecord]]:
    """Depth-first, children by start time; a span whose parent is not in the set is a root."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        children[span.parent_span_id if span.parent_span_id in ids else None].append(span)
    for group in children.values():
        group.sort(key=lambda s: (s.start_time, s.span_id))
    ordered: list[tuple[int, SpanRecord]] = []
    stack = [(0, span) for span in reversed(children[None])]
    while stack:
        depth, span = stack.pop()
        ordered.append((depth, span))
        stack.extend((depth + 1, child) for child in reversed(children.get(span.span_id, [])))
    return ordered


def _bar(start: float, end: float, total: float, width: int) -> str:
    first = min(width - 1, int(start / total * width)) if total > 0 else 0
    last = max(first + 1, round(end / total * width)) if total > 0 else width
    return " " * first + "█" * (min(last, width) - first)


def render_waterfall(spans: Sequence[SpanRecord], width: int = 120) -> str:
    if not spans:
        return ""
    origin: datetime = min(span.start_time for span in spans)
    total = max((span.end_time - origin).total_seconds() for span in spans)
    rows = ordered(spans)
    operation_width = min(MAX_OPERATION_WIDTH,
                          max(len("operation"), *(2 * d + len(s.name) for d, s in rows)))
    fixed = SERVICE_WIDTH + 1 + operation_width + 1 + 10 + 1 + 10 + 2
    bar_width = max(10, width - fixed)
    header = (f"{'service':<{SERVICE_WIDTH}} {'operation':<{operation_width}} "
              f"{'start':>10} {'duration':>10}  0{format_duration(total):>{bar_width - 1}}")
    lines = [header]
    for depth, span in rows:
        start = (span.start_time - origin).total_seconds()
        end = (span.end_time - origin).total_seconds()
        operation = ("  " * depth + span.name)[:operation_width]
        marker = "✗" if span.status == "error" else " "
        lines.append(f"{span.service[:SERVICE_WIDTH]:<{SERVICE_WIDTH}} "
                     f"{operation:<{operation_width}} {'+' + format_duration(start):>10} "
                     f"{format_duration(end - start):>10}{marker} "
                     f"{_bar(start, end, total, bar_width)}".rstrip())
        if span.status == "error":
            indent = " " * (SERVICE_WIDTH + 1 + 2 * depth)
            lines.append(f"{indent}└ error: {span.error or 'unknown'}"[:width])
    traces = len({span.trace_id for span in spans})
    errors = sum(span.status == "error" for span in spans)
    services = len({span.service for span in spans})
    lines.append(f"{len(spans)} spans, {services} services, {traces} trace"
                 f"{'s' if traces != 1 else ''}, {errors} error{'s' if errors != 1 else ''}, "
                 f"{format_duration(total)} in all")
    return "\n".join(lines)
