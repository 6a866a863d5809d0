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
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_intake.api import create_api
from motcua_runtime.db import create_engine
from motcua_runtime.logging import configure_logging, mask_text
from tests.officer_tokens import current_officer as officer_dependency
from tests.support import dossier_files, signer_of


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
     "{'id_number': '***', 'phone': '***'}"),
    ("gọi 84912345678", "gọi ********678"),
    ("gọi 0912-345-678 hoặc 0912 345678", "gọi *******678 hoặc *******678"),
    ("+84-912-345-678", "********678"),
    ("thư an.nguyen+hs@example.com.vn, gửi lại", "thư ***@***, gửi lại"),
    ("""{"full_name": "Nguyễn Văn An", "address": "Số 1 \\"Hoàng\\" Liên"}""",
     """{"full_name": "***", "address": "***"}"""),
    ("received_by='Lò Thị Mai' delivery_address = 'Cam Đường'",
     "received_by='***' delivery_address = '***'"),
])
def test_id_numbers_and_phone_numbers_keep_only_their_last_three_digits(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "0190f3a2-1234-7abc-8def-123456789012",  # a UUID's last group is not an ID number
    "000.00.15.H38-261124-0001",              # nor is a dossier code
    "offset 1234567890123", "amount 25000000", "at 2026-11-24T09:00:00+07:00",
    "procedure name: 'Đăng ký tạm trú'", "service=intake agency=STP",
])
def test_other_numbers_are_left_alone(text):
    assert mask_text(text) == text


APPLICANT = {"full_name": "Hoàng Thị Quỳnh Trang", "id_number": "010203004567",
             "phone": "0987654321", "email": "quynh.trang@example.vn",
             "address": "Số 17 ngõ Mận Hảo, phường Cam Đường"}
# The applicant's details as they could leak: whole values, and the parts a log would split.
TELLTALES = ("Quỳnh Trang", "Hoàng Thị", "010203004567", "0987654321", "987654321",
             "quynh.trang", "example.vn", "Mận Hảo", "ngõ Mận")


def assert_nothing_personal(written: str) -> None:
    # JSON lines escape nothing but quotes here (ensure_ascii=False): the text is as written.
    leaked = [t for t in TELLTALES if t in written]
    assert not leaked, f"{leaked} in the log: {written[:3000]}"


def intake_app(engine, topic):
    return create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                      WorkingCalendar(), topic, on_commit=lambda: None,
                      current_officer=officer_dependency(), signer=signer_of("intake"),
                      files=dossier_files())


def filing(**applicant) -> dict:
    body = sample_submission(default_catalogue().procedures["2.000488"].model_dump(),
                             random.Random(3))
    body["applicant"].update(APPLICANT, **applicant)
    body["delivery"] = {"channel": "postal", "address": APPLICANT["address"]}
    return body


async def test_a_filing_the_database_refuses_is_logged_without_the_applicants_data(
        infra, service_logging, capfd):
    """A NUL character passes validation but not Postgres: the API answers 422 and logs the
    database's error, whose text carries the statement's parameters (the applicant's sealed
    values among them, and a document's name with the NUL). The personal values and the form
    data are sealed before anything is stored; a NUL in them is refused before the database."""
    database_url, topic = await infra.isolated("pii")
    engine = create_engine(database_url)
    service_logging("json")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake_app(engine, topic)),
                                     base_url="http://intake") as client:
            await upload_sample_files(client, [default_catalogue().procedures["2.000488"]
                                               .model_dump()])
            body = filing()
            body["documents"][0]["name"] += " bản sao\x00"
            response = await client.post("/api/dossiers", json=body)
            in_data = filing()
            in_data["data"] = {**in_data["data"], "note": "bản sao\x00"}
            refused_data = await client.post("/api/dossiers", json=in_data)
            refused = await client.post("/api/dossiers", json=filing(
                address=APPLICANT["address"] + "\x00"))
    finally:
        await engine.dispose()
    assert response.status_code == 422 and "\\u0000" in response.json()["message"]
    assert refused.status_code == 422 and "\\u0000" in refused.json()["message"]
    assert refused_data.status_code == 422 and "\\u0000" in refused_data.json()["message"]
    output = capfd.readouterr()
    written = output.out + output.err
    [line] = [entry for entry in lines(written)
              if "INSERT INTO intake.dossiers" in str(entry.get("statement"))]
    assert line["sqlstate"].startswith("22") and line["level"] == "warning"
    assert_nothing_personal(written)
    assert (line["service"], line["agency"]) == ("intake", "STP")


async def test_invalid_filings_with_the_applicant_in_them_log_nothing_personal(
        infra, service_logging, capfd):
    """Every way a filing can be refused before it is stored: a field out of pattern, a
    procedure that does not exist, a body that is not JSON."""
    database_url, topic = await infra.isolated("pii422")
    engine = create_engine(database_url)
    service_logging("json")
    unknown = filing()
    unknown["procedure_code"] = "9.999999"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake_app(engine, topic)),
                                     base_url="http://intake") as client:
            await upload_sample_files(client, [default_catalogue().procedures["2.000488"]
                                               .model_dump()])
            answers = [await client.post("/api/dossiers", json=filing(id_number="12-34")),
                       await client.post("/api/dossiers", json=filing(email="not an e-mail")),
                       await client.post("/api/dossiers", json=unknown),
                       await client.post("/api/dossiers", content=str(filing()).encode(),
                                         headers={"content-type": "application/json"})]
            # The applicant's own actions with a wrong ID number, their details in the body.
            answers.append(await client.post("/api/dossiers/000.00.15.H38-261124-0001/withdrawal",
                                              json={"id_number": "010203004567",
                                                    "reason": f"gọi {APPLICANT['phone']}"}))
    finally:
        await engine.dispose()
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 404]
    output = capfd.readouterr()
    assert_nothing_personal(output.out + output.err)


def test_an_exception_carrying_the_request_body_is_masked(service_logging, capfd):
    service_logging("json")
    body = filing()
    try:
        as_json = json.dumps(body, ensure_ascii=False)
        raise RuntimeError(f"could not store {body!r}; as JSON {as_json}")
    except RuntimeError:
        structlog.get_logger("motcua").exception("filing failed", applicant=body["applicant"],
                                                 delivery=body["delivery"])
    logging.getLogger("some.library").error("retrying %s for %s", body, APPLICANT["email"])
    written = capfd.readouterr().err
    first, second = lines(written)
    assert first["applicant"]["full_name"] == "***" and first["delivery"]["address"] == "***"
    assert "could not store" in first["exception"] and "retrying" in second["event"]
    assert_nothing_personal(written)


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
