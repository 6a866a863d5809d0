"""Who takes a stage's decision on a dossier: the stage's automatic rule, or an officer from the
work queue. The catalogue names the stages where officers decide (`officer_stages`); the
`officers` setting says whether officers are in charge at all (off on the embedded default)."""

from __future__ import annotations

from motcua_catalogue import Catalogue, Procedure
from motcua_runtime.stage import Rejected


def procedure_of(catalogue: Catalogue, code: str) -> Procedure:
    """The dossier's procedure; one the catalogue lacks makes the event unusable here."""
    procedure = catalogue.procedures.get(code)
    if procedure is None:
        raise Rejected(f"procedure {code} is not in the catalogue")
    return procedure


def runs_automatically(procedure: Procedure, stage: str, officers: bool) -> bool:
    return not (officers and procedure.decided_by_officer(stage))
