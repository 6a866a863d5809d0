"""The figures of the operations dashboard, read from the projection in a handful of grouped
queries on indexed columns. Days and months are Vietnam's (UTC+7, no daylight saving)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, not_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import STATUS_NAMES, Status
from motcua_contracts.labels import event_name
from motcua_operations.orm import DossierView, TimelineRow
from motcua_operations.projection import DONE_CODES, ENDED_CODES, WAITING_ON_APPLICANT

VIETNAM = timezone(timedelta(hours=7))
LIST_LIMIT = 50
RECENT_LIMIT = 15
THROUGHPUT_MINUTES = 60
STAGES = ("intake", "appraisal", "approval", "signing", "delivery", "applicant")

D = DossierView
OPEN = not_(D.status_code.in_(ENDED_CODES))
# The agency is behind: still being processed (not waiting on the applicant, result not ready)
# and past the appointment.
ON_THE_CLOCK = and_(not_(D.status_code.in_(DONE_CODES)),
                     not_(D.status_code.in_(WAITING_ON_APPLICANT)))


@dataclass(frozen=True)
class Period:
    now: datetime
    today: datetime
    month: datetime
    soon: datetime

    @classmethod
    def at(cls, now: datetime, due_soon_hours: float) -> Period:
        local = now.astimezone(VIETNAM)
        today = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(now, today, today.replace(day=1), now + timedelta(hours=due_soon_hours))


def _share(on_time: int, delivered: int) -> float | None:
    return round(on_time / delivered, 4) if delivered else None


async def overview(session: AsyncSession, period: Period,
                   agency_names: dict[str, str]) -> dict[str, Any]:
    overdue = and_(ON_THE_CLOCK, D.due_at < period.now)
    due_soon = and_(ON_THE_CLOCK, D.due_at >= period.now, D.due_at < period.soon)
    open_rows = (await session.execute(
        select(D.holder, D.status_code, D.agency, func.count(), func.count().filter(overdue),
               func.count().filter(due_soon))
        .where(OPEN).group_by(D.holder, D.status_code, D.agency))).all()
    delivered = (await session.execute(
        select(D.agency,
               func.count().filter(D.delivered_at >= period.today),
               func.count().filter(and_(D.delivered_at >= period.today, D.on_time.is_(True))),
               func.count(), func.count().filter(D.on_time.is_(True)))
        .where(D.delivered_at >= period.month).group_by(D.agency))).all()
    submitted_today = await session.scalar(
        select(func.count()).where(D.submitted_at >= period.today))

    by_stage = {stage: 0 for stage in STAGES}
    by_status: dict[int, int] = {}
    agencies: dict[str, dict[str, Any]] = {}

    def agency(code: str) -> dict[str, Any]:
        return agencies.setdefault(code, {
            "agency": code, "name": agency_names.get(code, code), "open": 0, "overdue": 0,
            "due_soon": 0, "delivered_month": 0, "on_time_month": 0, "on_time_share_month": None})

    for holder, status, code, count, late, soon in open_rows:
        by_stage[holder or "intake"] = by_stage.get(holder or "intake", 0) + count
        by_status[status] = by_status.get(status, 0) + count
        row = agency(code)
        row["open"] += count
        row["overdue"] += late
        row["due_soon"] += soon
    today = {"delivered": 0, "on_time": 0}
    month = {"delivered": 0, "on_time": 0}
    for code, day_n, day_on_time, month_n, month_on_time in delivered:
        row = agency(code)
        row["delivered_month"], row["on_time_month"] = month_n, month_on_time
        row["on_time_share_month"] = _share(month_on_time, month_n)
        today["delivered"] += day_n
        today["on_time"] += day_on_time
        month["delivered"] += month_n
        month["on_time"] += month_on_time
    for figures in (today, month):
        figures["share"] = _share(figures["on_time"], figures["delivered"])

    return {
        "generated_at": period.now.isoformat(),
        "totals": {
            "open": sum(by_status.values()),
            "overdue": sum(a["overdue"] for a in agencies.values()),
            "due_soon": sum(a["due_soon"] for a in agencies.values()),
            "submitted_today": submitted_today or 0,
            "delivered_today": today["delivered"],
        },
        "by_stage": [{"stage": stage, "count": n} for stage, n in by_stage.items()],
        "by_status": [{"code": code, "name": STATUS_NAMES[Status(code)], "count": n}
                      for code, n in sorted(by_status.items())],
        "by_agency": sorted(agencies.values(), key=lambda a: (-a["overdue"], -a["open"],
                                                              a["agency"])),
        "on_time": {"today": today, "month": month},
        "throughput": await throughput(session, period.now),
    }


async def dossier_lists(session: AsyncSession, period: Period, *,
                        agency: str | None) -> dict[str, Any]:
    """The dossiers overdue, due soon and recently moved; of `agency` only unless it is None."""
    overdue = and_(ON_THE_CLOCK, D.due_at < period.now)
    due_soon = and_(ON_THE_CLOCK, D.due_at >= period.now, D.due_at < period.soon)
    own = true() if agency is None else D.agency == agency
    return {
        "overdue": await dossier_list(session, and_(own, overdue), D.due_at.asc()),
        "due_soon": await dossier_list(session, and_(own, due_soon), D.due_at.asc()),
        "recent": await dossier_list(session, own, D.updated_at.desc(), limit=RECENT_LIMIT),
    }


async def throughput(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Dossiers submitted and delivered per minute over the last hour."""
    start = (now - timedelta(minutes=THROUGHPUT_MINUTES - 1)).replace(second=0, microsecond=0)
    minutes = [start + timedelta(minutes=i) for i in range(THROUGHPUT_MINUTES)]
    series = {}
    for name, column in (("submitted", D.submitted_at), ("delivered", D.delivered_at)):
        minute = func.date_trunc("minute", column)
        counts = dict((await session.execute(
            select(minute, func.count()).where(column >= start).group_by(minute))).all())
        series[name] = [counts.get(m, 0) for m in minutes]
    return {"minutes": [m.isoformat() for m in minutes], **series}


