"""Who takes a stage's decision on a dossier, and by which terms. The catalogue names the stages
where officers decide (`officer_stages`); the `officers` setting says whether officers are in
charge at all (off on the embedded default).

A dossier is handled under the catalogue version it was received under (docs/catalogue.md):
intake writes that version's terms into the facts every hand-off carries (`DossierFacts.terms`,
`step_hours`, `fee`), and the later stages decide by those, never by the catalogue they run on.
Only an event written before the facts carried them falls back to the stage's catalogue."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from motcua_catalogue import Catalogue, Procedure
from motcua_contracts.dossier import DossierFacts, ProcedureTerms
from motcua_runtime.stage import Rejected


class DecidedSomewhere(Protocol):
    """A procedure of the catalogue, or a dossier's terms: both name the officers' stages."""

    @property
    def officer_stages(self) -> Collection[str]: ...


def procedure_of(catalogue: Catalogue, code: str) -> Procedure:
    """The dossier's procedure; one the catalogue lacks makes the event unusable here."""
    procedure = catalogue.procedures.get(code)
    if procedure is None:
        raise Rejected(f"procedure {code} is not in the catalogue")
    return procedure


def runs_automatically(terms: DecidedSomewhere, stage: str, officers: bool) -> bool:
    return not (officers and stage in terms.officer_stages)


def terms_of(procedure: Procedure) -> ProcedureTerms:
    """What the later stages decide a dossier of `procedure` (in its case) by: intake sets it
    in the facts when it accepts the dossier."""
    return ProcedureTerms(
        name=procedure.name, officer_stages=list(procedure.officer_stages),
        coordinating_agencies=list(procedure.coordinating_agencies),
        required_data=list(procedure.required_data),
        supplement_clock=procedure.supplement_clock, result_title=procedure.result_title)


def _in_catalogue(catalogue: Catalogue, facts: DossierFacts) -> Procedure:
    """The dossier's procedure and case in this stage's catalogue: for events written before
    the facts carried the terms."""
    procedure = procedure_of(catalogue, facts.procedure_code)
    try:
        return procedure.for_case(facts.case_code)
    except KeyError:  # a case this catalogue does not have: its default terms
        return procedure


def dossier_terms(catalogue: Catalogue, facts: DossierFacts) -> ProcedureTerms:
    """The terms the dossier is handled by: those its facts carry, else `catalogue`'s."""
    if facts.terms is not None:
        return facts.terms
    return terms_of(_in_catalogue(catalogue, facts))


def dossier_step_hours(catalogue: Catalogue, facts: DossierFacts) -> dict[str, float]:
    """The step plan the dossier's deadlines were counted from (stage -> working hours)."""
    if facts.step_hours is not None:
        return dict(facts.step_hours)
    return _in_catalogue(catalogue, facts).step_hours()


def dossier_fee(catalogue: Catalogue, facts: DossierFacts) -> int:
    """The fee for the way the dossier was filed, as intake fixed it at acceptance."""
    if facts.fee is not None:
        return facts.fee
    procedure = _in_catalogue(catalogue, facts)
    return procedure.fee_online if facts.channel == "online" else procedure.fee_counter
