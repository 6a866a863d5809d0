"""Two writers of a dossier's row at once, on a real Postgres: the tracking view's batch
(repository.Dossiers, which reads the batch's rows without a lock) and the deadline watch's sweep
(deadline_watch.sweep, which locks the rows it marks, SKIP LOCKED). The sweep marks `overdue_at`
between the batch's read and its write: the batch writes only the columns its fold changed, so
the mark stays. Written whole, the batch's row would put back the null it read and the
dossier would be marked overdue, and DossierOverdue emitted, a second time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_contracts import DossierState, Status
from motcua_contracts.shared import DelayApologized
from motcua_intake.deadline_watch import sweep
from motcua_intake.handlers import track
from motcua_intake.orm import Dossier
from motcua_intake.repository import Dossiers
from motcua_runtime.db import create_engine
from motcua_runtime.stage import Emitter
from tests.fakes import by, event
from tests.intake.tracking_rows import dossier, insert
from tests.support import signer_of

NOW = datetime.now(timezone.utc)
TOPIC = "dossier.events"


@pytest.fixture
async def engine(infra):
    database_url, _ = await infra.isolated("intake_overdue_race")
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def past_its_appointment(engine) -> Dossier:
    """A dossier at STP's appraisal whose appointment passed an hour ago, not yet marked."""
    row = dossier("STP", received_at=NOW - timedelta(days=10), status=4, stage="appraisal",
                  due_at=NOW - timedelta(hours=1))
    await insert(engine, row)
    state = DossierState(progress=Status.IN_PROGRESS, holder="appraisal", agency="STP",
                         delivery_channel="counter")
    async with engine.begin() as connection:
        await connection.execute(update(Dossier).where(Dossier.id == row.id)
                                 .values(lifecycle=state.to_json(), last_event_id=uuid.uuid4(),
                                         last_event_hash="a" * 64,
                                         last_event_type="DossierAccepted"))
    return row


def apology(row: Dossier) -> DelayApologized:
    return event(DelayApologized, producer=by("appraisal", "STP"), dossier_id=row.id,
                 agency="STP", reason="Chờ kết quả xác minh",
                 previous_due_at=row.due_at, new_due_at=NOW + timedelta(days=3))


async def run_sweep(engine, now: datetime) -> list:
    async with async_sessionmaker(engine)() as session, session.begin():
        return await sweep(session, TOPIC, signer_of("intake"), now)


async def marks(engine, row: Dossier):
    async with engine.connect() as connection:
        return (await connection.execute(select(Dossier.overdue_at, Dossier.due_at,
                                                Dossier.lifecycle)
                                         .where(Dossier.id == row.id))).one()


async def test_the_sweeps_overdue_mark_survives_a_batch_that_read_the_row_before_it(engine):
    row = await past_its_appointment(engine)
    moved = apology(row)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as batch, batch.begin():
        dossiers = Dossiers(batch)
        await dossiers.preload([moved])  # the batch has read the row: overdue_at null
        track(moved, dossiers, Emitter(by("intake", None), TOPIC))

        # Meanwhile the deadline watch marks it in its own transaction (nothing locks the row:
        # the batch only read it).
        swept_at = datetime.now(timezone.utc)
        assert [e.type for e in await run_sweep(engine, swept_at)] == ["DossierOverdue"]

        await dossiers.save()
    overdue_at, due_at, lifecycle = await marks(engine, row)
    assert overdue_at == swept_at  # the sweep's mark, not the null the batch read
    assert due_at == moved.new_due_at and lifecycle["rescheduled"] is True  # the batch's fold
    # Marked once: a later sweep emits nothing more for it.
    assert await run_sweep(engine, datetime.now(timezone.utc) + timedelta(days=4)) == []


async def test_a_sweep_during_a_batchs_write_skips_the_row_and_sees_the_new_appointment(engine):
    row = await past_its_appointment(engine)
    moved = apology(row)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as batch, batch.begin():
        dossiers = Dossiers(batch)
        await dossiers.preload([moved])
        track(moved, dossiers, Emitter(by("intake", None), TOPIC))
        await dossiers.save()  # the UPDATE holds the row's lock until the batch commits
        assert await run_sweep(engine, datetime.now(timezone.utc)) == []  # skipped, not waited
    # Committed: the appointment moved three days on, so nothing is overdue now.
    assert await run_sweep(engine, datetime.now(timezone.utc)) == []
    assert (await marks(engine, row)).overdue_at is None
