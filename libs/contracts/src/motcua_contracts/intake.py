"""Events emitted by intake (Tiếp nhận), stage 1."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, field_validator

from motcua_contracts.dossier import Channel, DeliveryChoice, Document, DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import (
    DATA_SEALED_SCHEMA_VERSION,
    SealedData,
    SealedField,
    sealed_schema_version,
)

# What intake accepts in one filing, and so the most a DossierSubmitted (or SupplementProvided)
# carries: with these, the largest event fits under the broker's record size with room to spare
# (tests/intake/test_edge.py checks it against the default record limit,
# motcua_runtime.kafka.DEFAULT_MAX_MESSAGE_BYTES; a limit set below ~220 KiB would need lower
# limits here too).
MAX_DATA_BYTES = 64 * 1024  # `data` as UTF-8 JSON, as it travels in the event
MAX_DATA_FIELDS = 100  # keys of `data` itself
MAX_DATA_DEPTH = 5  # objects and lists nested in `data`
MAX_DOCUMENTS = 100  # documents in one filing or supplement

# The schema version of SupplementExpired from which the expiry itself ends the dossier.
SUPPLEMENT_EXPIRY_ENDS = 2


class DossierSubmitted(Event):
    """A dossier was filed (online, at the counter, or by post). Status 1.

    Emitted by intake's HTTP API; consumed by intake's completeness check."""

    type: Literal["DossierSubmitted"] = Field(
        "DossierSubmitted", description="Event type, the discriminator of the topic's union.")
    code: str = Field(description="Dossier code, assigned at submission and never changed.")
    procedure_code: str = Field(description="Procedure applied for.")
    channel: Channel = Field(description="How the dossier was filed.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    applicant: SealedField = Field(
        description="Who applies: an Applicant object, sealed under the dossier's data key.")
    documents: list[Document] = Field(description="Documents attached to the dossier.")
    delivery: DeliveryChoice = Field(description="How the applicant wants the result back.")
    data: SealedData | None = Field(
        default=None, description="The procedure's form data (an object), sealed under the "
                                  "dossier's data key (schema version 3; before it, in clear).")
    received_at: AwareDatetime = Field(description="When intake received it.")
    fees_paid: JsonInt = Field(default=0, ge=0, description="Fees (đồng) paid when filing.")
    catalogue_version: JsonInt | None = Field(
        default=None, ge=1,
        description="The imported catalogue version in force when it was received: the dossier "
                    "is handled under it to the end. Absent: the catalogue shipped with the code "
                    "(and every event written before versions existed; a compatible change).")
    case_code: str | None = Field(
        default=None, max_length=32,
        description="The procedure's case (trường hợp) applied for; absent: its default case.")
    receiving_unit: str | None = Field(
        default=None, max_length=16, examples=["UBNDPCD"],
        description="Where it was received: the agency code of the one-stop desk (the "
                    "provincial centre, a commune centre, the competent agency's own desk; for "
                    "the portal, the competent agency), whose e-ID and daily counter make the "
                    "code. It may differ from the competent agency (`agency`): intake is "
                    "regardless of administrative boundary. Absent on events written before it "
                    "existed (a compatible change): the code's e-ID prefix names the unit.")


class DossierAccepted(Event):
    """The dossier is complete: recorded, receipt and appointment issued (form 01). Status 2.

    Emitted by intake; consumed by the competent agency's appraisal instance."""

    type: Literal["DossierAccepted"] = Field(
        "DossierAccepted", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, with its appointment (`due_at`).")


class DossierRefused(Event):
    """Intake refused the dossier, with the reason (form 03). Status 3, terminal.

    Emitted by intake; consumed by intake's tracking view (and auditors)."""

    type: Literal["DossierRefused"] = Field(
        "DossierRefused", description="Event type, the discriminator of the topic's union.")
    reason: str = Field(description="Why, in words the applicant reads on form 03.")
    missing_documents: list[str] = Field(default_factory=list,
                                         description="Required documents that were not filed.")


class SupplementProvided(Event):
    """The applicant filed the supplement. Status 1 again (at intake) or 4 (at appraisal).

    Emitted by intake; consumed by the stage that asked (`resumes`)."""

    type: Literal["SupplementProvided"] = Field(
        "SupplementProvided", description="Event type, the discriminator of the topic's union.")
    resumes: Literal["intake", "appraisal"] = Field(description="The stage that asked.")
    documents: list[Document] = Field(description="The documents filed as the supplement.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts | None = Field(
        default=None, description="After acceptance: the dossier with its appointment and step "
                                  "deadlines moved (pause) or counted again (restart).")


class SupplementExpired(Event):
    """The supplement the competent agency asked for did not arrive by its deadline: the dossier
    ends, processing stopped (status 8, terminal; the reason is the deadline, as on form 05).
    The rules say refusal; status 3 is a refusal *at intake* (never accepted), and this dossier
    was accepted, so its refusal is the stop of its processing (docs/domain.md). Before
    acceptance intake refuses the dossier itself (DossierRefused, status 3).

    Emitted by intake's deadline watch; every stage closes what it holds for the dossier.
    Schema version 2: version 1 (the same fields) handed the dossier back to the agency, which
    drafted a denial; the lifecycle still reads version 1 that way, so older logs replay."""

    type: Literal["SupplementExpired"] = Field(
        "SupplementExpired", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = Field(
        default=SUPPLEMENT_EXPIRY_ENDS, ge=1,
        description="Version of this type's schema (2: the expiry ends the dossier, status 8; "
                    "1: it handed the dossier back to the agency).")
    respond_by: AwareDatetime = Field(description="The deadline that passed.")


class FeesPaid(Event):
    """The applicant paid the fees the agency asked for. Status 4 again.

    Emitted by intake (the desk or the payment portal); consumed by the competent agency's
    appraisal. Waiting time does not count against the agency: the appointment moves."""

    type: Literal["FeesPaid"] = Field(
        "FeesPaid", description="Event type, the discriminator of the topic's union.")
    amount: JsonInt = Field(gt=0, description="Amount paid, in đồng.")
    receipt_number: str = Field(min_length=1, description="Number of the payment receipt.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier with its appointment moved by the "
                                              "waiting time.")


class WithdrawalRequested(Event):
    """The applicant asked to withdraw the dossier. Status 7.

    Emitted by intake; consumed by the competent agency's appraisal, which confirms it (intake
    confirms itself while the dossier has not been accepted)."""

    type: Literal["WithdrawalRequested"] = Field(
        "WithdrawalRequested", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version()
    reason: SealedField = Field(
        description="The applicant's reason, as written on the request: their own words, so "
                    "sealed under the dossier's data key (schema version 2; before it, in "
                    "clear).")
    confirmed_by: Literal["intake", "appraisal"] = Field(
        description="Who confirms: intake before acceptance, else the competent agency's "
                    "appraisal.")


class DossierOverdue(Event):
    """The appointment passed while the dossier was still being processed: it is late.

    Emitted once per dossier by intake's deadline watch; read by reports and dashboards."""

    type: Literal["DossierOverdue"] = Field(
        "DossierOverdue", description="Event type, the discriminator of the topic's union.")
    due_at: AwareDatetime = Field(description="The appointment that passed.")


class PersonalDataErased(Event):
    """The dossier's data key was destroyed (`motcua privacy erase`): every sealed personal value
    of the dossier, on the topic, in the archive and in every read model, is unreadable from now
    on (crypto-shredding, docs/privacy.md). The dossier itself stays, without the person.

    Emitted by intake, on an operator's order, after the procedure's retention period or on a
    lawful request; `actor` is the operator (`operator:<login>`). Every reader takes note."""

    type: Literal["PersonalDataErased"] = Field(
        "PersonalDataErased", description="Event type, the discriminator of the topic's union.")
    reason: str = Field(min_length=1, max_length=500,
                        description="Why: the retention rule or the lawful request's reference "
                                    "(never the person's details).")
    lawful_request: bool = Field(description="Erased on a lawful request, before the end of the "
                                             "retention period.")
    retention_until: AwareDatetime | None = Field(
        default=None, description="When the procedure's retention period ends (or ended).")


Satisfaction = Literal["very_satisfied", "satisfied", "not_satisfied"]


class DossierRated(Event):
    """The applicant rated the service of a delivered dossier (once per dossier): the 9
    indicators of docs/domain.md (0, 1 or 2 each), the convenience and the overall satisfaction.
    The satisfaction group of the national service index (Decision 766/QĐ-TTg) is read from
    these. The applicant's comment is their own words and stays in intake, sealed: it is not on
    the topic.

    Emitted by intake's HTTP API in the transaction that records the rating; legal only after
    ResultDelivered, and it changes no status."""

    type: Literal["DossierRated"] = Field(
        "DossierRated", description="Event type, the discriminator of the topic's union.")
    indicators: list[JsonInt] = Field(min_length=9, max_length=9,
                                      description="The 9 indicators, each 0, 1 or 2.")
    convenience: Satisfaction = Field(description="How convenient the applicant found it.")
    overall: Satisfaction = Field(description="The applicant's overall satisfaction.")

    @field_validator("indicators")
    @classmethod
    def _scores(cls, value: list[int]) -> list[int]:
        if any(not 0 <= score <= 2 for score in value):
            raise ValueError("each indicator is 0, 1 or 2")
        return value
