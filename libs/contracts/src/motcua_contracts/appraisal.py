"""Events emitted by appraisal (Thẩm định), stage 2."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt
from motcua_contracts.sealed import DATA_SEALED_SCHEMA_VERSION, sealed_schema_version


class DossierTakenOver(Event):
    """The competent agency holds the dossier intake accepted: processing has begun. Status 4
    (2 until then: accepted, receipt issued). Once per dossier, as its appraisal takes the
    dossier over, before any decision on it; a return from approval is not a new take-over.

    Emitted by the competent agency's appraisal; read by intake's tracking view, the portal's
    sync (status 2, then 4) and every reader that folds the lifecycle. A new type (schema
    version 1): readers of the other types are unchanged, and a log without it still folds."""

    type: Literal["DossierTakenOver"] = Field(
        "DossierTakenOver", description="Event type, the discriminator of the topic's union.")


class DossierAppraised(Event):
    """The competent agency's specialist examined the dossier and drafted the result. Status 4.

    Emitted by appraisal; consumed by the same agency's approval instance."""

    type: Literal["DossierAppraised"] = Field(
        "DossierAppraised", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the next stage needs it.")
    recommendation: Literal["approve", "deny"] = Field(
        description="What the specialist proposes to the leader.")
    findings: str = Field(description="The appraisal's findings, the basis of the draft.")


class ConsultationRequested(Event):
    """Liên thông: the lead agency asks a coordinating agency for its opinion, a sub-task with its
    own allotted time. Status stays 4.

    Emitted by the lead agency's appraisal with `agency` set to the consulted agency; consumed by
    the consulted agency's appraisal instance."""

    type: Literal["ConsultationRequested"] = Field(
        "ConsultationRequested", description="Event type, the discriminator of the topic's union.")
    schema_version: JsonInt = sealed_schema_version(DATA_SEALED_SCHEMA_VERSION)
    dossier: DossierFacts = Field(description="The dossier, as the consulted agency needs it.")
    lead_agency: str = Field(description="The agency that asks and assembles the result.")
    question: str = Field(description="What the lead agency asks.")
    respond_by: AwareDatetime = Field(description="When the answer is due.")


class ConsultationAnswered(Event):
    """The coordinating agency's answer to a consultation.

    Emitted by the consulted agency's appraisal with `agency` set to the lead agency; consumed
    by the lead agency's appraisal. `causation_id` is the request it answers."""

    type: Literal["ConsultationAnswered"] = Field(
        "ConsultationAnswered", description="Event type, the discriminator of the topic's union.")
    consulted_agency: str = Field(description="The agency that answers.")
    agrees: bool = Field(description="Whether the consulted agency raises no objection.")
    answer: str = Field(description="The consulted agency's opinion.")


class FeesRequested(Event):
    """The applicant must pay fees or taxes before processing goes on. Status 6; the waiting
    time does not count against the agency.

    Emitted by the competent agency's appraisal; consumed by intake, which tells the applicant."""

    type: Literal["FeesRequested"] = Field(
        "FeesRequested", description="Event type, the discriminator of the topic's union.")
    amount: JsonInt = Field(gt=0, description="Amount due, in đồng.")
    reason: str = Field(description="What the fees are for.")


