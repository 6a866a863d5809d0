"""The national status codes, and the rules of a dossier's life: which event may happen in which
state, and which stage may emit it.

Every provincial system reports the same ten codes (docs/domain.md); the stages map onto them:
intake = 1/2/3/5, appraisal-approval-signing = 4 (6 while fees are due), delivery = 9 then 10
(by post the result stays 9 while the post office carries it), withdrawal = 7 then 8, a
supplement after acceptance not delivered in time = 5 then 8.

`advance(state, event)` is a pure fold: intake's tracking view and the auditors' replay both walk
a dossier's events through it, so they agree on what is legal. An event it refuses (stale, out of
order, from the wrong stage) must change nothing and go to the dead-letter topic."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

from motcua_contracts.envelope import Event, field_value
from motcua_contracts.intake import SUPPLEMENT_EXPIRY_ENDS


class Status(IntEnum):
    SUBMITTED = 1  # Mới đăng ký
    ACCEPTED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    IN_PROGRESS = 4  # Đang xử lý
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ
    AWAITING_FEES = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWAL_REQUESTED = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    RESULT_READY = 9  # Đã xử lý xong
    DELIVERED = 10  # Đã trả kết quả


STATUS_NAMES: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.ACCEPTED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.IN_PROGRESS: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.AWAITING_FEES: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWAL_REQUESTED: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESULT_READY: "Đã xử lý xong",
    Status.DELIVERED: "Đã trả kết quả",
}

TERMINAL = frozenset({Status.REFUSED, Status.STOPPED, Status.DELIVERED})

# The stage services entitled to emit each event type.
PRODUCERS: dict[str, frozenset[str]] = {
    "DossierSubmitted": frozenset({"intake"}),
    "DossierAccepted": frozenset({"intake"}),
    "DossierRefused": frozenset({"intake"}),
    "DossierTakenOver": frozenset({"appraisal"}),
    "SupplementRequested": frozenset({"intake", "appraisal"}),
    "SupplementProvided": frozenset({"intake"}),
    "SupplementExpired": frozenset({"intake"}),
    "FeesRequested": frozenset({"appraisal"}),
    "FeesPaid": frozenset({"intake"}),
    "ConsultationRequested": frozenset({"appraisal"}),
    "ConsultationAnswered": frozenset({"appraisal"}),
    "DossierAppraised": frozenset({"appraisal"}),
    "DossierReturned": frozenset({"approval"}),
    "DossierApproved": frozenset({"approval"}),
    "DossierDenied": frozenset({"approval"}),
    "ResultSigned": frozenset({"signing"}),
    # By post, the desk hands over and the post office's delivery picks up and delivers; which
    # agency's key may sign each is motcua_runtime.trust's `competent_agency`.
    "ResultHandedToPost": frozenset({"delivery"}),
    "ResultPickedUpByPost": frozenset({"delivery"}),
    "ResultDelivered": frozenset({"delivery"}),
    "DelayApologized": frozenset({"appraisal", "approval", "signing"}),
    "DossierOverdue": frozenset({"intake"}),
    "WithdrawalRequested": frozenset({"intake"}),
    "DossierStopped": frozenset({"intake", "appraisal"}),
    # Every stage that signs what it emits resolves its own dead letters (operations has no key).
    "DeadLetterResolved": frozenset({"intake", "appraisal", "approval", "signing", "delivery"}),
    # Crypto-shredding: intake holds the key store's write rights (motcua_privacy).
    "PersonalDataErased": frozenset({"intake"}),
    # The applicant's rating, recorded by intake's API.
    "DossierRated": frozenset({"intake"}),
    # A dossier brought in from the system being replaced: only the import key signs it
    # (motcua_contracts.imported, `motcua import-legacy`).
    "DossierImported": frozenset({"import"}),
}

# The events that start a dossier's history (no cause): a native submission, or a dossier
# brought in from the system being replaced.
ROOTS = frozenset({"DossierSubmitted", "DossierImported"})

# Events that record something about the processing, not the dossier: legal in any state, even
# before the submission arrived or after the end, and they change nothing.
NEUTRAL = frozenset({"DeadLetterResolved", "PersonalDataErased"})
# Events about a delivered dossier: legal only once the result is delivered (status 10), and
# they change nothing (the dossier has ended).
AFTER_DELIVERY = frozenset({"DossierRated"})

APPLICANT = "applicant"  # the holder while a supplement or fees are awaited


class IllegalTransition(ValueError):
    """An event that cannot happen in the dossier's state: stale, out of order or forged."""


