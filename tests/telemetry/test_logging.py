"""What the services write to their logs: the trace and span of the work in hand on every line,
and never a citizen's ID number or phone number in clear, whoever logs it (our code, a library,
an exception's text)."""

from __future__ import annotations

import json
import logging
import random

import httpx
import pytest
import structlog
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.samples import sample_submission
from motcua_intake.api import create_api
from motcua_runtime.db import create_engine
from motcua_runtime.logging import configure_logging, mask_text
from motcua_runtime.officers import officer_from_bearer
from tests.support import signer_of


@pytest.fixture
def service_logging():
    """configure_logging as a service calls it; the test process's logging is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(fmt: str = "json") -> None:
        configure_logging("intake", "STP", fmt=fmt)

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("text, masked", [
    ("CCCD 001099012345", "CCCD *********345"),
    ("cmnd=123456789.", "cmnd=******789."),
    ("gọi 0912 345 678 nhé", "gọi *******678 nhé"),
    ("gọi 0912.345.678", "gọi *******678"),
    ("+84 912 345 678", "********678"),
    ("{'id_number': '010203004567', 'phone': '0987654321'}",
     "{'id_number': '*********567', 'phone': '*******321'}"),
])
def test_id_numbers_and_phone_numbers_keep_only_their_last_three_digits(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "0190f3a2-1234-7abc-8def-123456789012",  # a UUID's last group is not an ID number
    "000.00.15.H38-261124-0001",              # nor is a dossier code
    "offset 1234567890123", "amount 25000000", "at 2026-11-24T09:00:00+07:00",
])
def test_other_numbers_are_left_alone(text):
    assert mask_text(text) == text


async def test_a_filing_the_database_refuses_is_logged_without_the_applicants_numbers(
        infra, service_logging, capfd):
    """A NUL character passes validation but not Postgres: the API answers 422 and logs the
    database's error, whose text carries the statement's parameters, the applicant's ID and
    phone among them."""
    database_url, topic = await infra.isolated("pii")
    engine = create_engine(database_url)
    service_logging("json")
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: None,
                     current_officer=officer_from_bearer("secret"), signer=signer_of("intake"))
    body = sample_submission(default_catalogue().procedures["2.000488"].model_dump(),
                             random.Random(3))
    body["applicant"].update(id_number="010203004567", phone="0987654321",
                             address="Số 1\x00 Hoàng Liên")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as client:
            response = await client.post("/api/dossiers", json=body)
    finally:
        await engine.dispose()
    assert response.status_code == 422 and "\\u0000" in response.json()["message"]
    output = capfd.readouterr()
    written = output.out + output.err
    [line] = [entry for entry in lines(written) if "INSERT INTO intake.dossiers" in
              str(entry.get("error"))]
    assert "*********567" in line["error"] and "*******321" in line["error"]
    assert "010203004567" not in written and "0987654321" not in written
    assert (line["service"], line["agency"]) == ("intake", "STP")


def test_library_records_and_exception_text_are_masked_too(service_logging, capfd):
    service_logging("json")
    logging.getLogger("some.library").warning("calling back %s", "0912345678")
    try:
        raise ValueError("no citizen 001099012345")
    except ValueError:
        structlog.get_logger("motcua").exception("lookup failed",
                                                 applicant={"phones": ["+84 912 345 678"]})
    first, second = lines(capfd.readouterr().err)
    assert first["event"] == "calling back *******678"
    assert "*********345" in second["exception"] and "001099012345" not in second["exception"]
    assert second["applicant"] == {"phones": ["********678"]}


def test_the_console_format_masks_tracebacks_as_well(service_logging, capfd):
    service_logging("console")
    try:
        raise ValueError("no citizen 001099012345")
    except ValueError:
        structlog.get_logger("motcua").exception("lookup failed")
    err = capfd.readouterr().err
    assert "lookup failed" in err and "*********345" in err and "001099012345" not in err


def test_every_line_carries_the_active_span_and_the_bound_dossier(service_logging, capfd):
    service_logging("json")
    context = SpanContext(trace_id=0x4bf92f3577b34da6a3ce929d0e0e4736,
                          span_id=0x00f067aa0ba902b7, is_remote=False,
                          trace_flags=TraceFlags(TraceFlags.SAMPLED))
    log = structlog.get_logger("motcua")
    log.info("outside")
    with trace.use_span(NonRecordingSpan(context)), \
            structlog.contextvars.bound_contextvars(dossier_id="d-1", event_id="e-1"):
        log.info("inside")
        logging.getLogger("aiokafka").warning("a library, inside")
    outside, inside, library = lines(capfd.readouterr().err)
    assert "trace_id" not in outside and "dossier_id" not in outside
    for line in (inside, library):
        assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert line["span_id"] == "00f067aa0ba902b7"
        assert (line["dossier_id"], line["event_id"]) == ("d-1", "e-1")
        assert (line["service"], line["agency"]) == ("intake", "STP")
