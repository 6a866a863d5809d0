"""Events of dossiers brought in from the system being replaced (`motcua import-legacy`).

An imported dossier is one `DossierImported`: the root of its history, as `DossierSubmitted` is
for a native one, signed by the import key (producer service `import`, a key of its own in the
trust list). Its type is the mark that tells imported history from native: what the old system
did is carried inside it (`history`, with the old system's dates, actors and statuses), never
re-enacted as native events, so no stage acts on it as new work, no deadline is counted again
and no notice is sent. Only a dossier still in progress continues here (`continues_at`): the
competent agency's appraisal opens its work item with the original appointment (for one not yet
checked, the receiving desk's check opens its item), and the events its officers emit from then
on are native, caused by the import.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from motcua_contracts.dossier import Channel, DeliveryChoice, DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import DATA_SEALED_SCHEMA_VERSION, SealedField, sealed_schema_version

# The statuses a dossier may be imported in: ended (refused 3, stopped 8, delivered 10), not yet
# checked (1), where the receiving desk's officers check it as a native filing, in the competent
# agency's hands (accepted 2, being processed 4), where its officers carry on, waiting on the
# applicant after acceptance (the agency's supplement request 5, fees 6), which the applicant
# answers here (`awaiting` says what was asked), with a withdrawal the agency has to confirm
# (7), or with a result the old system signed, waiting to be handed over (9: `result` names
# the document, kept here as the result, which delivery hands over).
FINISHED_STATUSES = (3, 8, 10)
WAITING_STATUSES = (5, 6)
WITHDRAWAL_STATUS = 7
RESULT_READY_STATUS = 9
IN_PROGRESS_STATUSES = (1, 2, 4, *WAITING_STATUSES, WITHDRAWAL_STATUS, RESULT_READY_STATUS)
IMPORTABLE_STATUSES = (*IN_PROGRESS_STATUSES, *FINISHED_STATUSES)

# An old system's dossier code, kept as it was: letters, digits and . _ / -, with at least one
# - or / and a final digit (a number in a series), at most 40 characters; the public lookup
# page takes such codes beside the native `{e-ID}-{YYMMDD}-{NNNN}`.
CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._/]*[-/][0-9A-Za-z._/-]*[0-9]$"


class LegacyStep(BaseModel):
    """One step of the dossier's history as the old system recorded it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    at: AwareDatetime = Field(description="When the step happened, by the old system's clock.")
    actor: str = Field(min_length=1, max_length=128,
                       description="Who took it, as the old system names them (an officer's "
                                   "login, a unit).", examples=["legacy:tran.thi.b"])
    status: JsonInt = Field(ge=1, le=10, description="The national status code after the step.")
    note: str | None = Field(default=None, max_length=500,
                             description="What the old system said about the step (a reason, a "
                                         "decision); shown on the dossier's timeline.")


class LegacyRequest(BaseModel):
    """What an imported dossier at status 5 or 6 waits for: the old system's request to the
    applicant, which they answer here as they would a native one (the request's place in the
    chain is the import itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    what: Literal["supplement", "fees"] = Field(
        description="A supplement the competent agency asked for (5), or fees due (6).")
    requested_at: AwareDatetime = Field(
        description="When the old system asked (its last step): the wait counts from then.")
    reason: str = Field(min_length=1, max_length=500,
                        description="What was asked and why, as the applicant was told.")
    missing_documents: list[str] = Field(
        default_factory=list, max_length=50,
        description="A supplement: the documents to file, as the old request named them.")
    respond_by: AwareDatetime | None = Field(
        default=None, description="A supplement: its deadline (never counted again); without "
                                  "it by then, the dossier ends as a native one does.")
    amount: JsonInt | None = Field(default=None, ge=1,
                                   description="Fees: the amount due, in đồng.")


class LegacyResult(BaseModel):
    """The result an imported dossier at status 9 waits to hand over: the PDF the old system
    signed, kept here as it was (never re-signed: `sealed_by` says whose seal it carries)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    result_number: str = Field(min_length=1, max_length=64,
                               description="The result's number as the old system issued it.")
    document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$",
                                 description="SHA-256 of the PDF kept as the result: what the "
                                             "download and the hand-over check.")
    size: JsonInt = Field(ge=1, description="The PDF's size in bytes.")
    signed_at: AwareDatetime = Field(description="When the old system signed it (its status 9 "
                                                 "step).")
    sealed_by: str = Field(min_length=1, max_length=100,
                           description="Whose seal the PDF carries: the old system's, not a "
                                       "certificate of this system's provincial CA.")


class DossierImported(Event):
    """A dossier brought in from the system being replaced, at the status it had there.

    Emitted by `motcua import-legacy` with the import key (service `import`); intake's tracking
    view, the operations view and the auditors record it; the competent agency's appraisal
    opens a work item when `continues_at` says it carries on. Nothing is sent to the applicant.
    """

    type: Literal["DossierImported"] = Field(
        "DossierImported", description="Event type, the discriminator of the topic's union.")
    # A new type, sealed from its first version: it starts where the sealed types are (3).
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    source_system: str = Field(min_length=1, max_length=100,
                               description="The system the dossier comes from.",
                               examples=["Hệ thống một cửa điện tử cũ"])
    code: str = Field(min_length=3, max_length=40, pattern=CODE_PATTERN,
                      description="The dossier's code in the old system, kept as it was.")
    procedure_code: str = Field(description="Procedure applied for.")
    case_code: str | None = Field(default=None, max_length=32,
                                  description="The procedure's case; absent: its default case.")
    channel: Channel = Field(description="How the dossier was filed.")
    receiving_unit: str | None = Field(
        default=None, max_length=16,
        description="The agency code of the desk that received it; absent: the competent one.")
    applicant: SealedField = Field(
        description="Who applied: an Applicant object, sealed under the dossier's data key.")
    delivery: DeliveryChoice = Field(description="How the applicant wants the result back.")
    received_at: AwareDatetime = Field(description="When the old system received it.")
    status: JsonInt = Field(description="The national status code it has at import: 1 (not "
                                        "yet checked), 2 or 4 (in progress), 5 or 6 (waiting "
                                        "on the applicant), 7 (a withdrawal to confirm), 9 "
                                        "(a signed result to hand over), 3, 8 or 10 (ended).")
    ended_at: AwareDatetime | None = Field(
        default=None, description="When processing ended (status 9, else 10, 8 or 3 in its "
                                  "history); null while in progress.")
    history: list[LegacyStep] = Field(
        min_length=1, max_length=200,
        description="The old system's steps, oldest first; the last one's status is `status`.")
    continues_at: Literal["intake", "appraisal", "delivery"] | None = Field(
        default=None, description="The stage whose officers carry on with it: `intake` for a "
                                  "dossier not yet checked (status 1: the receiving desk's "
                                  "check), `delivery` for a signed result to hand over (9), "
                                  "else `appraisal` (in progress, a withdrawal to confirm, or "
                                  "once the applicant answered); null for an ended dossier.")
    awaiting: LegacyRequest | None = Field(
        default=None, description="At status 5 or 6: what the applicant was asked for; null "
                                  "otherwise.")
    result: LegacyResult | None = Field(
        default=None, description="At status 9: the old system's signed result, kept here, "
                                  "which delivery hands over; null otherwise.")
    dossier: DossierFacts = Field(
        description="The dossier as stages need it, with the old system's appointment "
                    "(`due_at`) and step deadlines, never counted again.")
