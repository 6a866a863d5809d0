"""The wallboard's figures, read from the operations view (never recomputed in the browser):
for the province or one agency, field, procedure or receiving unit (a
`motcua_operations.filters.Scope`), the open dossiers by stage and
status, the on-time share of today / this month / this year, overdue and due-soon counts, the
throughput per hour over 24 hours, the trends of the last 30 days, the service level per
procedure (the most often late first) and the satisfaction of the period's ratings. Days,
months and years are Vietnam's. Counts only: no dossier's code; the lists behind a figure are
`dossiers_behind`, for a signed-in officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from motcua_catalogue import Catalogue
from motcua_contracts import STATUS_NAMES, Status
from motcua_operations.filters import Scope
from motcua_operations.index_read import BASES, counted
from motcua_operations.orm import DossierView as D
from motcua_operations.overview import ON_THE_CLOCK, OPEN, STAGES, VIETNAM, Period, listed
from motcua_operations.service_index import SATISFIED, IndexPeriod, rating_score

WindowName = Literal["today", "month", "year"]
TREND_DAYS = 30
HOURS = 24
LIST_LIMIT = 100
ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Windows:
    now: datetime
    today: datetime
    month: datetime
    year: datetime
    soon: datetime

    @classmethod
    def at(cls, now: datetime, due_soon_hours: float) -> Windows:
        period = Period.at(now, due_soon_hours)
        return cls(now, period.today, period.month, period.month.replace(month=1),
                   period.soon)

    def start(self, name: WindowName) -> datetime:
        return {"today": self.today, "month": self.month, "year": self.year}[name]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def figures(session: AsyncSession, windows: Windows, scope: Scope, catalogue: Catalogue,
                  period: WindowName) -> dict[str, Any]:
    """Everything the wallboard draws, for `scope`; the service level and satisfaction over
    `period` (today, this month, this year)."""
    inside = scope.where(catalogue)
    overdue = and_(ON_THE_CLOCK, D.due_at < windows.now)
    due_soon = and_(ON_THE_CLOCK, D.due_at >= windows.now, D.due_at < windows.soon)
    open_rows = (await session.execute(
        select(D.holder, D.status_code, func.count(), func.count().filter(overdue),
               func.count().filter(due_soon))
        .where(inside, OPEN).group_by(D.holder, D.status_code))).all()
    by_stage = {stage: 0 for stage in STAGES}  # every stage, an empty one too
    by_status: dict[int, int] = {}
    late = soon = 0
    for holder, status, count, n_late, n_soon in open_rows:
        stage = holder or "intake"
        by_stage[stage] = by_stage.get(stage, 0) + count
        by_status[status] = by_status.get(status, 0) + count
        late, soon = late + n_late, soon + n_soon
    on_time = {}
    names: tuple[WindowName, ...] = ("today", "month", "year")
    for name in names:
        start = windows.start(name)
        delivered, in_time = (await session.execute(
            select(func.count(), func.count().filter(D.on_time.is_(True)))
            .where(inside, D.delivered_at >= start))).one()
        on_time[name] = {"delivered": delivered, "on_time": in_time,
                         "share": _share(in_time, delivered)}
    submitted_today = await session.scalar(
        select(func.count()).where(inside, D.submitted_at >= windows.today))
    return {
        "generated_at": windows.now.isoformat(),
        "period": period,
        "totals": {"open": sum(by_status.values()), "overdue": late, "due_soon": soon,
                   "submitted_today": submitted_today or 0,
                   "delivered_today": on_time["today"]["delivered"]},
        "by_stage": [{"stage": stage, "count": n} for stage, n in by_stage.items()],
        "by_status": [{"code": code, "name": STATUS_NAMES[Status(code)], "count": n}
                      for code, n in sorted(by_status.items())],
        "on_time": on_time,
        "throughput": await throughput(session, windows.now, inside),
        "trends": await trends(session, windows.now, inside),
        "procedures": await service_levels(session, windows.start(period), windows.now, inside,
                                           catalogue),
        "satisfaction": await satisfaction(session, windows.start(period), inside),
        "by_agency": await agencies(session, windows, inside, catalogue),
    }


async def throughput(session: AsyncSession, now: datetime,
                     inside: ColumnElement[bool]) -> dict[str, Any]:
    """Dossiers submitted and delivered in each of the last 24 hours (Vietnam's hours)."""
    start = (now - timedelta(hours=HOURS - 1)).astimezone(VIETNAM).replace(
        minute=0, second=0, microsecond=0)
    hours = [start + timedelta(hours=i) for i in range(HOURS)]
    series: dict[str, list[int]] = {}
    for name, column in (("submitted", D.submitted_at), ("delivered", D.delivered_at)):
        hour = func.date_trunc("hour", column)
        counts = {moment.astimezone(VIETNAM): n for moment, n in (await session.execute(
            select(hour, func.count()).where(inside, column >= start).group_by(hour))).all()}
        series[name] = [counts.get(h, 0) for h in hours]
    return {"hours": [h.isoformat() for h in hours], **series}


async def trends(session: AsyncSession, now: datetime,
                 inside: ColumnElement[bool]) -> dict[str, Any]:
    """Per Vietnam day of the last 30: submitted, delivered, delivered on time, and its share."""
    today = now.astimezone(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [(today - timedelta(days=TREND_DAYS - 1 - i)).date() for i in range(TREND_DAYS)]
    start = today - timedelta(days=TREND_DAYS - 1)

    def day(column: Any) -> Any:
        # The zone as a literal, not a bound parameter: GROUP BY must repeat the same expression.
        return func.date(func.timezone(literal_column(f"'{ZONE}'"), column))

    submitted: dict[Any, int] = dict((await session.execute(
        select(day(D.submitted_at), func.count()).where(inside, D.submitted_at >= start)
        .group_by(day(D.submitted_at)))).all())
    delivered = {d: (n, k) for d, n, k in (await session.execute(
        select(day(D.delivered_at), func.count(), func.count().filter(D.on_time.is_(True)))
        .where(inside, D.delivered_at >= start).group_by(day(D.delivered_at)))).all()}
    return {"days": [d.isoformat() for d in days],
            "submitted": [submitted.get(d, 0) for d in days],
            "delivered": [delivered.get(d, (0, 0))[0] for d in days],
            "on_time_share": [_share(delivered[d][1], delivered[d][0]) if d in delivered
                              else None for d in days]}


async def service_levels(session: AsyncSession, since: datetime, now: datetime,
                         inside: ColumnElement[bool], catalogue: Catalogue) -> list[dict[str, Any]]:
    """Per procedure: delivered since `since`, of them late, the on-time share, and the open
    dossiers overdue at `now` (the wallboard's clock, as every other tile counts, not the
    database's); the most often late first."""
    now_overdue = and_(OPEN, ON_THE_CLOCK, D.due_at < now)
    rows = (await session.execute(
        select(D.procedure_code,
               func.count().filter(D.delivered_at >= since),
               func.count().filter(and_(D.delivered_at >= since, D.on_time.is_(False))),
               func.count().filter(now_overdue))
        .where(inside).group_by(D.procedure_code))).all()
    levels = []
    for code, delivered, late, overdue in rows:
        if not (delivered or overdue):
            continue
        procedure = catalogue.procedures.get(code)
        levels.append({"procedure_code": code, "name": procedure.name if procedure else code,
                       "delivered": delivered, "late": late, "overdue": overdue,
                       "on_time_share": _share(delivered - late, delivered)})
    return sorted(levels, key=lambda p: (-(p["late"] + p["overdue"]), -p["delivered"],
                                         p["procedure_code"]))


async def satisfaction(session: AsyncSession, since: datetime,
                       inside: ColumnElement[bool]) -> dict[str, Any]:
    """The ratings given since `since`: how many, the mean score (9 indicators / 18 x 100),
    the share satisfied or very satisfied overall."""
    rows = (await session.execute(select(D.rating_indicators, D.rating_overall)
                                  .where(inside, D.rated_at >= since))).all()
    scores = [rating_score(indicators) for indicators, _ in rows if indicators]
    return {"ratings": len(scores),
            "average_score": round(sum(scores) / len(scores), 1) if scores else None,
            "satisfied_share": _share(sum(overall in SATISFIED for _, overall in rows),
                                      len(rows))}


async def agencies(session: AsyncSession, windows: Windows, inside: ColumnElement[bool],
                   catalogue: Catalogue) -> list[dict[str, Any]]:
    """Per competent agency: open, overdue, due soon, delivered this month and on time."""
    overdue = and_(OPEN, ON_THE_CLOCK, D.due_at < windows.now)
    soon = and_(OPEN, ON_THE_CLOCK, D.due_at >= windows.now, D.due_at < windows.soon)
    month = D.delivered_at >= windows.month
    rows = (await session.execute(
        select(D.agency, func.count().filter(OPEN), func.count().filter(overdue),
               func.count().filter(soon), func.count().filter(month),
               func.count().filter(and_(month, D.on_time.is_(True))))
        .where(inside).group_by(D.agency))).all()
    names = {code: agency.name for code, agency in catalogue.agencies.items()}
    table = [{"agency": code, "name": names.get(code, code), "open": n_open,
              "overdue": n_late, "due_soon": n_soon, "delivered_month": n_month,
              "on_time_share_month": _share(n_in_time, n_month)}
             for code, n_open, n_late, n_soon, n_month, n_in_time in rows
             if n_open or n_month]
    return sorted(table, key=lambda a: (-a["overdue"], -a["open"], a["agency"]))


FIGURES = ("open", "overdue", "due_soon", "late", "delivered", "submitted", "rated")
# The figures `figure_filter` takes, declared in the API's document (the schema says what the
# 422 enforces): a name, or a stage, a status code 1-10, a procedure or the base of one of this
# month's service index figures after its prefix.
FIGURE_PATTERN = (rf"^({'|'.join(FIGURES)}|stage:[a-z_]+|status:([1-9]|10)|procedure:\S+"
                  rf"|index:({'|'.join(BASES)}))$")


class UnknownFigure(ValueError):
    pass


def figure_filter(figure: str, windows: Windows, period: WindowName) -> ColumnElement[bool]:
    """The dossiers behind a figure of the wallboard: `open`, `overdue`, `due_soon`,
    `delivered` / `late` / `submitted` / `rated` (over the period), `stage:<name>`,
    `status:<code>`, `procedure:<code>` (its late and overdue ones), `index:<base>` (the
    dossiers this month's service index counts: received, resolved, delivered)."""
    since = windows.start(period)
    kind, _, value = figure.partition(":")
    simple: dict[str, ColumnElement[bool]] = {
        "open": OPEN,
        "overdue": and_(ON_THE_CLOCK, D.due_at < windows.now),
        "due_soon": and_(ON_THE_CLOCK, D.due_at >= windows.now, D.due_at < windows.soon),
        "delivered": D.delivered_at >= since,
        "late": and_(D.delivered_at >= since, D.on_time.is_(False)),
        "submitted": D.submitted_at >= since,
        "rated": D.rated_at >= since,  # the satisfaction tile's ratings
    }
    if not value and kind in simple:
        return simple[kind]
    if kind == "stage" and value:
        held = (D.holder == value) | D.holder.is_(None) if value == "intake" \
            else D.holder == value  # the overview counts a row without a holder at intake
        return and_(OPEN, held)
    if kind == "status" and value.isdigit() and int(value) in {s.value for s in Status}:
        return D.status_code == int(value)
    if kind == "procedure" and value:
        late = and_(D.delivered_at >= since, D.on_time.is_(False))
        return and_(D.procedure_code == value,
                    late | and_(OPEN, ON_THE_CLOCK, D.due_at < windows.now))
    if kind == "index" and value in BASES:
        # The month the wallboard's index is of (wallboard_api: IndexPeriod.month_of(now)),
        # whatever the wall's own period.
        return counted(value, IndexPeriod.month_of(windows.now))
    raise UnknownFigure(
        f"figure {figure!r}: one of {', '.join(FIGURES)}, stage:<stage>, status:<1-10>, "
        f"procedure:<code>, index:<{'|'.join(BASES)}>")


async def dossiers_behind(session: AsyncSession, figure: str, windows: Windows, scope: Scope,
                          catalogue: Catalogue, period: WindowName) -> dict[str, Any]:
    """The dossiers a figure counts (at most LIST_LIMIT), those due first first; UnknownFigure
    for a figure the wallboard has not."""
    where = figure_filter(figure, windows, period)
    inside = scope.where(catalogue)
    total = await session.scalar(select(func.count()).where(inside, where))
    rows = await session.scalars(select(D).where(inside, where)
                                 .order_by(D.due_at.asc().nulls_last(), D.updated_at.desc())
                                 .limit(LIST_LIMIT))
    return {"figure": figure, "total": total or 0,
            "dossiers": [listed(view) for view in rows]}
