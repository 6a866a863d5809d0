"""Rows of intake's tracking tables written straight into a test database, to build scenarios for
the tracking API and the reports without running the stages."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from motcua_contracts import DossierState, Status
from motcua_intake.orm import Dossier, Rating, TimelineEntry
from tests.personal import key_rows, seal_row

VN = timezone(timedelta(hours=7))
E_IDS = {"STP": "000.00.15.H38", "SKHDT": "000.00.12.H38", "UBNDCL": "000.31.01.H38"}
PROCEDURES = {"STP": "2.000488", "SKHDT": "2.001610"}
_counter = iter(range(1, 10_000))


def dossier(agency: str = "STP", *, received_at: datetime, status: int, channel: str = "counter",
            due_at: datetime | None = None, ended_at: datetime | None = None,
            on_time: bool | None = None, rescheduled_from: datetime | None = None,
            supplements: int = 0, id_number: str = "010203004567", stage: str | None = None,
            overdue: bool = False, receiving_unit: str | None = None) -> Dossier:
    """A dossier of `agency`'s procedure, received at `receiving_unit` (default: `agency`'s
    own desk), whose e-ID prefixes the code."""
    facts = None
    if due_at is not None:
        facts = {"due_at": due_at.isoformat(), "step_due_at": {},
                 "rescheduled_from": rescheduled_from.isoformat() if rescheduled_from else None}
    return Dossier(
        id=uuid.uuid4(),
        code=f"{E_IDS[receiving_unit or agency]}-{received_at:%y%m%d}-{next(_counter):04d}",
        procedure_code=PROCEDURES[agency], agency=agency, channel=channel,
        applicant={"full_name": "Nguyễn Văn An", "id_number": id_number, "phone": "0912345678",
                   "email": None, "address": "Lào Cai"},
        documents=[], delivery={"channel": "counter"}, data={}, received_at=received_at,
        status_code=status, stage=stage, due_at=due_at, updated_at=received_at,
        lifecycle={"supplements": supplements, "rescheduled": rescheduled_from is not None,
                   "overdue": overdue},
        facts=facts, ended_at=ended_at, on_time=on_time,
        receiving_unit=receiving_unit or agency)


def entry(of: Dossier, type: str, at: datetime, holder: str | None, *, stage: str = "intake",
          actor: str = "auto", status: int | None = None, note: str | None = None,
          agency: str | None = None) -> TimelineEntry:
    return TimelineEntry(event_id=uuid.uuid4(), dossier_id=of.id, type=type, at=at,
                         agency=agency or of.agency, stage=stage, actor=actor, status_code=status,
                         holder=holder, note=note)


def rating(of: Dossier, at: datetime, indicators: list[int], overall: str) -> Rating:
    return Rating(dossier_id=of.id, rated_at=at, indicators=indicators, convenience=overall,
                  overall=overall, comment=None)


async def insert(engine: AsyncEngine, *rows: Any) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        dossiers = [row for row in rows if isinstance(row, Dossier)]
        # Intake keeps personal data sealed, its dossiers' keys in the key store.
        for row in dossiers:
            seal_row(row)
        if dossiers:
            await session.execute(key_rows([row.id for row in dossiers]))
        session.add_all(dossiers)
        await session.flush()
        session.add_all([row for row in rows if not isinstance(row, Dossier)])




def tracking_app(engine: AsyncEngine, now: datetime) -> Any:
    """Intake's tracking router on an app of its own, as the lead's create_api will include it."""
    from fastapi import FastAPI

    from motcua_catalogue import WorkingCalendar
    from motcua_catalogue.catalogue import default_catalogue
    from motcua_intake.tracking.api import create_tracking_router
    from motcua_runtime.http import install_error_handlers
    from tests.officer_tokens import current_officer

    app = FastAPI()
    install_error_handlers(app, "dossier store")
    app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
    app.include_router(create_tracking_router(default_catalogue(), WorkingCalendar(),
                                              current_officer(), clock=lambda: now))
    return app


async def waiting_for_supplement(engine: AsyncEngine, code: str, asked_by: str = "intake",
                                 missing: list[str] | None = None) -> None:
    """The dossier as intake's consumer leaves it after `asked_by`'s SupplementRequested (no
    consumer runs in-process): status 5, waiting on that request, its note on the timeline;
    `missing`: the request's documents (None: a request tracked before they were kept)."""
    async with engine.begin() as connection:
        row = (await connection.execute(select(Dossier.id, Dossier.lifecycle).where(
            Dossier.code == code))).one()
        state = replace(DossierState.from_json(row.lifecycle),
                        progress=Status.SUPPLEMENT_REQUESTED, holder="applicant",
                        supplement_from=asked_by, supplements=1, intake_supplements=1)
        now = datetime.now(timezone.utc)
        await connection.execute(update(Dossier).where(Dossier.id == row.id).values(
            status_code=5, lifecycle=state.to_json(), waiting_since=now,
            waiting_on_event_id=uuid.uuid4(), waiting_on_event_hash="a" * 64,
            supplement_due_at=now + timedelta(days=7), supplement_documents=missing,
            last_event_type="SupplementRequested"))
        await connection.execute(TimelineEntry.__table__.insert().values(
            event_id=uuid.uuid4(), dossier_id=row.id, type="SupplementRequested", at=now,
            agency="STP", stage=asked_by, actor="officer:tiep.nhan", status_code=5,
            holder="applicant", note="Thiếu giấy tờ (Giấy tờ về quyền sử dụng đất)"))
