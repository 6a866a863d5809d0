"""Appraisal's automatic policy, without I/O: a rule on the data the applicant submitted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from motcua_contracts.dossier import DossierFacts


class Terms(Protocol):
    """A dossier's procedure terms (DossierFacts.terms) or a catalogue procedure."""

    @property
    def name(self) -> str: ...

    @property
    def required_data(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Appraisal:
    recommendation: Literal["approve", "deny"]
    findings: str


def appraise(facts: DossierFacts, procedure: Terms) -> Appraisal:
    """Recommend approval when every data field the procedure requires is filled in: what
    `data_filled` says, the values themselves being sealed (appraisal holds no data key)."""
    missing = [name for name in procedure.required_data if name not in facts.data_filled]
    if missing:
        return Appraisal("deny", "Không đủ điều kiện: thiếu thông tin " + ", ".join(missing))
    return Appraisal("approve", f"Hồ sơ đủ điều kiện giải quyết thủ tục {procedure.name}")


def fees_due(facts: DossierFacts, fee: int) -> int:
    """What the applicant still owes: the fee for the way they filed (the one intake fixed at
    acceptance under the dossier's catalogue version and case, motcua_runtime.policy.
    dossier_fee), less what they paid."""
    return max(fee - facts.fees_paid, 0)


def consultation_hours(appraisal_hours: float) -> float:
    """Time a coordinating agency has to answer (liên thông): a quarter of the appraisal step
    of the dossier's step plan, at least half a working day, so the lead agency keeps time to
    assemble the result."""
    return max(appraisal_hours / 4, 4.0)


def with_answers(appraisal: Appraisal, answers: list[dict[str, object]]) -> Appraisal:
    """A coordinating agency that objects makes the recommendation a denial, on its grounds."""
    objections = [answer for answer in answers if not answer.get("agrees")]
    if not objections:
        return appraisal
    grounds = "; ".join(f"{a['agency']}: {a['answer']}" for a in objections)
    return Appraisal("deny", f"Cơ quan phối hợp không thống nhất — {grounds}")
