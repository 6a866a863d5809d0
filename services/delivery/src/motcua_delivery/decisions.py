"""What delivery can decide on a work item: plain functions, no I/O. The automatic policy in
`handlers.py` and the officers' work queue over HTTP both call them.

The one-stop desk of the competent agency holds a `dossier` item: it hands the result over at the
counter, makes it available online, or hands it to the post office. The post office holds a
`postal` item of its own: it records the pick-up with the item's number, then the delivery."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from motcua_contracts.delivery import ResultDelivered, ResultHandedToPost, ResultPickedUpByPost
from motcua_contracts.sealed import Sealed
from motcua_delivery import domain
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_items import close, touch

POSTAL = "postal"  # the kind of the post office's work item
# In a desk item's context: who received the result at the counter; in the post office's, who
# signed for it at the address (when an officer recorded it).
HANDED_OVER = "handed_over"
CLOCK_SKEW = timedelta(minutes=5)
_ID_NUMBER = re.compile(r"[0-9]{6,}")


# The handing officer's full name, in the body of each decision that makes a hand-over record
# (the counter's hand-over, the post office's delivery): the token names the officer by user
# name only.
OFFICER_FULL_NAME = Field(
    default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
    description="The handing officer's full name, as their account gives it (the officers' "
                "workspace fills it in from the signed-in account; the token names the "
                "officer by user name only), printed on the hand-over record; without it "
                "the record names the officer by user name.")


def _one_spaced(name: str | None) -> str | None:
    return " ".join(name.split()) if name else None


class HandOver(BaseModel):
    """At the counter: who received the result, after the officer checked their identity paper.
    The paper's number is not asked for, so it is in no event and no log."""

    receiver_name: str = Field(min_length=1, max_length=200, examples=["Trần Thị Bình"])
    relation: Literal["self", "authorised"] = Field(
        default="self", description="The applicant in person, or someone they authorised.")
    identity_checked: bool = Field(description="The receiver's identity paper was checked.")
    authorisation: str | None = Field(
        default=None, max_length=200,
        description="For an authorised receiver: the power of attorney (giấy ủy quyền).")
    officer_full_name: str | None = OFFICER_FULL_NAME

    @field_validator("receiver_name")
    @classmethod
    def _a_name_not_an_id_number(cls, name: str) -> str:
        if _ID_NUMBER.search(name):
            raise ValueError("the receiver's name only: identity paper numbers are not recorded")
        return name.strip()

    @field_validator("identity_checked")
    @classmethod
    def _checked(cls, checked: bool) -> bool:
        if not checked:
            raise ValueError("check the receiver's identity paper before handing the result over")
        return checked


