"""The national portal's own catalogue, read for `motcua portal check-catalogue`: a procedure
by its national code (`LayThuTuc`, with `maTTHC`) and the list of agencies
(`LayDanhMucCoQuan`), as the published provincial clients call them (docs/portal.md, "Checking
the catalogue's codes"). The parsing is pure; `read_portal_catalogue` makes the calls through
the sync's client (its session handling), retrying a portal that is down with the sync's
backoff: every call here only reads, so one that went unanswered is simply made again."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from motcua_portal.client import DONE, Answer, PortalClient, PortalRefused, PortalUnavailable
from motcua_portal.sender import backoff
from motcua_portal.settings import PortalSettings

PROCEDURE_SERVICE, AGENCIES_SERVICE = "LayThuTuc", "LayDanhMucCoQuan"
# A call still failing after this many tries ends the check (the command says why): a read is
# not worth waiting for as long as the sync waits for a record.
READ_ATTEMPTS = 4


class PortalAnswerError(PortalRefused):
    """The portal answered, but not with what the service gives (a refusal, or a shape we do
    not read): named, so the operator can tell it from a portal that is down."""


@dataclass(frozen=True)
class PortalTimeLimit:
    channel: str  # KENH: "1" counter, "2" online, "3" by post
    value: float | None  # THOIGIANGIAIQUYET; None when the portal gives none
    unit: str  # DONVITINH as the portal writes it ("Ngày làm việc", ...)
    fees: tuple[float, ...]  # PHILEPHI[].SOTIEN, in đồng


@dataclass(frozen=True)
class PerformingAgency:
    """One of COQUANTHUCHIEN: the agency the portal says performs the procedure. A commune-level
    procedure's is often a level ("Ủy ban nhân dân cấp xã"), with no electronic ID."""

    code: str  # MADONVI; "" when the portal gives none
    name: str  # TENDONVI


@dataclass(frozen=True)
class PortalProcedure:
    code: str  # MATTHC
    name: str  # TENTTHC
    limits: tuple[PortalTimeLimit, ...]  # CACHTHUCTHUCHIEN[].THOIGIAN[]
    agencies: tuple[PerformingAgency, ...] = ()  # COQUANTHUCHIEN[]


@dataclass(frozen=True)
class PortalAgency:
    code: str  # MADONVI: the agency's electronic ID
    name: str  # TENDONVI
    level: str  # CAPDONVI


@dataclass(frozen=True)
class PortalCatalogue:
    """What the portal said: the procedures it knows among those asked (a code it does not
    know is absent) and every agency it listed."""

    procedures: dict[str, PortalProcedure]
    agencies: dict[str, PortalAgency]


def results(service: str, answer: Answer) -> list[dict[str, Any]]:
    """The `result` list of a successful answer. Some provincial platforms (Thanh Hóa's) wrap
    the portal's answer as a JSON string in `message`; that is unwrapped too."""
    if answer.error_code != DONE:
        raise PortalAnswerError(f"{service} refused: error_code {answer.error_code} "
                                f"{answer.message}"[:500])
    found = answer.body.get("result")
    if found is None and answer.message.lstrip().startswith("{"):
        try:
            wrapped = json.loads(answer.message)
        except ValueError:
            wrapped = None
        found = wrapped.get("result") if isinstance(wrapped, dict) else None
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise PortalAnswerError(f"{service}: `result` is not a list of objects")
    return found


