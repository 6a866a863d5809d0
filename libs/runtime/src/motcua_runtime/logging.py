"""structlog for our code and for the libraries' stdlib logging alike: JSON off a terminal,
readable on one, with the service and agency bound on every line, the trace and span ids of the
active span, and citizens' ID numbers and phone numbers masked."""

from __future__ import annotations

import logging
import re
import sys
from io import StringIO
from typing import Any

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, ExceptionRenderer, Processor

# Citizens' ID numbers (CCCD, 12 digits; the old CMND, 9) and Vietnamese phone numbers (0 or +84,
# then 9 digits, which people write with spaces or dots). Not inside a longer run of letters,
# digits or hyphens: a UUID's last group or a dossier code is not an ID number.
_ID_NUMBER = re.compile(r"(?<![\w-])(?:\d{12}|\d{9})(?![\w-])")
_PHONE = re.compile(r"(?<![\w+-])(?:\+84|0)(?:[ .]?\d){9}(?![\w-])")
KEPT_DIGITS = 3


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [c for c in text if c.isdigit()]
    return "*" * (len(digits) - KEPT_DIGITS) + "".join(digits[-KEPT_DIGITS:])


def mask_text(text: str) -> str:
    """`text` with every ID number and phone number masked but for its last three digits."""
    if not any(c.isdigit() for c in text):
        return text
    return _ID_NUMBER.sub(_mask, _PHONE.sub(_mask, text))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return type(value)(_masked(item) for item in value)
    return value


def mask_personal_numbers(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Every string value of the line, nested ones and the rendered exception included. Runs
    after exceptions are rendered to text and before the line is written."""
    return {key: _masked(value) for key, value in event_dict.items()}


def add_trace_context(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


_ANSI = re.compile(r"(\x1b\[[0-9;]*m)")


def _masked_exceptions(formatter: ExceptionRenderer) -> ExceptionRenderer:
    """The console renderer draws tracebacks itself (with local variables): mask what it draws.
    It colours numbers, so the text between colour codes is masked piece by piece."""
    def render(sio: Any, exc_info: Any) -> None:
        buffer = StringIO()
        formatter(buffer, exc_info)
        sio.write("".join(part if _ANSI.fullmatch(part) else mask_text(part)
                          for part in _ANSI.split(buffer.getvalue())))
    return render


def configure_logging(service: str, agency: str | None, *, fmt: str = "auto",
                      level: str = "INFO") -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
    ]
    if as_json:
        renderer: Processor = structlog.processors.JSONRenderer(ensure_ascii=False)
        exceptions: Processor = structlog.processors.format_exc_info
    else:
        renderer = structlog.dev.ConsoleRenderer(exception_formatter=_masked_exceptions(
            structlog.dev.default_exception_formatter))
        exceptions = lambda _l, _m, e: e  # noqa: E731 (the console renderer draws them)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,  # the libraries' stdlib records get the same fields
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exceptions,
            mask_personal_numbers,  # last before rendering: our lines and libraries' alike
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The Kafka client and FastStream log every rebalance step and every message at INFO.
    for noisy in ("aiokafka", "faststream", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service, agency=agency)
