"""The `python -m motcua_<stage>` entry point every service shares: parse `--agency`, read the
settings from the environment, refuse placeholder secrets outside development, configure
logging and tracing, run."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from motcua_runtime.logging import configure_logging
from motcua_runtime.placeholders import refuse_placeholders
from motcua_runtime.settings import ServiceSettings
from motcua_telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def service_main(stage: str, settings_class: type[S],
                 run: Callable[[S], Coroutine[Any, Any, None]]) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m motcua_{stage}",
                                     description=f"Run the {stage} stage service.")
    parser.add_argument("--agency", help="act only on this agency's dossiers (agency code)")
    args = parser.parse_args()
    settings = settings_class(**({"agency": args.agency} if args.agency else {}))
    # Before anything connects anywhere: a placeholder secret outside development stops here.
    refuse_placeholders(settings, os.environ, serves_http=settings.http_port is not None)
    configure_logging(stage, settings.agency, fmt=settings.log_format, level=settings.log_level)
    tracing = configure_tracing(stage, settings.agency, otlp_endpoint=settings.otlp_endpoint,
                                database_url=settings.database_url.get_secret_value())
    try:
        asyncio.run(run(settings))
    finally:
        if tracing is not None:
            tracing.shutdown()  # exports the spans still queued