class HandToPost(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class PickUp(BaseModel):
    tracking_number: str = Field(description="The postal item's number (UPU S10).",
                                 examples=["RR123456785VN"])

    @field_validator("tracking_number")
    @classmethod
    def _s10(cls, number: str) -> str:
        return domain.check_tracking_number(number)


class Deliver(BaseModel):
    delivered_at: AwareDatetime = Field(description="When the addressee signed for it.")
    recipient: str = Field(min_length=1, max_length=200, description="Who signed for it.")
    officer_full_name: str | None = OFFICER_FULL_NAME


def _on_time(item: Any) -> bool:
    facts = item.facts()
    ready_at = datetime.fromisoformat(item.context["ready_at"])
    return domain.on_time(ready_at, facts.rescheduled_from or facts.due_at,
                          rescheduled=facts.rescheduled_from is not None,
                          supplements=facts.supplements_requested)


def _desk_channel(item: Any, decision: str, wanted: str) -> None:
    channel = item.facts().delivery_channel
    if item.kind == POSTAL:
        raise Rejected(f"{decision} is the one-stop desk's; the post office records pick-up "
                       "and deliver")
    if channel != wanted:
        hint = {"counter": "hand-over", "postal": "hand-to-post",
                "online": "nothing: the result is made available online"}[channel]
        raise Rejected(f"the applicant chose {channel} delivery, so {decision} does not apply; "
                       f"take {hint}")


def _delivered(item: Any, emitter: Emitter, *, now: datetime, actor: str, agency: str,
               reason: str | None = None, **fields: Any) -> ResultDelivered:
    punctual = _on_time(item)
    event = emitter.emit(ResultDelivered, cause=item.cause(), actor=actor, agency=agency,
                         delivered_at=fields.pop("delivered_at", now), on_time=punctual,
                         **fields)
    close(item, outcome="delivered", reason=reason or (None if punctual else "late"), by=actor,
          at=now, emitted=event)
    return event


# Seals a personal value (the receiver's name) under the item's dossier's data key: the
# repository's keys (motcua_delivery.repository.DeliveryItems.sealer).
Seal = Callable[[str], Sealed]


def hand_over(item: Any, emitter: Emitter, *, now: datetime, actor: str = "auto",
              body: HandOver | None = None, seal: Seal | None = None) -> ResultDelivered:
    """At the counter. Under the automatic policy nobody is recorded as the receiver; an
    officer records who received it, sealed (`seal`)."""
    _desk_channel(item, "hand-over", "counter")
    fields: dict[str, Any] = {}
    reason = None
    if body is not None:
        if seal is None:
            raise Rejected("the receiver's name cannot be sealed: no key for the dossier")
        fields = {"received_by": seal(body.receiver_name), "receiver_relation": body.relation,
                  "identity_checked": body.identity_checked}
        if body.relation == "authorised":
            if not body.authorisation:
                raise Rejected("an authorised receiver shows the power of attorney: give "
                               "`authorisation`")
            reason = f"Ủy quyền: {body.authorisation}"
        # What the hand-over record prints (motcua_delivery.record), kept with the item: the
        # receiver's name sealed as the event carries it.
        item.context = {**item.context, HANDED_OVER: {
            "received_by": fields["received_by"].model_dump(mode="json"),
            "relation": body.relation, "identity_checked": body.identity_checked,
            "authorisation": body.authorisation if body.relation == "authorised" else None,
            "officer_full_name": _one_spaced(body.officer_full_name),
            "at": now.isoformat()}}
    return _delivered(item, emitter, now=now, actor=actor, agency=item.agency, reason=reason,
                      channel="counter", **fields)


def make_available(item: Any, emitter: Emitter, *, now: datetime) -> ResultDelivered:
    """Online: the signed file is there to download from now on (intake serves it and tells
    the applicant). Nothing for an officer to do, so it never waits for one."""
    _desk_channel(item, "make-available", "online")
    return _delivered(item, emitter, now=now, actor="auto", agency=item.agency, channel="online")


def hand_to_post(item: Any, emitter: Emitter, *, post_office: str, now: datetime,
                 actor: str = "auto", note: str | None = None) -> ResultHandedToPost:
    _desk_channel(item, "hand-to-post", "postal")
    facts = item.facts()
    if not facts.delivery_address:
        raise Rejected(f"dossier {facts.code} carries no postal address to send the result to")
    event = emitter.emit(ResultHandedToPost, cause=item.cause(), actor=actor, agency=post_office,
                         dossier=facts, competent_agency=item.agency,
                         address=facts.delivery_address,
                         result_number=item.context["result_number"],
                         ready_at=item.context["ready_at"])
    close(item, outcome="handed_to_post", reason=note, by=actor, at=now, emitted=event)
    return event


def _postal(item: Any, decision: str) -> None:
    if item.kind != POSTAL:
        raise Rejected(f"{decision} is the post office's, on the item the desk handed to it")


def pick_up(item: Any, emitter: Emitter, *, tracking_number: str, now: datetime,
            actor: str = "auto") -> ResultPickedUpByPost:
    _postal(item, "pick-up")
    if "tracking_number" in item.context:
        raise Rejected(f"already picked up as {item.context['tracking_number']}")
    event = emitter.emit(ResultPickedUpByPost, cause=item.cause(), actor=actor,
                         agency=item.context["competent_agency"], post_office=item.agency,
                         tracking_number=domain.check_tracking_number(tracking_number))
    item.context = {**item.context, "tracking_number": event.tracking_number,
                    "picked_up_at": now.isoformat()}
    touch(item, event)  # the delivery that follows names the pick-up as its cause
    return event


def deliver_by_post(item: Any, emitter: Emitter, *, delivered_at: datetime, now: datetime,
                    recipient: str | None = None, actor: str = "auto",
                    seal: Seal | None = None,
                    officer_full_name: str | None = None) -> ResultDelivered:
    _postal(item, "deliver")
    number = item.context.get("tracking_number")
    if number is None:
        raise Rejected("record the pick-up (with the item's number) before the delivery")
    if delivered_at < datetime.fromisoformat(item.context["picked_up_at"]):
        raise Rejected("delivered_at is before the pick-up")
    if delivered_at > now + CLOCK_SKEW:
        raise Rejected("delivered_at is in the future")
    if recipient is not None and seal is None:
        raise Rejected("the recipient's name cannot be sealed: no key for the dossier")
    received_by = None if recipient is None else seal(recipient)  # type: ignore[misc]
    if received_by is not None:
        # The post office records the hand-over too (docs/domain.md): what its hand-over
        # record prints (motcua_delivery.record), as the desk's counter hand-over keeps it.
        item.context = {**item.context, HANDED_OVER: {
            "received_by": received_by.model_dump(mode="json"), "relation": "addressee",
            "identity_checked": None, "authorisation": None,
            "officer_full_name": _one_spaced(officer_full_name),
            "at": delivered_at.isoformat()}}
    return _delivered(item, emitter, now=now, actor=actor,
                      agency=item.context["competent_agency"], channel="postal",
                      delivered_at=delivered_at, received_by=received_by,
                      post_office=item.agency, tracking_number=number)
