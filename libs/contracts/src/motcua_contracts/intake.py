"""Events emitted by intake (Tiếp nhận), stage 1."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from motcua_contracts.dossier import Applicant, Channel, Delivery, Document, DossierFacts
from motcua_contracts.envelope import Event


class DossierSubmitted(Event):
    """A dossier was filed (online, at the counter, or by post). Status 1.

    Emitted by intake's HTTP API; consumed by intake's completeness check."""

    type: Literal["DossierSubmitted"] = Field(
        "DossierSubmitted", description="Event type, the discriminator of the topic's union.")
    code: str = Field(description="Dossier code, assigned at submission and never changed.")
    procedure_code: str = Field(description="Procedure applied for.")
    channel: Channel = Field(description="How the dossier was filed.")
    applicant: Applicant = Field(description="Who applies (personal data: kept by intake).")
    documents: list[Document] = Field(description="Documents attached to the dossier.")
    delivery: Delivery = Field(description="How the applicant wants the result back.")
    data: dict[str, Any] = Field(default_factory=dict, description="Procedure-specific data.")
    received_at: AwareDatetime = Field(description="When intake received it.")


class DossierAccepted(Event):
    """The dossier is complete: recorded, receipt and appointment issued (form 01). Status 2.

    Emitted by intake; consumed by the competent agency's appraisal instance."""

    type: Literal["DossierAccepted"] = Field(
        "DossierAccepted", description="Event type, the discriminator of the topic's union.")
    dossier: DossierFacts = Field(description="The dossier, with its appointment (`due_at`).")


class DossierRefused(Event):
    """Intake refused the dossier, with the reason (form 03). Status 3, terminal.

    Emitted by intake; consumed by intake's tracking view (and auditors)."""

    type: Literal["DossierRefused"] = Field(
        "DossierRefused", description="Event type, the discriminator of the topic's union.")
    reason: str = Field(description="Why, in words the applicant reads on form 03.")
    missing_documents: list[str] = Field(default_factory=list,
                                         description="Required documents that were not filed.")
