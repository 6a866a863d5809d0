"""structlog for our code and for the libraries' stdlib logging alike: JSON off a terminal,
readable on one, with the service and agency bound on every line, the trace and span ids of the
active span, and citizens' personal data masked (ID numbers, phones, e-mails, and names and
addresses where a field says what they are)."""

from __future__ import annotations

import logging
import re
import sys
from io import StringIO
from typing import Any

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, ExceptionRenderer, Processor

# Citizens' ID numbers (CCCD, 12 digits; the old CMND, 9) and Vietnamese phone numbers (0, 84 or
# +84, then 9 digits, which people write with spaces, dots or dashes). Not inside a longer run of
# letters, digits or hyphens: a UUID's last group or a dossier code is not an ID number.
_ID_NUMBER = re.compile(r"(?<![\w-])(?:\d{12}|\d{9})(?![\w-])")
_PHONE = re.compile(r"(?<![\w+-])(?:\+84[ .-]?|84|0)(?:[ .-]?\d){9}(?![\w-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
KEPT_DIGITS = 3
HIDDEN = "***"
# Fields that name, locate or reach a person: their whole value is hidden, at any depth of a
# line's structure, and in text that spells them as `key: 'value'` or `"key": "value"` (a dict's
# repr, JSON in a database error's parameters, an exception carrying a request body).
PERSONAL_KEYS = frozenset({
    "full_name", "applicant_name", "name_of_applicant", "received_by", "receiver_name",
    "representative", "address", "delivery_address", "postal_address", "email", "e_mail",
    "phone", "phone_number", "id_number", "cccd", "cmnd"})
_KEYED = re.compile(
    r"(?P<key>['\"]?\b(?:" + "|".join(sorted(PERSONAL_KEYS, key=len, reverse=True))
    + r")\b['\"]?\s*[:=]\s*)(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")",
    re.IGNORECASE)


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [c for c in text if c.isdigit()]
    return "*" * (len(digits) - KEPT_DIGITS) + "".join(digits[-KEPT_DIGITS:])


def _hide_value(match: re.Match[str]) -> str:
    quote = match.group("value")[0]
    return f"{match.group('key')}{quote}{HIDDEN}{quote}"


def mask_text(text: str) -> str:
    """`text` with every ID number and phone number masked but for its last three digits, every
    e-mail address hidden, and the value of every personal field written as `key: 'value'`."""
    if "@" in text:
        text = _EMAIL.sub(HIDDEN + "@" + HIDDEN, text)
    if any(key in text.lower() for key in ("name", "address", "mail", "phone", "id_number",
                                            "received_by", "representative", "cccd", "cmnd")):
        text = _KEYED.sub(_hide_value, text)
    if not any(c.isdigit() for c in text):
        return text
    return _ID_NUMBER.sub(_mask, _PHONE.sub(_mask, text))


def _masked(value: Any, key: Any = None) -> Any:
    if isinstance(key, str) and key.lower() in PERSONAL_KEYS and value not in (None, ""):
        if not isinstance(value, (dict, list, tuple, set)):
            return HIDDEN
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(item, k) for k, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return type(value)(_masked(item, key) for item in value)
    return value


def mask_personal_numbers(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Every value of the line, nested ones and the rendered exception included: personal
    fields hidden by their key, ID numbers, phones and e-mails wherever they are written. Runs
    after exceptions are rendered to text and before the line is written."""
    return {key: _masked(value, key) for key, value in event_dict.items()}


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