@dataclass(frozen=True)
class DossierState:
    """What the rules need to know about a dossier, folded from its events."""

    progress: Status | None = None  # the status, leaving aside a pending withdrawal
    holder: str | None = None  # the stage that acts next, or "applicant"
    supplement_from: str | None = None  # the stage awaiting a supplement
    intake_supplements: int = 0
    supplements: int = 0  # a second request makes the dossier count as late
    consultations: int = 0  # consultations sent and not yet answered
    rescheduled: bool = False
    overdue: bool = False
    withdrawal_requested: bool = False
    agency: str | None = None  # the competent agency, once accepted
    delivery_channel: str | None = None  # chosen at submission: counter, postal or online
    post_office: str | None = None  # by post: the post office the desk handed the result to
    tracking_number: str | None = None  # by post: the item's number, once picked up

    @property
    def status(self) -> Status | None:
        if self.withdrawal_requested and self.progress not in TERMINAL:
            return Status.WITHDRAWAL_REQUESTED
        return self.progress

    @property
    def ended(self) -> bool:
        return self.progress in TERMINAL

    def to_json(self) -> dict[str, Any]:
        # Every field is a scalar: no need for asdict's recursive deep copy, which was a tenth
        # of a folding view's CPU per event (issue 15).
        return {name: getattr(self, name) for name in _STATE_FIELDS}

    @classmethod
    def from_json(cls, document: dict[str, Any] | None) -> DossierState:
        if not document:
            return cls()
        values = dict(document)
        if values.get("progress") is not None:
            values["progress"] = Status(values["progress"])
        return cls(**values)


_STATE_FIELDS = tuple(f.name for f in fields(DossierState))
_STATE_FIELD_SET = frozenset(_STATE_FIELDS)


def _changed(state: DossierState, **changes: Any) -> DossierState:
    """`dataclasses.replace(state, **changes)` for this flat record of scalars, a sixth of its
    cost: replace goes through the fields and `__init__`, 6 µs a transition, which the replay
    pays for every event it verifies (issue 15)."""
    if not changes.keys() <= _STATE_FIELD_SET:
        raise TypeError(f"not fields of DossierState: {sorted(changes.keys() - _STATE_FIELD_SET)}")
    values = dict(state.__dict__)
    values.update(changes)
    changed = object.__new__(DossierState)
    object.__setattr__(changed, "__dict__", values)
    return changed


def advance(state: DossierState, event: Event) -> DossierState:
    """The dossier's state after `event`, or IllegalTransition saying why it cannot happen."""
    kind = event.type
    allowed = PRODUCERS.get(kind, frozenset())
    if event.producer.service not in allowed:
        raise IllegalTransition(f"{kind} may be emitted by {', '.join(sorted(allowed))}, "
                                f"not by {event.producer.service}")
    if kind in NEUTRAL:
        return state
    if kind in AFTER_DELIVERY:
        _expect(state.progress == Status.DELIVERED, kind, state,
                "only a delivered dossier is rated")
        return state
    if kind == "DossierSubmitted":
        _expect(state.progress is None, kind, state, "the dossier was already submitted")
        chosen = getattr(field_value(event, "delivery"), "channel", None)
        return DossierState(progress=Status.SUBMITTED, holder="intake", delivery_channel=chosen)
    if kind == "DossierImported":
        _expect(state.progress is None, kind, state,
                f"the dossier has ended ({state.progress})" if state.ended
                else "the dossier already has a history")
        return _imported(event)
    _expect(state.progress is not None, kind, state, "no DossierSubmitted came first")
    _expect(not state.ended, kind, state, f"the dossier has ended ({state.progress})")
    rule = _RULES.get(kind)
    if rule is None:
        raise IllegalTransition(f"{kind} has no lifecycle rule")
    return rule(state, event)


