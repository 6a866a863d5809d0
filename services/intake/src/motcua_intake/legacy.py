"""The rules of `motcua import-legacy`: reading a file of dossiers exported from the system being
replaced (docs/legacy-import.md), judging every line, and turning each dossier into the one
`DossierImported` event that brings it in. Pure: no I/O; the command reads the file, seals the
personal data, signs and publishes (motcua_cli.legacy).

The rules, each a promise to the people whose dossiers move:
- codes are kept as they were (only checked to be unique, in the file and in the system);
- no deadline is restarted: the appointment is the file's `due_at`, never counted again from the
  catalogue, and the end is the old system's (the time of status 9, else the last step);
- nothing is sent: the import is one event no notice or form is written for;
- a dossier not yet checked (status 1) waits for the first check of the desk that received it,
  in its officers' queue, its appointment counted from the old reception when they accept it;
- a dossier in progress (status 2 or 4) continues at the competent agency's appraisal, in its
  officers' queue with its original appointment; one waiting on the applicant after acceptance
  (5: the agency's supplement, with its deadline and the documents asked for; 6: fees, with the
  amount) waits here as after a native request, and the applicant's answer resumes appraisal;
  one whose withdrawal the agency had not confirmed (7) waits for that confirmation there;
  one whose result the old system signed (9) waits at the competent agency's delivery desk,
  the signed PDF (named by the file, checked here: a PDF, its SHA-256) kept as its result,
  never re-signed; an ended one (3, 8, 10) is only recorded;
- the whole file is judged before anything is published, and every error names the line.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from motcua_catalogue import Catalogue
from motcua_catalogue.communes import routing_problem
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Producer, new_event
from motcua_contracts.dossier import Applicant, Channel, Delivery, DeliveryChoice, DossierFacts
from motcua_contracts.imported import (
    CODE_PATTERN,
    FINISHED_STATUSES,
    IMPORTABLE_STATUSES,
    RESULT_READY_STATUS,
    WITHDRAWAL_STATUS,
    DossierImported,
    LegacyRequest,
    LegacyResult,
    LegacyStep,
)
from motcua_contracts.sealed import Sealed

# Dossier ids of imported dossiers are derived from their codes, so that a second run of the
# same file (after a failure half-way through publishing) finds what the first one brought in.
NAMESPACE = uuid.UUID("5b0c6f2e-9d3a-4c1e-8f61-4c2a7d1e9b30")
MAX_ERRORS = 50  # listed; the count says how many more
DEFAULT_SOURCE = "Hệ thống một cửa điện tử cũ"
MAX_RESULT_BYTES = 20 * 1024 * 1024  # a signed result PDF; more is not one document
PDF_MAGIC = b"%PDF-"
# Reads a result file named by a line, relative to the export's folder (the command's I/O);
# raises OSError when it cannot.
ReadResult = Callable[[str], bytes]


class LegacyDossier(BaseModel):
    """One line of the file, as the old system exported it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: str = Field(min_length=3, max_length=40, pattern=CODE_PATTERN)
    procedure_code: str
    case_code: str | None = None
    agency: str | None = None  # the competent agency; default: the procedure's
    receiving_unit: str | None = None
    channel: Channel = "counter"
    applicant: Applicant
    delivery: Delivery = Delivery(channel="counter")
    received_at: datetime
    # The appointment; absent only for a dossier refused (3) or not yet checked (1), which the
    # desk's acceptance gives one.
    due_at: datetime | None = None
    status: int
    history: list[LegacyStep] = Field(min_length=1, max_length=200)
    fees_paid: int = Field(default=0, ge=0)
    # What a dossier waiting on the applicant was asked for: at status 5 the supplement's
    # deadline and documents, at 6 the fees due (the reason is the last step's note).
    supplement_due_at: datetime | None = None
    requested_documents: list[str] = Field(default_factory=list, max_length=50)
    fees_due: int | None = Field(default=None, ge=1)
    # A signed result waiting to be handed over (status 9): the old system's PDF, a path
    # relative to the export file, its number, and (optional) its SHA-256 as the old system
    # recorded it, checked against the file.
    result_file: str | None = Field(default=None, min_length=1, max_length=500)
    result_number: str | None = Field(default=None, min_length=1, max_length=64)
    result_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")

    @field_validator("received_at", "due_at", "supplement_due_at", mode="after")
    @classmethod
    def _vietnam_time(cls, value: datetime | None) -> datetime | None:
        """A time without an offset is Vietnam time, as everywhere in motcua."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=VIETNAM)

    @field_validator("history", mode="before")
    @classmethod
    def _steps_in_vietnam_time(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_with_offset(step) for step in value]
        return value

    @property
    def dossier_id(self) -> uuid.UUID:
        return dossier_id_of(self.code)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def continues_at(self) -> Literal["intake", "appraisal", "delivery"] | None:
        """The stage whose officers carry on: the receiving desk's first check for a dossier
        not yet checked, the competent agency's appraisal for the others in progress."""
        if self.finished:
            return None
        return {1: "intake", RESULT_READY_STATUS: "delivery"}.get(self.status, "appraisal")

    @property
    def ended_at(self) -> datetime | None:
        """When processing ended: the time the result was ready (status 9, also for a dossier
        imported at 9), else the last step's (delivered, stopped, refused) - the same rule as
        native dossiers'."""
        if not self.finished and self.status != RESULT_READY_STATUS:
            return None
        ready = [step.at for step in self.history if step.status == 9]
        return ready[0] if ready else self.history[-1].at

    @property
    def awaiting(self) -> LegacyRequest | None:
        """What the applicant was asked for, for a dossier at status 5 or 6."""
        last = self.history[-1]
        if self.status == 5:
            return LegacyRequest(what="supplement", requested_at=last.at,
                                 reason=last.note or "Yêu cầu bổ sung hồ sơ",
                                 missing_documents=list(self.requested_documents),
                                 respond_by=self.supplement_due_at)
        if self.status == 6:
            return LegacyRequest(what="fees", requested_at=last.at,
                                 reason=last.note or "Thực hiện nghĩa vụ tài chính",
                                 amount=self.fees_due)
        return None

    @property
    def supplements_requested(self) -> int:
        """Supplement requests in the old history (status 5 steps entered from another)."""
        count, previous = 0, None
        for step in self.history:
            if step.status == 5 and previous != 5:
                count += 1
            previous = step.status
        return count


