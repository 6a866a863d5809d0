"""The service index read from the operations view: the only SQL of it (the period's dossiers,
those received, resolved, delivered or rated in it, and the dossiers each of its figures counts,
which the wallboard's index cells open), the formulas being the pure
motcua_operations.service_index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_operations.filters import Scope
from motcua_operations.orm import DossierView as D
from motcua_operations.service_index import GroupBy, IndexPeriod, compute, from_view

UNKNOWN_FIELD = "(không rõ lĩnh vực)"
# The dossiers the index's figures are counted over (service_index._Tally.add): received
# (online and digitised shares), resolved (progress points, on-time share, average processing
# time: a result in the period, after an acceptance), delivered (electronic results' share).
BASES = ("received", "resolved", "delivered")
ALL = Scope()


def field_of(catalogue: Catalogue) -> Any:
    def field(procedure_code: str) -> str:
        procedure = catalogue.procedures.get(procedure_code)
        return procedure.field if procedure else UNKNOWN_FIELD
    return field


async def service_index(session: AsyncSession, period: IndexPeriod, by: GroupBy,
                        catalogue: Catalogue, calendar: WorkingCalendar, *, province: str,
                        scope: Scope = ALL) -> dict[str, Any]:
    """The index of `period`, of the dossiers in `scope` (the wallboard's filters)."""
    start, end = period.start, period.end
    query = select(D).where(or_(*(and_(column >= start, column < end) for column in (
        D.received_at, D.result_at, D.delivered_at, D.rated_at))), scope.where(catalogue))
    rows = await session.scalars(query)
    fields = field_of(catalogue)
    agencies = {code: a.name for code, a in catalogue.agencies.items()}

    def name(key: str) -> str:
        return agencies.get(key, key) if by == "agency" else key

    return compute((from_view(row, fields) for row in rows), period, by, calendar, names=name,
                   province=province)


def counted(base: str, period: IndexPeriod) -> ColumnElement[bool]:
    """The dossiers the index of `period` counts as `base` (one of BASES), as `compute` does."""
    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= period.start, column < period.end)

    if base == "received":
        return within(D.received_at)
    if base == "resolved":  # processing time runs from acceptance: without one, not counted
        return and_(within(D.result_at), D.accepted_at.is_not(None))
    if base == "delivered":
        return within(D.delivered_at)
    raise ValueError(f"index base {base!r}: one of {', '.join(BASES)}")