def _imported(event: Event) -> DossierState:
    """A dossier imported at the status it had in the old system: ended, or held by the stage
    it continues at (the receiving desk's check for one not yet checked, else the competent
    agency's appraisal), with the supplements it was asked for and a withdrawal it waits to
    confirm."""
    status = Status(event.status)  # type: ignore[attr-defined]
    continues_at: str | None = event.continues_at  # type: ignore[attr-defined]
    if status in TERMINAL:
        _expect(continues_at is None, event.type, DossierState(), f"an ended dossier (status "
                f"{int(status)}) continues nowhere, not at {continues_at}")
    else:
        _expect(status in _IMPORTED_GOING, event.type, DossierState(),
                f"an imported dossier at status {int(status)} cannot continue here (only 1, "
                "2, 4, 5, 6, 7 or 9)")
        stage = _IMPORTED_AT.get(status, "appraisal")
        _expect(continues_at == stage, event.type, DossierState(),
                f"an imported dossier at status {int(status)} continues at {stage}, not at "
                f"{continues_at}")
    awaiting = getattr(event, "awaiting", None)
    wanted = _IMPORTED_GOING.get(status)
    _expect((awaiting.what if awaiting else None) == wanted, event.type, DossierState(),
            f"an imported dossier at status {int(status)} awaits "
            f"{wanted or 'nothing from the applicant'}, not {awaiting.what if awaiting else None}")
    result = getattr(event, "result", None)
    _expect((result is not None) == (status == Status.RESULT_READY), event.type, DossierState(),
            "an imported dossier carries the old system's signed result at status 9, and only "
            f"there (status {int(status)}, result {'given' if result else 'none'})")
    facts = event.dossier  # type: ignore[attr-defined]
    withdrawing = status == Status.WITHDRAWAL_REQUESTED
    progress = status
    if withdrawing:
        # The withdrawal is pending over the status it was asked at: the old step before it,
        # in the agency's hands (2 or 4), which the agency's confirmation ends.
        before = [s.status for s in event.history  # type: ignore[attr-defined]
                  if s.status != Status.WITHDRAWAL_REQUESTED]
        progress = Status(before[-1]) if before else Status.SUBMITTED
        _expect(progress in _WORKING, event.type, DossierState(),
                f"an imported withdrawal is confirmed by the competent agency: it was asked at "
                f"status {int(progress)}, not 2 or 4")
    # Waiting on the applicant as after a native request of the agency: the applicant holds it,
    # and appraisal resumes when they answer.
    return DossierState(progress=progress, holder=APPLICANT if wanted else continues_at,
                        supplement_from=continues_at if wanted == "supplement" else None,
                        agency=event.agency, supplements=facts.supplements_requested,
                        withdrawal_requested=withdrawing,
                        delivery_channel=event.delivery.channel)  # type: ignore[attr-defined]


# The statuses an imported dossier continues at, and what each awaits from the applicant.
_IMPORTED_GOING: dict[Status, str | None] = {
    Status.SUBMITTED: None, Status.ACCEPTED: None, Status.IN_PROGRESS: None,
    Status.SUPPLEMENT_REQUESTED: "supplement", Status.AWAITING_FEES: "fees",
    Status.WITHDRAWAL_REQUESTED: None, Status.RESULT_READY: None}
# The stage an imported dossier continues at, where it is not the competent agency's appraisal:
# one not yet checked waits for the receiving desk's first check, as a native filing; a signed
# result waits at delivery, as after a native ResultSigned.
_IMPORTED_AT: dict[Status, str] = {Status.SUBMITTED: "intake", Status.RESULT_READY: "delivery"}


def _expect(condition: bool, kind: str, state: DossierState, why: str) -> None:
    if not condition:
        status = state.status.value if state.status else "none"
        raise IllegalTransition(
            f"{kind} cannot happen now: {why} (status {status}, held by {state.holder})")


def _held_by(state: DossierState, kind: str, stage: str, *progress: Status) -> None:
    _expect(state.holder == stage, kind, state, f"the dossier is not at {stage}")
    if progress:
        _expect(state.progress in progress, kind, state,
                f"status must be one of {[int(p) for p in progress]}")


_WORKING = (Status.ACCEPTED, Status.IN_PROGRESS)


def _accepted(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "intake", Status.SUBMITTED)
    return _changed(state, progress=Status.ACCEPTED, holder="appraisal",
                   agency=field_value(event, "agency"))


