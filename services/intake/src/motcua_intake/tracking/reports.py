"""Reports per agency, procedure or field over a period (the figures of form II.06a, plus the
progress and satisfaction figures of the national service index), from intake's tables: the
definitions and the pure compilation are motcua_documents.report_06a's (the operations centre
compiles the same from its read model); `load_period` is the only SQL: the period's dossiers and
ratings."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_documents.report_06a import (  # noqa: F401  (the names intake's API uses)
    CSV_COLUMNS,
    DELIVERED,
    RESULT_READY,
    DossierRow,
    GroupBy,
    Period,
    RatingRow,
    aware,
    compile_report,
    satisfaction_score,
    to_csv,
)
from motcua_intake.orm import Dossier, Rating, TimelineEntry
from motcua_intake.tracking.control_sheet import waiting_intervals

WAIT_EVENTS = ("SupplementRequested", "FeesRequested", "SupplementProvided", "FeesPaid",
               "SupplementExpired")


async def load_period(session: AsyncSession, period: Period, now: datetime, *,
                      agency: str | None = None) -> tuple[list[DossierRow], list[RatingRow]]:
    """The dossiers the period's report counts, and the ratings given in it."""
    cutoff = period.cutoff(now)
    where = [Dossier.received_at < cutoff,
             or_(Dossier.ended_at.is_(None), Dossier.ended_at >= period.start)]
    if agency is not None:
        where.append(_involving(agency))
    rows = (await session.execute(select(
        Dossier.id, Dossier.procedure_code, Dossier.agency, Dossier.channel, Dossier.received_at,
        Dossier.status_code, Dossier.due_at, Dossier.facts, Dossier.lifecycle, Dossier.ended_at,
        Dossier.on_time, Dossier.receiving_unit).where(*where))).all()
    waits = await _waits(session, period, cutoff, agency)
    dossiers = []
    for row in rows:
        facts, lifecycle = row.facts or {}, row.lifecycle or {}
        dossiers.append(DossierRow(
            procedure_code=row.procedure_code, agency=row.agency, channel=row.channel,
            received_at=row.received_at, status_code=row.status_code,
            first_due_at=aware(facts.get("rescheduled_from")) or aware(facts.get("due_at"))
            or row.due_at,
            ended_at=row.ended_at, on_time=row.on_time,
            rescheduled=bool(lifecycle.get("rescheduled") or facts.get("rescheduled_from")),
            supplements=int(lifecycle.get("supplements") or 0),
            overdue=bool(lifecycle.get("overdue")), waits=tuple(waits.get(row.id, ())),
            receiving_unit=row.receiving_unit))
    rated = select(Rating.indicators, Rating.overall, Dossier.agency, Dossier.procedure_code,
                   Dossier.receiving_unit).join(
        Dossier, Dossier.id == Rating.dossier_id).where(
        Rating.rated_at >= period.start, Rating.rated_at < cutoff)
    if agency is not None:
        rated = rated.where(_involving(agency))
    ratings = [RatingRow(r.procedure_code, r.agency, list(r.indicators), r.overall,
                         r.receiving_unit)
               for r in (await session.execute(rated)).all()]
    return dossiers, ratings


def _involving(agency: str) -> Any:
    """The dossiers an agency's manager reports on: those it handled or received."""
    return or_(Dossier.agency == agency, Dossier.receiving_unit == agency)


async def _waits(session: AsyncSession, period: Period, cutoff: datetime,
                 agency: str | None) -> dict[Any, list[tuple[datetime, datetime | None]]]:
    """When each dossier resolved in the period waited on the applicant."""
    resolved = and_(Dossier.ended_at >= period.start, Dossier.ended_at < cutoff,
                    Dossier.status_code.in_((RESULT_READY, DELIVERED)))
    statement = (select(TimelineEntry.dossier_id, TimelineEntry.type, TimelineEntry.at,
                        TimelineEntry.holder)
                 .join(Dossier, Dossier.id == TimelineEntry.dossier_id)
                 .where(resolved, TimelineEntry.type.in_(WAIT_EVENTS))
                 .order_by(TimelineEntry.dossier_id, TimelineEntry.at))
    if agency is not None:
        statement = statement.where(_involving(agency))
    by_dossier: dict[Any, list[Any]] = defaultdict(list)
    for entry in (await session.execute(statement)).all():
        by_dossier[entry.dossier_id].append(entry)
    return {dossier_id: waiting_intervals(entries) for dossier_id, entries in by_dossier.items()}