def listed(view: DossierView) -> dict[str, Any]:
    return {
        "dossier_id": str(view.dossier_id), "code": view.code, "agency": view.agency,
        "procedure_code": view.procedure_code, "status_code": view.status_code,
        "status": STATUS_NAMES[Status(view.status_code)], "holder": view.holder,
        "due_at": view.due_at.isoformat() if view.due_at else None,
        "step_due": view.step_due.isoformat() if view.step_due else None,
        "submitted_at": view.submitted_at.isoformat(),
        "updated_at": view.updated_at.isoformat(), "last_event_type": view.last_event_type,
        "on_time": view.on_time,
    }


async def dossier_list(session: AsyncSession, where: Any, order: Any, *,
                       limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    rows = await session.scalars(select(D).where(where).order_by(order).limit(limit))
    return [listed(view) for view in rows]


async def dossier(session: AsyncSession, dossier_id: uuid.UUID, *,
                  agency: str | None) -> dict[str, Any] | None:
    """The dossier and its timeline; None when unknown or not `agency`'s (None: any agency's)."""
    view = await session.get(D, dossier_id)
    if view is None or (agency is not None and view.agency != agency):
        return None
    entries = await session.scalars(select(TimelineRow).where(TimelineRow.dossier_id == dossier_id)
                                    .order_by(TimelineRow.at, TimelineRow.event_id))
    return {**listed(view), "received_at": view.received_at.isoformat(),
            "ended_at": view.ended_at.isoformat() if view.ended_at else None,
            "delivered_at": view.delivered_at.isoformat() if view.delivered_at else None,
            "marked_overdue": view.marked_overdue,
            "timeline": [{"event_id": str(e.event_id), "type": e.type,
                          "name": event_name(e.type), "at": e.at.isoformat(),
                          "service": e.service, "agency": e.agency, "actor": e.actor,
                          "status_code": e.status_code, "holder": e.holder, "note": e.note}
                         for e in entries]}