def _taken_over(state: DossierState, event: Event) -> DossierState:
    """The competent agency holds the dossier: being processed (4). Only from 2: by the time an
    agency's first decision has moved the dossier on, it was taken over already."""
    _held_by(state, event.type, "appraisal", Status.ACCEPTED)
    return _changed(state, progress=Status.IN_PROGRESS)


def _refused(state: DossierState, event: Event) -> DossierState:
    waiting_at_intake = (state.progress == Status.SUPPLEMENT_REQUESTED
                         and state.supplement_from == "intake")
    _expect(state.progress == Status.SUBMITTED and state.holder == "intake" or waiting_at_intake,
            event.type, state, "only a dossier not yet accepted can be refused at intake")
    return _changed(state, progress=Status.REFUSED, holder=None, supplement_from=None)


def _supplement_requested(state: DossierState, event: Event) -> DossierState:
    by: str = event.requested_by  # type: ignore[attr-defined]
    _expect(by == event.producer.service, event.type, state,
            f"requested_by {by} but emitted by {event.producer.service}")
    if by == "intake":
        _held_by(state, event.type, "intake", Status.SUBMITTED)
        _expect(state.intake_supplements == 0, event.type, state,
                "intake asks for a supplement only once")
    else:
        _held_by(state, event.type, "appraisal", *_WORKING)
    return _changed(state, progress=Status.SUPPLEMENT_REQUESTED, holder=APPLICANT,
                   supplement_from=by, supplements=state.supplements + 1,
                   intake_supplements=state.intake_supplements + (by == "intake"))


def _supplement_provided(state: DossierState, event: Event) -> DossierState:
    resumes: str = event.resumes  # type: ignore[attr-defined]
    _expect(state.progress == Status.SUPPLEMENT_REQUESTED and state.supplement_from == resumes,
            event.type, state, f"no supplement was requested by {resumes}")
    progress = Status.SUBMITTED if resumes == "intake" else Status.IN_PROGRESS
    return _changed(state, progress=progress, holder=resumes, supplement_from=None)


def _supplement_expired(state: DossierState, event: Event) -> DossierState:
    """A supplement after acceptance not delivered by its deadline ends in refusal: for an
    accepted dossier, processing stopped (8), not 3, which is a refusal at intake (docs/domain.md).
    Schema version 1 handed the dossier back to the agency (a denial followed); read so still."""
    _expect(state.progress == Status.SUPPLEMENT_REQUESTED and state.supplement_from == "appraisal",
            event.type, state, "no supplement is awaited by appraisal")
    if not ended_by_expiry(event):
        return _changed(state, progress=Status.IN_PROGRESS, holder="appraisal",
                       supplement_from=None)
    return _changed(state, progress=Status.STOPPED, holder=None, supplement_from=None)


def ended_by_expiry(event: Event) -> bool:
    """Whether `event` is an expired supplement that ends the dossier (schema version 2 on)."""
    return event.type == "SupplementExpired" and event.schema_version >= SUPPLEMENT_EXPIRY_ENDS


def _fees_requested(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "appraisal", *_WORKING)
    return _changed(state, progress=Status.AWAITING_FEES, holder=APPLICANT)


def _fees_paid(state: DossierState, event: Event) -> DossierState:
    _expect(state.progress == Status.AWAITING_FEES, event.type, state, "no fees are due")
    return _changed(state, progress=Status.IN_PROGRESS, holder="appraisal")


def _consultation_requested(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "appraisal", *_WORKING)
    return _changed(state, progress=Status.IN_PROGRESS, consultations=state.consultations + 1)


def _consultation_answered(state: DossierState, event: Event) -> DossierState:
    _expect(state.consultations > 0, event.type, state, "no consultation is awaiting an answer")
    return _changed(state, consultations=state.consultations - 1)


def _appraised(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "appraisal", *_WORKING)
    _expect(state.consultations == 0, event.type, state,
            f"{state.consultations} consultation(s) are still unanswered")
    return _changed(state, progress=Status.IN_PROGRESS, holder="approval")


def _returned(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "approval")
    return _changed(state, holder="appraisal")


def _decided(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "approval")
    return _changed(state, holder="signing")


def _signed(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "signing")
    return _changed(state, progress=Status.RESULT_READY, holder="delivery")


