"""`motcua trace CODE`: a dossier's journey through the stages, drawn as a waterfall from the
local span store (`telemetry.spans` in the stack's database): service, operation, start, duration
and errors, each span under the one that caused it."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import uuid
from dataclasses import asdict
from typing import Any

from motcua_cli import stackfile
from motcua_runtime.db import create_engine
from motcua_telemetry import SpanRecord, load_trace, render_waterfall


def add_trace_command(commands: Any) -> argparse.ArgumentParser:
    """Register `trace` on the subparsers of `motcua`."""
    trace = commands.add_parser(
        "trace", help="a dossier's journey through the stages as a waterfall (local spans)")
    trace.add_argument("dossier", metavar="CODE", help="the dossier's code (or its id)")
    trace.add_argument("--width", type=int, default=None,
                       help="line width (default: the terminal's)")
    trace.add_argument("--json", action="store_true", help="print the spans as JSON")
    return trace


async def _load(database_url: str, dossier: str) -> list[SpanRecord]:
    engine = create_engine(database_url, pool_size=1)
    try:
        try:
            return await load_trace(engine, dossier_id=uuid.UUID(dossier))
        except ValueError:
            return await load_trace(engine, dossier_code=dossier)
    finally:
        await engine.dispose()


def run_trace(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    spans = asyncio.run(_load(current.database_url, args.dossier))
    if not spans:
        print(f"no spans of dossier {args.dossier}: no such dossier, or its spans went to an "
              "OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT) instead of the local store",
              file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([asdict(span) for span in spans], default=str, ensure_ascii=False,
                         indent=2))
    else:
        print(render_waterfall(spans, args.width or shutil.get_terminal_size((140, 40)).columns))
    return 0
