"""An officer's decision at the desk writes what it changed on the dossier's row, as a consumer
batch does: intake's dossiers are plain rows (motcua_intake.dossier_row) that only the
repository's `save` writes, so a decision that changes a row and is not followed by that save
changes nothing in the database. The case: a row written before the form data was sealed holds
it in clear; accepting it hands the form data on sealed and seals the row's copy too
(personal.form_data). Through intake's real API and desk queue, on a real Postgres."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import uuid7
from motcua_intake.desk_queue import CHECKED_AT
from motcua_intake.orm import OUTBOX, Dossier, WorkItem
from motcua_runtime.db import create_engine
from motcua_runtime.work_items import OPEN
from tests.intake.tracking_rows import dossier, insert
from tests.officer_tokens import bearer, current_officer
from tests.personal import facts
from tests.support import dossier_files, intake_with_desk_queue

CATALOGUE = default_catalogue()
NOW = datetime.now(timezone.utc)
CLEAR_DATA = {"purpose": "Xin việc làm", "note": "Bản sao có chứng thực"}


@pytest.fixture
async def desk(infra):
    database_url, topic = await infra.isolated("intake_desk_saves")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    calendar = WorkingCalendar()
    intake = intake_with_desk_queue(sessions, CATALOGUE, calendar, topic, current_officer(),
                                    dossier_files())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake),
                                 base_url="http://intake") as client:
        yield client, engine
    await engine.dispose()


async def submitted_with_clear_form_data(engine) -> tuple[Dossier, WorkItem]:
    """A submitted dossier (status 1) waiting at STP's desk, its form data in clear in the row
    as intake wrote it before sealing it."""
    row = dossier("STP", received_at=NOW - timedelta(hours=2), status=1, stage="intake")
    item = WorkItem(id=uuid7(), dossier_id=row.id, agency="STP", kind="dossier",
                    procedure_code=row.procedure_code,
                    dossier=facts(row.id, code=row.code, procedure_code=row.procedure_code,
                                  applicant_name="Nguyễn Văn An", received_at=row.received_at,
                                  delivery_channel="counter").model_dump(mode="json"),
                    opened_at=NOW - timedelta(hours=2), opened_by_event=uuid7(),
                    due_at=NOW + timedelta(hours=8), state=OPEN, awaiting=[], answers=[],
                    context={CHECKED_AT: (NOW - timedelta(hours=2)).isoformat()})
    await insert(engine, row, item)
    async with engine.begin() as connection:  # `insert` seals it: back to the older clear form
        await connection.execute(update(Dossier).where(Dossier.id == row.id)
                                 .values(data=CLEAR_DATA))
    return row, item


async def test_a_desk_acceptance_seals_the_rows_clear_form_data_in_the_database(desk):
    client, engine = desk
    row, item = await submitted_with_clear_form_data(engine)

    answer = await client.post(f"/api/work-items/{item.id}/decisions/accept", json={},
                               headers=bearer("STP", "intake", "tiep.nhan"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"] == ["DossierAccepted"]

    async with engine.connect() as connection:
        stored = await connection.scalar(select(Dossier.data).where(Dossier.id == row.id))
        sent = (await connection.execute(select(OUTBOX.c.value))).scalars().all()
    # The row now holds what the acceptance handed on: the ciphertext, nothing in clear.
    assert set(stored) >= {"ciphertext"}, stored
    assert not any(value in str(stored) for value in CLEAR_DATA.values())
    [event] = [value if isinstance(value, str) else bytes(value).decode() for value in sent]
    assert stored["ciphertext"] in event  # the same sealed form data as the event carries