def _with_offset(step: Any) -> Any:
    if isinstance(step, dict) and isinstance(step.get("at"), str):
        try:
            moment = datetime.fromisoformat(step["at"])
        except ValueError:
            return step  # the model says why
        if moment.tzinfo is None:
            return {**step, "at": moment.replace(tzinfo=VIETNAM).isoformat()}
    return step


def dossier_id_of(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, code)


@dataclass(frozen=True)
class LineError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class LegacyFileInvalid(ValueError):
    """The file cannot be imported; nothing of it was. `errors` names each line and why."""

    def __init__(self, errors: list[LineError], total: int) -> None:
        self.errors, self.total = errors, total
        more = f"\n... and {total - len(errors)} more" if total > len(errors) else ""
        super().__init__("\n".join(str(e) for e in errors) + more)


@dataclass(frozen=True)
class Judged:
    """A valid line: the dossier, where it was in the file, its competent agency, and at
    status 9 the signed result's bytes (checked: a PDF, its SHA-256)."""

    line: int
    dossier: LegacyDossier
    agency: str
    result: bytes | None = None

    @property
    def result_sha256(self) -> str | None:
        return hashlib.sha256(self.result).hexdigest() if self.result is not None else None


def read_lines(name: str, text: str, catalogue: Catalogue, *, now: datetime,
               known_codes: Callable[[Iterable[str]], dict[str, uuid.UUID]] | None = None,
               read_result: ReadResult | None = None) -> list[Judged]:
    """Every dossier of the file `name` (its text, JSON lines), or LegacyFileInvalid naming
    every line that cannot be imported. `known_codes` looks codes up in the running system
    (code -> dossier id); a code it knows under another id is an error, one it knows under the
    id this import gives it was imported before (the caller skips it). `read_result` reads the
    signed result a line at status 9 names (None: no file can be read, such a line is an
    error)."""
    errors: list[LineError] = []
    judged: list[Judged] = []
    first_line: dict[str, int] = {}
    first_result: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            dossier, agency = _judge(raw, catalogue, now)
            result = _read_result(dossier, read_result)
        except _Refused as refused:
            errors.append(LineError(name, number, str(refused)))
            continue
        if dossier.code in first_line:
            errors.append(LineError(name, number, f"code {dossier.code} is already on line "
                                                  f"{first_line[dossier.code]}"))
            continue
        first_line[dossier.code] = number
        if dossier.result_number is not None:
            if (earlier := first_result.get(dossier.result_number)) is not None:
                errors.append(LineError(name, number, f"result_number {dossier.result_number} "
                                                      f"is already on line {earlier}"))
                continue
            first_result[dossier.result_number] = number
        judged.append(Judged(number, dossier, agency, result))
    if not judged and not errors:
        errors.append(LineError(name, 1, "the file holds no dossier"))
    if known_codes is not None and judged:
        known = known_codes([j.dossier.code for j in judged])
        for item in judged:
            held = known.get(item.dossier.code)
            if held is not None and held != item.dossier.dossier_id:
                errors.append(LineError(name, item.line, f"code {item.dossier.code} already "
                                                         f"belongs to dossier {held} here"))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise LegacyFileInvalid(errors[:MAX_ERRORS], len(errors))
    return judged


