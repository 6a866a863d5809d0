"""Events emitted by delivery (Trả kết quả), stage 5: the result goes back to the applicant at
the counter, online, or by post. By post the one-stop desk of the competent agency hands the
result to the post office (Decision 45/2016/QĐ-TTg), whose own delivery instance records the
pick-up and the delivery: the same shape as a liên thông consultation, one agency handing a step
to another on the shared topic."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import DATA_SEALED_SCHEMA_VERSION, SealedField, sealed_schema_version

# UPU S10, the international format of postal item identifiers that Vietnam Post uses: two
# letters (the service), an 8-digit serial, a check digit over the serial, the country code.
TRACKING_NUMBER = r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$"
_S10 = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """The check digit of an 8-digit S10 serial."""
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def check_tracking_number(number: str) -> str:
    """The number, upper-cased, if it is a valid S10 item number; else ValueError saying why."""
    number = number.strip().upper()
    match = _S10.match(number)
    if match is None:
        raise ValueError(f"tracking number {number!r} is not a postal item number: two letters, "
                         "nine digits, two letters (e.g. RR123456785VN)")
    if int(match.group(3)) != s10_check_digit(match.group(2)):
        raise ValueError(f"tracking number {number!r} has a wrong check digit: mistyped?")
    return number


def _valid_tracking_number(number: str | None) -> str | None:
    return None if number is None else check_tracking_number(number)


class ResultHandedToPost(Event):
    """The applicant chose the postal channel: the one-stop desk hands the signed result to the
    post office, with the postal address. Status stays 9.

    Emitted by the competent agency's delivery with `agency` set to the post office (so the post
    office's delivery instance acts on it); consumed by the post office's delivery, and intake's
    tracking view. Signed by the competent agency (`competent_agency`)."""

    type: Literal["ResultHandedToPost"] = Field(
        "ResultHandedToPost", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the post office needs it.")
    competent_agency: str = Field(description="The agency whose desk hands the result over.",
                                  examples=["STP"])
    address: SealedField = Field(description="Where to deliver it (sealed: the dossier's "
                                             "`delivery_address`).")
    result_number: str = Field(description="Số ký hiệu of the result being carried.")
    ready_at: AwareDatetime = Field(
        description="When the result was ready (status 9, the signing time): on time or late "
                    "is judged against the appointment at that moment, not at delivery.")


class ResultPickedUpByPost(Event):
    """The post office picked the result up from the desk, under a tracking number. Status
    stays 9.

    Emitted by the post office's delivery with `agency` set back to the competent agency;
    consumed by intake's tracking view (the applicant follows the item by its number)."""

    type: Literal["ResultPickedUpByPost"] = Field(
        "ResultPickedUpByPost", description="Event type, the discriminator of the topic's union.")
    post_office: str = Field(description="The post office carrying the result.",
                             examples=["BUUDIEN"])
    tracking_number: str = Field(pattern=TRACKING_NUMBER,
                                 description="The postal item's number (UPU S10).",
                                 examples=["RR123456785VN"])

    _s10 = field_validator("tracking_number")(_valid_tracking_number)


class ResultDelivered(Event):
    """The result was handed over to the applicant. Status 10, terminal.

    Emitted by delivery: at the counter and online by the competent agency's desk, by post by
    the post office (`post_office`, which signs it); `agency` is the competent agency either
    way. Consumed by intake's tracking view (and auditors, reports). Online, delivered means
    the signed file is available for download."""

    type: Literal["ResultDelivered"] = Field(
        "ResultDelivered", description="Event type, the discriminator of the topic's union.")
    channel: Literal["counter", "postal", "online"] = Field(description="How it was handed over.")
    delivered_at: AwareDatetime = Field(description="When the applicant received it (online: "
                                                    "when it became available).")
    on_time: bool = Field(description="Whether the dossier ended no later than its appointment.")
    schema_version: JsonInt = sealed_schema_version()
    received_by: SealedField | None = Field(
        default=None,
        description="Who received it (a name, sealed under the dossier's data key): at the "
                    "counter the person the officer handed it to, by post who signed for it; "
                    "null under the automatic policy and online.")
    receiver_relation: Literal["self", "authorised"] | None = Field(
        default=None, description="At the counter: the applicant in person, or someone they "
                                  "authorised (with a power of attorney).")
    identity_checked: bool | None = Field(
        default=None, description="At the counter: the officer checked the receiver's identity "
                                  "paper. The paper's number is never recorded on the topic.")
    post_office: str | None = Field(default=None,
                                    description="By post: the post office that delivered it.")
    tracking_number: str | None = Field(default=None, pattern=TRACKING_NUMBER,
                                        description="By post: the postal item's number.")

    _s10 = field_validator("tracking_number")(_valid_tracking_number)
