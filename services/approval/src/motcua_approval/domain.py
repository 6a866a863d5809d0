"""Approval's automatic policy, without I/O: follow the appraisal's recommendation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from motcua_catalogue import Procedure
from motcua_contracts.appraisal import DossierAppraised


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approved", "denied"]
    text: str


def decide(appraised: DossierAppraised, procedure: Procedure) -> Decision:
    if appraised.recommendation == "approve":
        # The dossier's code, not the applicant's name: the decision travels in clear.
        return Decision("approved", f"Chấp thuận: {procedure.name}, hồ sơ "
                                    f"{appraised.dossier.code}")
    return Decision("denied", appraised.findings)
