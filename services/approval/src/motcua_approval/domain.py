"""Approval's automatic policy, without I/O: follow the appraisal's recommendation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from motcua_contracts.appraisal import DossierAppraised
from motcua_documents.result import default_decision


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approved", "denied"]
    text: str


def decide(appraised: DossierAppraised, procedure_name: str) -> Decision:
    if appraised.recommendation == "approve":
        return Decision("approved", default_decision(procedure_name, appraised.dossier.code))
    return Decision("denied", appraised.findings)
