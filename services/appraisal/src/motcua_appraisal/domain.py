"""Appraisal's automatic policy, without I/O: a rule on the data the applicant submitted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from motcua_catalogue import Procedure
from motcua_contracts.dossier import DossierFacts


@dataclass(frozen=True)
class Appraisal:
    recommendation: Literal["approve", "deny"]
    findings: str


def appraise(facts: DossierFacts, procedure: Procedure) -> Appraisal:
    """Recommend approval when every data field the procedure requires is filled in."""
    missing = [name for name in procedure.required_data if facts.data.get(name) in (None, "", [])]
    if missing:
        return Appraisal("deny", "Không đủ điều kiện: thiếu thông tin " + ", ".join(missing))
    return Appraisal("approve", f"Hồ sơ đủ điều kiện giải quyết thủ tục {procedure.name}")