def parse_procedure(item: dict[str, Any]) -> PortalProcedure:
    code, name = item.get("MATTHC"), item.get("TENTTHC")
    if not isinstance(code, str) or not code.strip() or not isinstance(name, str):
        raise PortalAnswerError(f"{PROCEDURE_SERVICE}: a procedure without MATTHC or TENTTHC "
                                f"({str(item)[:200]})")
    limits = []
    for way in _objects(item.get("CACHTHUCTHUCHIEN"), "CACHTHUCTHUCHIEN", code):
        for time in _objects(way.get("THOIGIAN"), "THOIGIAN", code):
            fees = tuple(_number(fee.get("SOTIEN"), "SOTIEN", code)
                         for fee in _objects(time.get("PHILEPHI"), "PHILEPHI", code)
                         if fee.get("SOTIEN") not in (None, ""))
            value = time.get("THOIGIANGIAIQUYET")
            limits.append(PortalTimeLimit(
                channel=str(way.get("KENH", "")).strip(),
                value=None if value in (None, "") else _number(value, "THOIGIANGIAIQUYET", code),
                unit=str(time.get("DONVITINH") or "").strip(), fees=fees))
    agencies = tuple(PerformingAgency(str(agency.get("MADONVI") or "").strip(),
                                      str(agency.get("TENDONVI") or "").strip())
                     for agency in _objects(item.get("COQUANTHUCHIEN"), "COQUANTHUCHIEN", code))
    return PortalProcedure(code.strip(), name, tuple(limits),
                           tuple(agency for agency in agencies if agency.code or agency.name))


def parse_agency(item: dict[str, Any]) -> PortalAgency:
    code, name = item.get("MADONVI"), item.get("TENDONVI")
    if not isinstance(code, str) or not code.strip() or not isinstance(name, str):
        raise PortalAnswerError(f"{AGENCIES_SERVICE}: an agency without MADONVI or TENDONVI "
                                f"({str(item)[:200]})")
    return PortalAgency(code.strip(), name, str(item.get("CAPDONVI") or ""))


def _objects(value: Any, field: str, code: str) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PortalAnswerError(f"{PROCEDURE_SERVICE} {code}: {field} is not a list of objects")
    return value


def _number(value: Any, field: str, code: str) -> float:
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        raise PortalAnswerError(f"{PROCEDURE_SERVICE} {code}: {field} {value!r} is not a "
                                "number") from None


async def read_portal_catalogue(client: PortalClient, settings: PortalSettings,
                                procedure_codes: Iterable[str],
                                rng: random.Random | None = None) -> PortalCatalogue:
    """Every agency the portal lists, and each of `procedure_codes` the portal knows, asked
    PORTAL_CONCURRENCY at a time."""
    rng = rng or random.Random()
    agencies = [parse_agency(item) for item in results(
        AGENCIES_SERVICE, await _read(client, settings, rng, AGENCIES_SERVICE, shared=True))]
    limit = asyncio.Semaphore(settings.concurrency)

    async def procedure(code: str) -> list[PortalProcedure]:
        async with limit:
            answer = await _read(client, settings, rng, PROCEDURE_SERVICE, maTTHC=code)
        # The portal answers an empty `result` for a code it does not know (OpenCPS reads only
        # result[0] when there is one); an item for another code is not taken for this one.
        found = [parse_procedure(item) for item in results(PROCEDURE_SERVICE, answer)]
        return [item for item in found if item.code == code][:1]

    try:  # the first call that fails for good ends the others: the check cannot be whole
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(procedure(code))
                     for code in sorted(set(procedure_codes))]
    except ExceptionGroup as failed:
        first = failed.exceptions[0]
        if isinstance(first, PortalUnavailable):
            raise first from None
        raise
    return PortalCatalogue({item.code: item for task in tasks for item in task.result()},
                           {agency.code: agency for agency in agencies})


async def _read(client: PortalClient, settings: PortalSettings, rng: random.Random,
                service: str, shared: bool = False, **fields: Any) -> Answer:
    """One read, retried on the sync's backoff (a 429's Retry-After honoured) up to
    READ_ATTEMPTS times; the last failure is raised, with how many tries it took. A refusal
    (the login) is raised at once: asking again would be answered the same."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            return await client.call(service, shared=shared, **fields)
        except PortalRefused:
            raise
        except PortalUnavailable as error:
            if attempt == READ_ATTEMPTS:
                raise PortalUnavailable(f"{service}: {error} (after {attempt} tries)",
                                        error.retry_after) from error
            await asyncio.sleep(backoff(attempt, settings, rng, error.retry_after))
    raise AssertionError("unreachable")  # the loop returns or raises
