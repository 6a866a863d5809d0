"""The gauges that need a query: open and overdue work per agency, and the outbox backlog.
A small loop beside the consumer refreshes them every few seconds with one GROUP BY and one
count over the outbox's partial index of unsent rows; nothing on the hot path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from sqlalchemy import Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_runtime import metrics
from motcua_runtime.outbox import DROPPED
from motcua_runtime.scope import AgencyScope
from motcua_runtime.work_items import DONE, WorkItemColumns

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 5.0

# A query returning rows (agency, state, open, overdue): each service says what its open work is.
OpenWork = Callable[[], Select]


def open_work_items(model: type[WorkItemColumns], scope: AgencyScope) -> OpenWork:
    """Open work of a stage that keeps work items (motcua_runtime.work_items): every item not
    done, overdue once its due time (the stage's step deadline, else the appointment) passed.
    Only the agencies in `scope` (the instance's): every instance of a stage shares its table,
    and each must count its own work, not its neighbours' as well."""
    def query() -> Select:
        return (select(model.agency, model.state, func.count(),
                       func.count().filter(model.due_at < func.now()))
                .where(model.state != DONE, scope.where(model.agency))
                .group_by(model.agency, model.state))
    return query


class _LabelledGauge:
    """Sets a gauge's series from a full listing, removing the series no longer listed (an agency
    whose last item closed drops to nothing, not to a stale count)."""

    def __init__(self, gauge: object, service: str) -> None:
        self._gauge, self._service = gauge, service
        self._seen: set[tuple[str, ...]] = set()

    def replace(self, values: dict[tuple[str, ...], float]) -> None:
        for labels, value in values.items():
            self._gauge.labels(self._service, *labels).set(value)  # type: ignore[attr-defined]
        for gone in self._seen - values.keys():
            self._gauge.remove(self._service, *gone)  # type: ignore[attr-defined]
        self._seen = set(values)


class GaugeWatch:
    def __init__(self, engine: AsyncEngine, service: str, outbox: Table | None,
                 open_work: OpenWork | None) -> None:
        self._engine, self._service = engine, service
        self._open = _LabelledGauge(metrics.OPEN_WORK, service)
        self._overdue = _LabelledGauge(metrics.OVERDUE_WORK, service)
        # The statements, built once (the times in them are Postgres's now(), evaluated at each
        # execution): building them at every refresh was CPU spent in every service for the
        # same query (issue 15).
        self._backlog: Select | None = None
        self._parked: Select | None = None
        if outbox is not None:
            self._backlog = (select(func.count(), func.extract(
                "epoch", func.now() - func.min(outbox.c.created_at)))
                .where(outbox.c.sent_at.is_(None), outbox.c.parked_at.is_(None)))
            self._parked = select(func.count()).where(
                outbox.c.parked_at.is_not(None), outbox.c.sent_at.is_(None),
                outbox.c.park_reason.not_like(f"{DROPPED}%"))
        self._open_work_query = open_work() if open_work is not None else None

    async def refresh(self) -> None:
        async with self._engine.connect() as connection:
            if self._backlog is not None and self._parked is not None:
                backlog, oldest = (await connection.execute(self._backlog)).one()
                metrics.OUTBOX_BACKLOG.labels(self._service).set(backlog)
                parked = (await connection.execute(self._parked)).scalar_one()
                metrics.OUTBOX_PARKED_ROWS.labels(self._service).set(parked)
                metrics.OUTBOX_OLDEST.labels(self._service).set(float(oldest or 0))
            if self._open_work_query is not None:
                rows = (await connection.execute(self._open_work_query)).all()
                self._open.replace({(agency, state): n for agency, state, n, _ in rows})
                self._overdue.replace({(agency, state): late for agency, state, _, late in rows})

    async def run(self, stop: asyncio.Event, every: float = REFRESH_SECONDS) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:  # a metric must never take the service down; say so and go on
                log.warning("refreshing the work and outbox gauges failed", exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