class _Refused(ValueError):
    pass


def _judge(raw: str, catalogue: Catalogue, now: datetime) -> tuple[LegacyDossier, str]:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _Refused(f"not JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(document, dict):
        raise _Refused("not a JSON object")
    try:
        dossier = LegacyDossier.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "line"
        raise _Refused(f"{where}: {first['msg']}") from None
    procedure = catalogue.procedures.get(dossier.procedure_code)
    if procedure is None:
        raise _Refused(f"procedure_code {dossier.procedure_code} is not in the catalogue")
    try:
        procedure.for_case(dossier.case_code)
    except KeyError:
        raise _Refused(f"procedure {dossier.procedure_code} has no case "
                       f"{dossier.case_code}") from None
    agency = dossier.agency or procedure.agency
    for field, code in (("agency", agency), ("receiving_unit", dossier.receiving_unit)):
        if code is not None and code not in catalogue.agencies:
            raise _Refused(f"{field} {code} is not an agency of the catalogue")
    if routing_problem(catalogue, procedure, agency) is not None:
        raise _Refused(f"agency {agency}: procedure {procedure.code} is commune-level, handled "
                       f"by a commune's {catalogue.agencies[procedure.agency].commune_unit} "
                       "unit, which this agency is not")
    if dossier.status not in IMPORTABLE_STATUSES:
        raise _Refused(f"status {dossier.status} cannot be imported: only a national status "
                       "code, 1 (not yet checked, by the receiving desk's officers), 2 or 4 (in "
                       "progress, continued by the competent agency's officers), 5 or 6 "
                       "(waiting on the applicant after acceptance), 7 (a withdrawal the agency "
                       "confirms), 9 (a signed result its desk hands over) or 3, 8, 10 (ended)")
    if dossier.received_at > now:
        raise _Refused(f"received_at {dossier.received_at.isoformat()} is in the future")
    if dossier.status == 1:
        if dossier.due_at is not None:
            raise _Refused("due_at: a dossier not yet checked (status 1) has no appointment "
                           "yet; the desk's acceptance here gives it, counted from received_at")
    elif dossier.due_at is None:
        if dossier.status != 3:
            raise _Refused("due_at: the appointment is required (only a dossier refused at "
                           "intake, status 3, or not yet checked, 1, may have none)")
    elif dossier.due_at <= dossier.received_at:
        raise _Refused(f"due_at {dossier.due_at.isoformat()} is not after received_at "
                       f"{dossier.received_at.isoformat()}")
    if dossier.delivery.channel == "postal" and not dossier.delivery.address:
        raise _Refused("delivery: a postal delivery needs its address")
    previous = dossier.received_at
    for index, step in enumerate(dossier.history):
        if step.at < previous:
            raise _Refused(f"history[{index}]: at {step.at.isoformat()} is before "
                           f"{'received_at' if index == 0 else 'the step before it'}")
        if step.at > now:
            raise _Refused(f"history[{index}]: at {step.at.isoformat()} is in the future")
        previous = step.at
    if dossier.history[-1].status != dossier.status:
        raise _Refused(f"the last step of history has status {dossier.history[-1].status}, "
                       f"the dossier {dossier.status}")
    _judge_request(dossier)
    _judge_withdrawal(dossier)
    _judge_result_fields(dossier)
    return dossier, agency


def _judge_result_fields(dossier: LegacyDossier) -> None:
    """A signed result to hand over (9) names its document and number, after acceptance; only
    such a dossier does."""
    fields = [f for f in ("result_file", "result_number", "result_sha256")
              if getattr(dossier, f) is not None]
    if dossier.status != RESULT_READY_STATUS:
        if fields:
            raise _Refused(f"{', '.join(fields)}: for a signed result to hand over (status 9), "
                           f"not {dossier.status}")
        return
    for field in ("result_file", "result_number"):
        if getattr(dossier, field) is None:
            raise _Refused(f"{field}: required at status 9 (the signed result to hand over)")
    if not any(step.status in (2, 4) for step in dossier.history[:-1]):
        raise _Refused("status 9: the history shows no acceptance (a step at 2 or 4) before "
                       "the result")


def _read_result(dossier: LegacyDossier, read: ReadResult | None) -> bytes | None:
    """The signed PDF a line at status 9 names, checked: inside the export's folder, readable,
    a PDF of a sensible size, and the SHA-256 the line gives, if it gives one."""
    path = dossier.result_file
    if path is None:
        return None
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts:
        raise _Refused(f"result_file {path}: a path relative to the export's folder, inside it")
    if read is None:
        raise _Refused(f"result_file {path}: no result file can be read here")
    try:
        content = read(path)
    except OSError as error:
        raise _Refused(f"result_file {path}: cannot read it ({error.strerror or error})") \
            from None
    if not content.startswith(PDF_MAGIC):
        raise _Refused(f"result_file {path}: not a PDF (it does not start with %PDF-)")
    if len(content) > MAX_RESULT_BYTES:
        raise _Refused(f"result_file {path}: {len(content)} bytes, more than "
                       f"{MAX_RESULT_BYTES} for one result")
    digest = hashlib.sha256(content).hexdigest()
    if dossier.result_sha256 is not None and dossier.result_sha256.lower() != digest:
        raise _Refused(f"result_file {path}: its SHA-256 is {digest}, not result_sha256 "
                       f"{dossier.result_sha256}")
    return content


def _judge_withdrawal(dossier: LegacyDossier) -> None:
    """A withdrawal to confirm (7) is imported only as the competent agency's to confirm: asked
    while the agency held the dossier (the step before it at 2 or 4). One asked before
    acceptance, or while the applicant was asked for something, is the old desk's to finish."""
    if dossier.status != WITHDRAWAL_STATUS:
        return
    before = [step.status for step in dossier.history if step.status != WITHDRAWAL_STATUS]
    if not before or before[-1] not in (2, 4):
        asked_at = before[-1] if before else "none"
        raise _Refused(f"status 7: the withdrawal was asked at status {asked_at} (the step "
                       "before it); only one asked while the agency held the dossier (2 or 4) "
                       "is imported, for the agency to confirm")


def _judge_request(dossier: LegacyDossier) -> None:
    """A dossier waiting on the applicant says what it waits for, and only such a one does."""
    if dossier.status != 5 and (dossier.supplement_due_at or dossier.requested_documents):
        raise _Refused("supplement_due_at and requested_documents are for a dossier awaiting a "
                       f"supplement (status 5), not {dossier.status}")
    if dossier.status != 6 and dossier.fees_due is not None:
        raise _Refused(f"fees_due is for a dossier awaiting fees (status 6), not "
                       f"{dossier.status}")
    if dossier.status not in (5, 6):
        return
    # Only after acceptance: the agency's request, which appraisal resumes from. A supplement
    # asked at the desk's first check (no acceptance yet) is the old system's to finish.
    if not any(step.status in (2, 4) for step in dossier.history[:-1]):
        raise _Refused(f"status {dossier.status}: the history shows no acceptance (a step at 2 "
                       "or 4) before the request; only a request after acceptance is imported")
    requested_at = dossier.history[-1].at
    if dossier.status == 5:
        if dossier.supplement_due_at is None:
            raise _Refused("supplement_due_at: the supplement's deadline is required at status 5")
        if dossier.supplement_due_at <= requested_at:
            raise _Refused(f"supplement_due_at {dossier.supplement_due_at.isoformat()} is not "
                           f"after the request (the last step, {requested_at.isoformat()})")
        if not [name for name in dossier.requested_documents if name.strip()]:
            raise _Refused("requested_documents: the documents asked for are required at "
                           "status 5")
    elif dossier.fees_due is None:
        raise _Refused("fees_due: the amount due is required at status 6")


def imported_event(item: Judged, *, producer: Producer, seal: Callable[[uuid.UUID, Any], Sealed],
                   sign: Callable[[bytes], str] | None, actor: str, source_system: str,
                   now: datetime) -> DossierImported:
    """The event that brings `item` in: signed with the import key, the personal values sealed
    under the dossier's data key (`seal`), the appointment and the end as the file gives them."""
    dossier = item.dossier
    dossier_id = dossier.dossier_id
    applicant = seal(dossier_id, dossier.applicant.model_dump(mode="json"))
    address = seal(dossier_id, dossier.delivery.address) if dossier.delivery.address else None
    facts = DossierFacts(
        code=dossier.code, procedure_code=dossier.procedure_code, applicant=applicant,
        received_at=dossier.received_at, due_at=dossier.due_at,
        delivery_channel=dossier.delivery.channel, delivery_address=address,
        channel=dossier.channel, fees_paid=dossier.fees_paid,
        supplements_requested=dossier.supplements_requested, case_code=dossier.case_code,
        receiving_unit=dossier.receiving_unit)
    return new_event(
        DossierImported, dossier_id=dossier_id, agency=item.agency, producer=producer,
        actor=actor, occurred_at=now, sign=sign, source_system=source_system,
        code=dossier.code, procedure_code=dossier.procedure_code, case_code=dossier.case_code,
        channel=dossier.channel, receiving_unit=dossier.receiving_unit, applicant=applicant,
        delivery=DeliveryChoice(channel=dossier.delivery.channel, address=address),
        received_at=dossier.received_at, status=dossier.status, ended_at=dossier.ended_at,
        history=list(dossier.history),
        continues_at=dossier.continues_at, awaiting=dossier.awaiting,
        result=_result_of(item, source_system),
        dossier=facts)


def _result_of(item: Judged, source_system: str) -> LegacyResult | None:
    """What the import records of a signed result: its number, its hash (what the download
    and the hand-over check), and that the seal it carries is the old system's."""
    dossier = item.dossier
    if item.result is None or dossier.result_number is None or dossier.ended_at is None:
        return None
    return LegacyResult(result_number=dossier.result_number,
                        document_sha256=hashlib.sha256(item.result).hexdigest(),
                        size=len(item.result), signed_at=dossier.ended_at,
                        sealed_by=source_system)
