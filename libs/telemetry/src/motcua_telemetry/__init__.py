"""Tracing for every motcua service: one trace per dossier journey, from intake's HTTP request
through each stage's consume and publish. Spans go over OTLP where an endpoint is configured,
else into Postgres (`telemetry.spans`), where `motcua trace CODE` reads them back."""

from motcua_telemetry.provider import configure_tracing
from motcua_telemetry.reader import SpanRecord, load_trace
from motcua_telemetry.waterfall import render_waterfall

__all__ = ["SpanRecord", "configure_tracing", "load_trace", "render_waterfall"]