def _handed_to_post(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "delivery", Status.RESULT_READY)
    _expect(state.delivery_channel in (None, "postal"), event.type, state,
            f"the applicant chose {state.delivery_channel} delivery, not postal")
    _expect(state.post_office is None, event.type, state,
            f"the result was already handed to the post office {state.post_office}")
    desk: str = event.competent_agency  # type: ignore[attr-defined]
    _expect(state.agency in (None, desk), event.type, state,
            f"the desk of {desk} hands over only its own results, this dossier is {state.agency}'s")
    return _changed(state, post_office=event.agency)


def _picked_up_by_post(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "delivery", Status.RESULT_READY)
    carrier: str = event.post_office  # type: ignore[attr-defined]
    _expect(state.post_office is not None, event.type, state,
            "the result was not handed to a post office")
    _expect(carrier == state.post_office, event.type, state,
            f"the result was handed to {state.post_office}, not to {carrier}")
    _expect(state.tracking_number is None, event.type, state,
            f"the post office already picked it up ({state.tracking_number})")
    return _changed(state, tracking_number=event.tracking_number)  # type: ignore[attr-defined]


def _delivered(state: DossierState, event: Event) -> DossierState:
    _held_by(state, event.type, "delivery", Status.RESULT_READY)
    channel: str = event.channel  # type: ignore[attr-defined]
    _expect(state.delivery_channel in (None, channel), event.type, state,
            f"the applicant chose {state.delivery_channel} delivery, not {channel}")
    if channel == "postal":
        _expect(state.tracking_number is not None, event.type, state,
                "no post office picked the result up")
        carrier = field_value(event, "post_office")
        _expect(carrier == state.post_office, event.type, state,
                f"the post office {state.post_office} carries it, not {carrier}")
        number = field_value(event, "tracking_number")
        _expect(number == state.tracking_number, event.type, state,
                f"tracking number {number} is not the item picked up, {state.tracking_number}")
    else:
        _expect(state.post_office is None, event.type, state,
                f"the result is with the post office {state.post_office}, which delivers it")
    _expect(state.agency in (None, event.agency), event.type, state,
            f"the result of {state.agency} cannot be delivered as {event.agency}'s")
    return _changed(state, progress=Status.DELIVERED, holder=None)


def _apologized(state: DossierState, event: Event) -> DossierState:
    _expect(not state.rescheduled, event.type, state, "the appointment was already reset once")
    _expect(state.progress != Status.RESULT_READY, event.type, state, "the result is ready")
    _expect(state.holder == event.producer.service, event.type, state,
            f"only the stage holding the dossier apologises, not {event.producer.service}")
    return _changed(state, rescheduled=True)


def _overdue(state: DossierState, event: Event) -> DossierState:
    _expect(not state.overdue, event.type, state, "the dossier is already marked overdue")
    _expect(state.progress != Status.RESULT_READY, event.type, state, "the result is ready")
    return _changed(state, overdue=True)


def _withdrawal_requested(state: DossierState, event: Event) -> DossierState:
    _expect(not state.withdrawal_requested, event.type, state, "a withdrawal is already pending")
    _expect(state.progress != Status.RESULT_READY, event.type, state, "the result is ready")
    return _changed(state, withdrawal_requested=True)


def _stopped(state: DossierState, event: Event) -> DossierState:
    _expect(state.withdrawal_requested, event.type, state, "the applicant did not ask to withdraw")
    return _changed(state, progress=Status.STOPPED, holder=None, supplement_from=None)


_RULES = {
    "DossierAccepted": _accepted,
    "DossierTakenOver": _taken_over,
    "DossierRefused": _refused,
    "SupplementRequested": _supplement_requested,
    "SupplementProvided": _supplement_provided,
    "SupplementExpired": _supplement_expired,
    "FeesRequested": _fees_requested,
    "FeesPaid": _fees_paid,
    "ConsultationRequested": _consultation_requested,
    "ConsultationAnswered": _consultation_answered,
    "DossierAppraised": _appraised,
    "DossierReturned": _returned,
    "DossierApproved": _decided,
    "DossierDenied": _decided,
    "ResultSigned": _signed,
    "ResultHandedToPost": _handed_to_post,
    "ResultPickedUpByPost": _picked_up_by_post,
    "ResultDelivered": _delivered,
    "DelayApologized": _apologized,
    "DossierOverdue": _overdue,
    "WithdrawalRequested": _withdrawal_requested,
    "DossierStopped": _stopped,
}
