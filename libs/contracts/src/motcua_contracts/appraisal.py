"""Events emitted by appraisal (Thẩm định), stage 2."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import Event


class DossierAppraised(Event):
    """The competent agency's specialist examined the dossier and drafted the result. Status 4.

    Emitted by appraisal; consumed by the same agency's approval instance."""

    type: Literal["DossierAppraised"] = Field(
        "DossierAppraised", description="Event type, the discriminator of the topic's union.")
    dossier: DossierFacts = Field(description="The dossier, as the next stage needs it.")
    recommendation: Literal["approve", "deny"] = Field(
        description="What the specialist proposes to the leader.")
    findings: str = Field(description="The appraisal's findings, the basis of the draft.")
