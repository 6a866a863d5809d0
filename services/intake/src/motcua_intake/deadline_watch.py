"""Intake's deadline watch: deadlines pass without any event to say so, so a periodic sweep
turns them into events. A supplement not filed by its deadline ends the dossier in a refusal
(intake refuses it itself before acceptance; after, it tells the competent agency); a dossier
still in progress past its appointment is marked overdue, once.

Each sweep is one transaction over rows locked with SKIP LOCKED, so two intake instances never
emit the same event; the row is marked in the same transaction, so a sweep never repeats one."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import structlog
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_contracts import DossierState, Event
from motcua_contracts.intake import DossierOverdue, DossierRefused, SupplementExpired
from motcua_intake.filing import idempotency
from motcua_intake.handlers import cause_of
from motcua_intake.orm import OUTBOX, Dossier
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutboxRelay
from motcua_runtime.stage import Emitter
from motcua_telemetry import names, spans

log = structlog.get_logger(__name__)
IN_PROGRESS = (2, 4, 7)  # accepted, being processed, withdrawal pending: the clock runs


async def sweep(session: AsyncSession, topic: str, signer: Signer, now: datetime,
                limit: int = 500) -> list[Event]:
    """Emit the events of the deadlines passed by `now`, signed with intake's key; the caller
    commits."""
    emitter = Emitter(signer.producer, topic, sign=signer.sign)
    events: list[Event] = []
    expired = await session.scalars(
        select(Dossier).where(Dossier.status_code == 5, Dossier.supplement_due_at < now)
        .order_by(Dossier.supplement_due_at).limit(limit).with_for_update(skip_locked=True))
    for dossier in expired:
        state = DossierState.from_json(dossier.lifecycle)
        cause = cause_of(dossier, waiting=True)
        if state.supplement_from == "intake":
            event: Event = _emit(emitter, dossier, DossierRefused, cause=cause,
                                 reason="Công dân không bổ sung hồ sơ trong thời hạn yêu cầu")
        else:
            event = _emit(emitter, dossier, SupplementExpired, cause=cause,
                          respond_by=dossier.supplement_due_at)
        dossier.supplement_due_at = None  # emitted once
        events.append(event)
    overdue = await session.scalars(
        select(Dossier).where(Dossier.status_code.in_(IN_PROGRESS), Dossier.due_at < now,
                              Dossier.ended_at.is_(None), Dossier.overdue_at.is_(None))
        .order_by(Dossier.due_at).limit(limit).with_for_update(skip_locked=True))
    for dossier in overdue:
        events.append(_emit(emitter, dossier, DossierOverdue, cause=cause_of(dossier),
                            due_at=dossier.due_at))
        dossier.overdue_at = now
    if emitter.messages:
        await session.execute(insert(OUTBOX), [m.as_row() for m in emitter.messages])
    return events


def _emit(emitter: Emitter, dossier: Dossier, cls: type[Event], **arguments: Any) -> Event:
    """Emit in the dossier's own trace, linked to the sweep that found the deadline passed."""
    with spans.in_dossier_trace(dossier.trace_parent, f"deadline {cls.__name__}",
                                {names.DOSSIER_CODE: dossier.code}) as span:
        event = emitter.emit(cls, **arguments)
        span.set_attributes(spans.event_attributes(event))
    return event


async def watch_deadlines(engine: AsyncEngine, topic: str, signer: Signer, relay: OutboxRelay,
                          stop: asyncio.Event, every: float = 30.0) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    while not stop.is_set():
        try:
            async with spans.transaction("intake deadline sweep"), sessions() as session, \
                    session.begin():
                now = datetime.now(timezone.utc)
                events = await sweep(session, topic, signer, now)
                # Idempotency keys of filings are kept 24 h (motcua_intake.filing.idempotency).
                await idempotency.purge(session, now)
            if events:
                relay.wake()
                log.info("deadlines passed", events=len(events))
        except Exception:  # the database may be down for a while: try again next round
            log.exception("deadline sweep failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass
