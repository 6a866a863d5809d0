"""A realistic signed event log, for the replay benchmark and the tamper tests: dossiers of the
catalogue's agencies on every path the lifecycle allows (accepted and delivered online, at the
counter or by post, refused, supplements at intake and at appraisal, fees, liên thông
consultations between agencies, returns to appraisal, denials, apologies with a new appointment,
overdue, withdrawal) and dossiers brought in from the system being replaced (`DossierImported`,
signed by the import key: ended there, or continued here to delivery), each event signed by the
key of the instance entitled to emit it (by post, the post office's own delivery instance picks
up and delivers), dossiers interleaved on the partitions as on the real topic. Every event is
one the contracts accept (tests/audit/test_generator.py)."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import Event, new_event, uuid7
from motcua_contracts.appraisal import (
    ConsultationAnswered,
    ConsultationRequested,
    DossierAppraised,
    DossierTakenOver,
    FeesRequested,
)
from motcua_contracts.approval import DossierApproved, DossierDenied, DossierReturned
from motcua_contracts.delivery import (
    ResultDelivered,
    ResultHandedToPost,
    ResultPickedUpByPost,
    s10_check_digit,
)
from motcua_contracts.dossier import DeliveryChoice, Document, DossierFacts
from motcua_contracts.imported import DossierImported, LegacyResult, LegacyStep
from motcua_contracts.intake import (
    DossierAccepted,
    DossierOverdue,
    DossierRefused,
    DossierSubmitted,
    FeesPaid,
    SupplementProvided,
    WithdrawalRequested,
)
from motcua_contracts.sealed import Sealed
from motcua_contracts.shared import DelayApologized, DossierStopped, SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_privacy import new_data_key, seal_json
from motcua_runtime.keys import DEV_PASSPHRASE, Signer, ensure_keys, own_instances, signer_for

PARTITIONS = 12
STAGES = ("intake", "appraisal", "approval", "signing", "delivery")
IMPORT = "import"  # the import key's service (`motcua import-legacy`), one shared key
POST_OFFICE = "BUUDIEN"
ADDRESS = "Số 1 Hoàng Liên"  # a synthetic applicant's, in no province in particular
APPLICANT = {"full_name": "Nguyễn Thị Hoa", "id_number": "010203004567", "phone": "0912345678",
             "address": ADDRESS}
PATHS = {  # path -> weight (share of dossiers)
    "delivered": 34, "counter": 8, "postal": 8, "refused": 8, "intake_supplement": 6,
    "appraisal_supplement": 6, "fees": 6, "consultation": 6, "returned": 5, "denied": 5,
    "apology": 3, "withdrawal": 3, "overdue": 2, "imported": 5,
}
# An imported dossier's status in the old system -> weight: most ended there, some continued
# here to delivery by the agency's officers (4 recommended at once, 2 taken over first) or
# after the desk's first check (1), a withdrawal confirmed (7), an old signed result delivered
# online (9).
IMPORTED = {10: 45, 3: 5, 8: 5, 4: 25, 2: 8, 1: 4, 7: 4, 9: 4}
SOURCE_SYSTEM = "Hệ thống một cửa điện tử cũ"
_CONTINUES = {1: "intake", 9: "delivery"}  # where else an imported dossier goes on: appraisal

SignerOf = Callable[[str, str | None], Signer]


def prepare_keys(keys_dir: Path) -> SignerOf:
    """Keys for every stage's shared instance and, for half the agencies, their own instances
    of appraisal, approval, signing and delivery, and the post office's own delivery (as a
    province runs them)."""
    agencies = sorted(default_catalogue().agencies)
    own = set(agencies[::2])
    instances = [(stage, None) for stage in STAGES]
    instances += [(stage, a) for a in sorted(own) for stage in STAGES[1:]]
    instances += [("delivery", POST_OFFICE)] if POST_OFFICE not in own else []
    instances += [(IMPORT, None)]
    # Each shared key leaves out the agencies with their own instance, as `motcua up` makes it.
    # Throwaway keys of a synthetic log: the published development passphrase is enough.
    ensure_keys(keys_dir, instances, exclusions=own_instances(instances),
                passphrase=DEV_PASSPHRASE)
    signers = {(s, a): signer_for(keys_dir, s, a, passphrase=DEV_PASSPHRASE)
               for s, a in instances}

    def signer_of(stage: str, agency: str | None) -> Signer:
        return signers.get((stage, agency)) or signers[(stage, None)]

    return signer_of


class _Journey:
    """One dossier's history, built event by event with its causal links and signatures."""

    def __init__(self, rng: random.Random, signer_of: SignerOf, agency: str, start: datetime,
                 procedure: str, code: str, channel: str = "online") -> None:
        self.rng = rng
        self.signer_of = signer_of
        self.agency = agency
        self.dossier_id = uuid7()
        self.now = start
        self.events: list[Event] = []
        # Personal data sealed as intake seals it, under a data key of the journey's own that no
        # key store keeps: the archive and the replay need none.
        self.data_key = new_data_key()
        self.facts = DossierFacts(code=code, procedure_code=procedure,
                                  applicant=self.seal(APPLICANT), received_at=start,
                                  due_at=start + timedelta(days=10), delivery_channel=channel,
                                  delivery_address=self.seal(ADDRESS) if channel == "postal"
                                  else None,
                                  data=self.seal({"mục đích": "kinh doanh", "diện tích": 120}),
                                  data_filled=["diện tích", "mục đích"])

    def emit(self, cls: type[Event], stage: str, *, cause: Event | None, hours: float | None = None,
             key_agency: str | None = None, agency: str | None = None, **payload: Any) -> Event:
        self.now += timedelta(hours=hours if hours is not None else self.rng.uniform(0.5, 20))
        # The import key is one shared key (every agency): no agency has an import instance.
        signer = self.signer_of(stage, None if stage == IMPORT else key_agency or self.agency)
        event = new_event(cls, dossier_id=self.dossier_id, agency=agency or self.agency,
                          producer=signer.producer, cause=cause, occurred_at=self.now,
                          sign=signer.sign, **payload)
        self.events.append(event)
        return event

    def seal(self, value: Any) -> Sealed:
        return seal_json(self.data_key, self.dossier_id, value)

    def sha(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"


def _journey(j: _Journey, path: str, consulted: str) -> list[Event]:
    rng, start = j.rng, j.now
    if path == "imported":
        last = _imported(j)
        status = last.status  # type: ignore[attr-defined]
        if last.continues_at is None:  # type: ignore[attr-defined]
            return j.events
        if status == 7:  # the agency confirms the withdrawal the old system had not
            j.emit(DossierStopped, "appraisal", cause=last, reason="Công dân rút hồ sơ")
            return j.events
        if status == 9:  # the old signed result, made available online
            ready = last.result.signed_at  # type: ignore[attr-defined]
            j.emit(ResultDelivered, "delivery", cause=last, hours=0.1, channel="online",
                   delivered_at=j.now + timedelta(hours=0.1),
                   on_time=ready <= (j.facts.due_at or ready))
            return j.events
        if status == 1:  # the desk's first check, the appointment from the old reception
            j.facts = j.facts.model_copy(update={
                "due_at": j.facts.received_at + timedelta(days=15)})
            last = j.emit(DossierAccepted, "intake", cause=last, dossier=j.facts)
        return _decided(j, last, path, consulted)
    last = j.emit(DossierSubmitted, "intake", cause=None, hours=0, code=j.facts.code,
                  procedure_code=j.facts.procedure_code, channel="online",
                  applicant=j.facts.applicant,
                  documents=[Document(name="Tờ khai", sha256=j.sha(), size=120_000)],
                  delivery=DeliveryChoice(channel=j.facts.delivery_channel,
                                          address=j.facts.delivery_address),
                  data=j.facts.data,
                  received_at=start)
    if path == "refused":
        j.emit(DossierRefused, "intake", cause=last, reason="Thiếu giấy tờ",
               missing_documents=["Bản sao CCCD"])
        return j.events
    if path == "intake_supplement":
        last = j.emit(SupplementRequested, "intake", cause=last, requested_by="intake",
                      missing_documents=["Bản sao CCCD"], reason="Thiếu CCCD",
                      respond_by=j.now + timedelta(days=3), clock="restart")
        last = j.emit(SupplementProvided, "intake", cause=last, resumes="intake",
                      documents=[Document(name="Bản sao CCCD", sha256=j.sha(), size=50_000)])
        j.facts = j.facts.model_copy(update={"due_at": j.now + timedelta(days=10)})
    last = j.emit(DossierAccepted, "intake", cause=last, dossier=j.facts)
    if path == "withdrawal":
        last = j.emit(WithdrawalRequested, "intake", cause=last,
                      reason=j.seal("Không còn nhu cầu"), confirmed_by="appraisal")
        j.emit(DossierStopped, "appraisal", cause=last, reason="Công dân rút hồ sơ")
        return j.events
    if path == "appraisal_supplement":
        last = j.emit(SupplementRequested, "appraisal", cause=last, requested_by="appraisal",
                      missing_documents=[], reason="Bản vẽ chưa rõ",
                      respond_by=j.now + timedelta(days=3), clock="pause")
        wait = timedelta(hours=rng.uniform(2, 40))
        j.facts = j.facts.model_copy(update={"due_at": j.facts.due_at + wait})
        last = j.emit(SupplementProvided, "intake", cause=last, hours=wait.total_seconds() / 3600,
                      resumes="appraisal", dossier=j.facts,
                      documents=[Document(name="Bản vẽ", sha256=j.sha(), size=900_000)])
    if path == "fees":
        last = j.emit(FeesRequested, "appraisal", cause=last, amount=100_000, reason="Lệ phí")
        wait = timedelta(hours=rng.uniform(2, 40))
        j.facts = j.facts.model_copy(update={"due_at": j.facts.due_at + wait})
        last = j.emit(FeesPaid, "intake", cause=last, hours=wait.total_seconds() / 3600,
                      amount=100_000, receipt_number=f"BL-{rng.randrange(10**6):06d}",
                      dossier=j.facts)
    return _decided(j, last, path, consulted)


def _decided(j: _Journey, last: Event, path: str, consulted: str) -> list[Event]:
    """From the agency's appraisal to the delivery: the part of a journey after acceptance."""
    rng = j.rng
    if path == "consultation":
        request = j.emit(ConsultationRequested, "appraisal", cause=last, agency=consulted,
                         dossier=j.facts, lead_agency=j.agency, question="Ý kiến về quy hoạch?",
                         respond_by=j.now + timedelta(days=3))
        last = j.emit(ConsultationAnswered, "appraisal", cause=request, key_agency=consulted,
                      agency=j.agency, consulted_agency=consulted, agrees=True,
                      answer="Thống nhất")
    if path == "apology":
        old = j.facts.due_at
        new = old + timedelta(days=5)
        last = j.emit(DelayApologized, "appraisal", cause=last, reason="Cần xác minh thêm",
                      previous_due_at=old, new_due_at=new)
        j.facts = j.facts.model_copy(update={"due_at": new, "rescheduled_from": old})
        j.now = old + timedelta(hours=rng.uniform(1, 48))  # the work runs past the appointment
    deny = path == "denied"
    last = j.emit(DossierAppraised, "appraisal", cause=last, dossier=j.facts,
                  recommendation="deny" if deny else "approve", findings="Đủ điều kiện")
    if path == "returned":
        last = j.emit(DossierReturned, "approval", cause=last, dossier=j.facts,
                      reason="Bổ sung căn cứ pháp lý")
        last = j.emit(DossierAppraised, "appraisal", cause=last, dossier=j.facts,
                      recommendation="approve", findings="Đã bổ sung căn cứ")
    if path == "overdue":
        j.now = j.facts.due_at
        last = j.emit(DossierOverdue, "intake", cause=last, due_at=j.facts.due_at, hours=1)
    if deny:
        last = j.emit(DossierDenied, "approval", cause=last, dossier=j.facts,
                      reason="Không đủ điều kiện")
    else:
        last = j.emit(DossierApproved, "approval", cause=last, dossier=j.facts,
                      decision="Cấp phép")
    signed = j.emit(ResultSigned, "signing", cause=last, dossier=j.facts,
                    outcome="denied" if deny else "approved",
                    result_number=f"{rng.randrange(10**4):04d}/2026/QĐ-{j.agency}",
                    document_sha256=j.sha(), signed_at=j.now)
    appointment = j.facts.rescheduled_from or j.facts.due_at
    on_time = signed.signed_at <= appointment
    channel = j.facts.delivery_channel
    if channel != "postal":
        j.emit(ResultDelivered, "delivery", cause=signed, channel=channel, delivered_at=j.now,
               on_time=on_time, **({"received_by": j.seal("Nguyễn Thị Hoa"),
                                    "receiver_relation": "self", "identity_checked": True}
                                   if channel == "counter" else {}))
        return j.events
    handed = j.emit(ResultHandedToPost, "delivery", cause=signed, agency=POST_OFFICE,
                    dossier=j.facts, competent_agency=j.agency, address=j.facts.delivery_address,
                    result_number=signed.result_number, ready_at=signed.signed_at)
    serial = f"{rng.randrange(10**8):08d}"
    number = f"RR{serial}{s10_check_digit(serial)}VN"
    picked = j.emit(ResultPickedUpByPost, "delivery", cause=handed, key_agency=POST_OFFICE,
                    post_office=POST_OFFICE, tracking_number=number)
    # Who signed for it is personal data, sealed as the post office seals it (schema 2 on).
    j.emit(ResultDelivered, "delivery", cause=picked, key_agency=POST_OFFICE, hours=30,
           channel="postal", delivered_at=j.now + timedelta(hours=30), on_time=on_time,
           received_by=j.seal("Nguyễn Thị Hoa"), post_office=POST_OFFICE,
           tracking_number=number)
    return j.events


def _imported(j: _Journey) -> Event:
    """A dossier brought in from the system being replaced, as `motcua import-legacy` makes it:
    received there days before the import, at its status there, its appointment the old one."""
    rng = j.rng
    status = rng.choices(list(IMPORTED), weights=list(IMPORTED.values()))[0]
    received = j.now - timedelta(days=rng.uniform(25, 90))  # every old step before the import
    due = received + timedelta(days=15)
    actor = "legacy:tran.thi.b"

    def step(days: float, status: int) -> LegacyStep:
        return LegacyStep(at=received + timedelta(days=days), actor=actor, status=status)

    history = {10: [step(0, 2), step(1, 4), step(rng.uniform(2, 18), 9)],
               3: [step(0, 1), step(0.1, 3)],
               8: [step(0, 2), step(1, 4), step(2, 7), step(2.2, 8)],
               4: [step(0, 2), step(1, 4)],
               2: [step(0, 2)],
               1: [step(0, 1)],
               7: [step(0, 2), step(1, 4), step(2, 7)],
               9: [step(0, 2), step(1, 4), step(rng.uniform(2, 18), 9)]}[status]
    if status == 10:
        history.append(step((history[-1].at - received).days + 1.0, 10))
    ended = status in (3, 8, 10)
    ended_at = (next((s.at for s in history if s.status == 9), history[-1].at)
                if ended or status == 9 else None)
    j.facts = j.facts.model_copy(update={"received_at": received,
                                         "due_at": None if status in (1, 3) else due})
    result = LegacyResult(result_number=f"{rng.randrange(10**4)}/2026/KQ-CU",
                          document_sha256=j.sha(), size=180_000, signed_at=history[-1].at,
                          sealed_by=SOURCE_SYSTEM) if status == 9 else None
    imported = j.emit(DossierImported, IMPORT, cause=None, hours=0,
                      source_system=SOURCE_SYSTEM, code=j.facts.code,
                      procedure_code=j.facts.procedure_code, channel="counter",
                      applicant=j.facts.applicant,
                      delivery=DeliveryChoice(channel=j.facts.delivery_channel,
                                              address=j.facts.delivery_address),
                      received_at=received, status=status, ended_at=ended_at, history=history,
                      continues_at=None if ended else _CONTINUES.get(status, "appraisal"),
                      result=result, dossier=j.facts)
    if status == 2:  # the agency holds it now, as appraisal's on_imported says
        j.emit(DossierTakenOver, "appraisal", cause=imported, hours=0.01)
    return imported


def journey(rng: random.Random, signer_of: SignerOf, path: str, *, procedure: str,
            agency: str, start: datetime, code: str, consulted: str) -> list[Event]:
    """One dossier's history on `path` (a key of PATHS), received at `start`: what `generate`
    interleaves, for a test that folds given paths (tests/operations/test_report_agreement)."""
    if path not in PATHS:
        raise ValueError(f"no path {path!r}: one of {', '.join(PATHS)}")
    j = _Journey(rng, signer_of, agency, start, procedure, code,
                 channel=path if path in ("counter", "postal") else "online")
    return _journey(j, path, consulted)


def generate(signer_of: SignerOf, dossiers: int, *, seed: int = 1, window: int = 500,
             start: datetime | None = None) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(partition, offset, key, value) records of `dossiers` histories; `window` of them are in
    progress at any time, their events interleaved in time order as on the real topic."""
    rng = random.Random(seed)
    catalogue = default_catalogue()
    procedures = list(catalogue.procedures.values())
    agencies = sorted(catalogue.agencies)
    e_ids = {code: agency.electronic_id for code, agency in catalogue.agencies.items()}
    paths, weights = list(PATHS), list(PATHS.values())
    clock = start or datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
    offsets = [0] * PARTITIONS
    active: list[list[Event]] = []
    made = 0
    while made < dossiers or active:
        while made < dossiers and len(active) < window:
            procedure = rng.choice(procedures)
            path = rng.choices(paths, weights)[0]
            journey = _Journey(rng, signer_of, procedure.agency, clock, procedure.code,
                               f"{e_ids[procedure.agency]}-{clock:%y%m%d}-{made % 10_000:04d}",
                               channel=path if path in ("counter", "postal") else "online")
            consulted = rng.choice([a for a in agencies if a != procedure.agency])
            active.append(_journey(journey, path, consulted))
            clock += timedelta(seconds=30)
            made += 1
        history = active[rng.randrange(len(active))]
        event = history.pop(0)
        if not history:
            active.remove(history)
        key = str(event.dossier_id).encode()
        partition = zlib.crc32(key) % PARTITIONS
        yield partition, offsets[partition], key, event.model_dump_json().encode()
        offsets[partition] += 1
