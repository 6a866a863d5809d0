"""Form II.06a compiled from the operations view, for the wallboard's staff (who are not an
agency's managers, whose report intake compiles from its own tables): the same pure compilation
(motcua_documents.report_06a, its definitions), over the view's rows in the wallboard's filters.
The only SQL is here: the dossiers received before the period's end and not ended before its
start, and the ratings given in it.

From the view to the report's rows: the end is the time of the result (status 9), else the end
of a refused or stopped dossier (as intake's `ended_at`); the appointment judged against is the
newest hand-off's (`due_at`: the one given at acceptance, moved by the time waiting on the
applicant, as intake's control sheet and delivery judge it), and for a rescheduled dossier the
one given at acceptance (`first_due_at`: it is late whatever the date, an apology never moves
that one); rescheduled, the supplements and the overdue mark are the folded lifecycle's; the
waits on the applicant are the view's. tests/operations/test_report_agreement.py folds one
generated set of dossiers into both views and checks the two reports agree row by row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_catalogue import Catalogue, WorkingCalendar
from motcua_catalogue.working_time import VIETNAM
from motcua_documents.report_06a import (
    DossierRow,
    GroupBy,
    Period,
    RatingRow,
    aware,
    compile_report,
)
from motcua_operations.filters import Scope
from motcua_operations.orm import DossierView as D

GROUPS: dict[str, str] = {"agency": "Cơ quan giải quyết", "receiving_unit": "Nơi tiếp nhận",
                          "procedure": "Thủ tục", "field": "Lĩnh vực"}


class BadPeriod(ValueError):
    pass


def period_of(first: date | None, last: date | None, now: datetime) -> Period:
    """From the first of the month (of `last`, else of today) to `last` or today, Vietnam's
    days; refused when reversed."""
    today = now.astimezone(VIETNAM).date()
    period = Period(first or (last or today).replace(day=1), last or today)
    if period.last < period.first:
        raise BadPeriod(f"to ({period.last}) must not be before from ({period.first})")
    return period


def dossier_row(view: D) -> DossierRow:
    lifecycle = view.lifecycle or {}
    rescheduled = bool(lifecycle.get("rescheduled"))
    # The wait on the applicant moves the appointment (docs/domain.md): judging against the
    # acceptance's would count a dossier late that paid its fees a day late and came out on
    # the moved date. An apology moves it too, but then the dossier is late regardless.
    appointment = view.first_due_at if rescheduled else view.due_at
    return DossierRow(
        procedure_code=view.procedure_code, agency=view.agency, channel=view.channel,
        received_at=view.received_at, status_code=view.status_code,
        first_due_at=appointment or view.first_due_at or view.due_at,
        ended_at=view.result_at or view.ended_at,
        on_time=view.on_time, rescheduled=rescheduled,
        supplements=int(lifecycle.get("supplements") or 0),
        overdue=bool(lifecycle.get("overdue") or view.marked_overdue),
        waits=tuple((_at(since), aware(until)) for since, until in view.waits or ()),
        receiving_unit=view.receiving_unit)


def _at(value: Any) -> datetime:
    moment = aware(value)
    assert moment is not None  # a wait always has its start
    return moment


async def report(session: AsyncSession, period: Period, by: GroupBy, scope: Scope,
                 catalogue: Catalogue, calendar: WorkingCalendar,
                 now: datetime) -> dict[str, Any]:
    cutoff = period.cutoff(now)
    inside = scope.where(catalogue)
    end = func.coalesce(D.result_at, D.ended_at)
    views = await session.scalars(select(D).where(
        inside, D.received_at < cutoff, or_(end.is_(None), end >= period.start)))
    rated = await session.execute(
        select(D.procedure_code, D.agency, D.rating_indicators, D.rating_overall,
               D.receiving_unit)
        .where(inside, D.rated_at >= period.start, D.rated_at < cutoff))
    ratings = [RatingRow(code, agency, list(indicators or ()), overall or "", unit)
               for code, agency, indicators, overall, unit in rated.all()]
    return compile_report([dossier_row(view) for view in views], ratings, period=period, by=by,
                          catalogue=catalogue, calendar=calendar, now=now)
