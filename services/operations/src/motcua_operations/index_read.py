"""The service index read from the operations view: the only SQL of it (the period's dossiers,
those received, resolved, delivered or rated in it), the formulas being the pure
motcua_operations.service_index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_operations.filters import Scope
from motcua_operations.orm import DossierView as D
from motcua_operations.service_index import GroupBy, IndexPeriod, compute, from_view

UNKNOWN_FIELD = "(không rõ lĩnh vực)"
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
