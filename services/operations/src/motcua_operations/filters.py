"""Which dossiers of the operations view a figure counts (a `Scope`): one competent agency's,
one field's, one procedure's, one receiving unit's (None: all), as the wallboard's filters and
the service index's parameters choose them. The receiving unit is the agency whose one-stop desk
received the dossier (`DossierSubmitted.receiving_unit`, in the view since migration 0004); for
a dossier whose events are older than that field, the unit whose e-ID prefixes its code, as
intake and the audit read it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from motcua_catalogue import Catalogue
from motcua_operations.orm import DossierView as D


def receiving_units(catalogue: Catalogue) -> dict[str, str]:
    """The units that receive dossiers (an agency with a one-stop desk: stage `intake`), code ->
    name."""
    return {code: agency.name for code, agency in sorted(catalogue.agencies.items())
            if "intake" in agency.stages}


@dataclass(frozen=True)
class Scope:
    agency: str | None = None
    field: str | None = None
    procedure: str | None = None
    receiving_unit: str | None = None

    def where(self, catalogue: Catalogue) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.agency:
            clauses.append(D.agency == self.agency)
        if self.procedure:
            clauses.append(D.procedure_code == self.procedure)
        if self.field:
            clauses.append(D.procedure_code.in_(
                [code for code, p in catalogue.procedures.items() if p.field == self.field]))
        if self.receiving_unit:
            clauses.append(self._received_at(catalogue, self.receiving_unit))
        return and_(true(), *clauses)

    @staticmethod
    def _received_at(catalogue: Catalogue, unit: str) -> ColumnElement[bool]:
        agency = catalogue.agencies.get(unit)
        if agency is None or not agency.electronic_id:
            return D.receiving_unit == unit
        # `{e-ID}-{YYMMDD}-{NNNN}`: the e-ID may itself hold dashes, the date and counter not.
        prefix = agency.electronic_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return or_(D.receiving_unit == unit,
                   and_(D.receiving_unit.is_(None),
                        D.code.like(f"{prefix}-______-%", escape="\\")))
