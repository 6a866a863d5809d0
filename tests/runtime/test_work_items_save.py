"""A batch's new work items are written by `WorkItems.save` in one INSERT (arrays unnested)
instead of the session's one INSERT per item: read back, each row holds what the session would
have written (JSONB documents, lists, None, aware datetimes), an item changed after it was
opened is written as it stands at the end of the batch, an item loaded and changed is still
updated by the session, and preloading finds the items of any number of dossiers. Signing's
items go the same way, its issued documents as before. Real Postgres."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_approval.orm import WorkItem
from motcua_contracts import uuid7
from motcua_runtime.db import create_engine
from motcua_runtime.work_items import DONE, OPEN, WorkItems, close, take_over
from motcua_signing.orm import ResultDocument
from motcua_signing.orm import WorkItem as SigningItem
from motcua_signing.repository import SigningRepository
from tests.personal import facts

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=timezone.utc)


class _Opening:
    """What take_over reads of a hand-off."""

    type = "DossierAppraised"
    agency = "STP"
    causation_id = None
    hash = "ab" * 32

    def __init__(self, number: int) -> None:
        self.dossier_id = uuid7()
        self.event_id = uuid7()
        self.occurred_at = NOW + timedelta(seconds=number)
        self.dossier = facts(self.dossier_id, code=f"000.00.15.H38-261206-{number:04d}",
                             procedure_code="2.000488", applicant_name="Lò Văn Sáng",
                             received_at=NOW - timedelta(days=3), delivery_channel="online")


def _columns(item: WorkItem) -> dict:
    return {column.key: getattr(item, column.key) for column in WorkItem.__table__.columns}


@pytest.fixture
async def sessions(infra):
    database_url, _topic = await infra.isolated("work_items_save")
    engine = create_engine(database_url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def test_new_items_are_written_in_one_insert_as_the_session_would(sessions):
    openings = [_Opening(number) for number in range(3)]
    async with sessions() as session, session.begin():
        items = WorkItems(session, WorkItem)
        await items.preload(openings)
        opened = [take_over(items, WorkItem, event, event.dossier, "approval",
                            context={"recommendation": "approve", "note": None})
                  for event in openings]
        # Changed after it was opened, in the same batch: written as it stands at the end.
        close(opened[1], outcome="approved", reason="Đồng ý", at=NOW, emitted=openings[1])
        expected = [_columns(item) for item in opened]
        await items.save()
        assert not session.new  # nothing left for the session's flush to write twice

    async with sessions() as session:
        rows = (await session.scalars(select(WorkItem).where(
            WorkItem.id.in_([row["id"] for row in expected])))).all()
        read_back = {row.id: _columns(row) for row in rows}
    assert [read_back[row["id"]] for row in expected] == expected
    assert read_back[expected[1]["id"]]["state"] == DONE
    assert read_back[expected[0]["id"]]["context"] == {"recommendation": "approve",
                                                       "note": None}
    assert read_back[expected[0]["id"]]["decided_at"] is None
    assert read_back[expected[1]["id"]]["decided_at"] == NOW

    # The next batch finds them all (one statement whatever their number), and a loaded item
    # changed by a handler is updated by the session as before.
    async with sessions() as session, session.begin():
        items = WorkItems(session, WorkItem)
        await items.preload(openings)
        found = [items.for_dossier(event.dossier_id) for event in openings]
        assert [[item.id for item in held] for held in found] == [[row["id"]] for row in expected]
        assert found[0][0].facts() == openings[0].dossier
        assert found[0][0].facts() is found[0][0].facts()  # validated once
        close(found[0][0], outcome="denied", reason="Thiếu hồ sơ", at=NOW)
        await items.save()
    async with sessions() as session:
        again = await session.get(WorkItem, expected[0]["id"])
        assert (again.state, again.outcome, again.reason) == (DONE, "denied", "Thiếu hồ sơ")
        assert again.state != OPEN


async def test_signings_items_go_in_one_statement_and_its_documents_as_before(sessions):
    """Signing's issued documents (about 100 KB each) stay one INSERT each, flushed by the
    session: as arrays of one statement Postgres spent twice as long on them (the unnested rows
    go through a tuple store that spills past work_mem)."""
    document_id, dossier_id = uuid7(), uuid7()
    inserts: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.startswith("INSERT"):
            inserts.append(statement)

    async with sessions() as session, session.begin():
        event.listen(session.bind.sync_engine, "before_cursor_execute", record)
        results = SigningRepository(session)
        opening = _Opening(7)
        await results.preload([opening])
        take_over(results, SigningItem, opening, opening.dossier, "signing",
                  context={"outcome": "approved", "body": "Đồng ý"})
        session.add(ResultDocument(
            id=document_id, dossier_id=dossier_id, dossier_code="000.00.15.H38-261206-0009",
            agency="STP", result_number="9/2026/QĐ-STP", outcome="approved",
            media_type="application/pdf", content=b"%PDF-1.7\x00\xff" * 1000, sha256="cd" * 32,
            certificate_fingerprint=None, signed_at=NOW))
        await results.save()
        assert [type(row) for row in session.new] == [ResultDocument]
    event.remove(session.bind.sync_engine, "before_cursor_execute", record)
    # The work items in one statement of arrays, not flushed row by row before it; the document
    # by the session at the commit.
    written = [statement.split(" (")[0] for statement in inserts
               if "signing.results" in statement or "signing.work_items" in statement]
    assert written == ["INSERT INTO signing.work_items", "INSERT INTO signing.results"]
    assert "unnest" in next(s for s in inserts if "signing.work_items" in s)
    assert "unnest" not in next(s for s in inserts if "signing.results" in s)
    async with sessions() as session:
        stored = await session.get(ResultDocument, document_id)
        assert stored is not None
        assert (stored.dossier_id, stored.result_number, stored.content,
                stored.certificate_fingerprint, stored.signed_at) == (
            dossier_id, "9/2026/QĐ-STP", b"%PDF-1.7\x00\xff" * 1000, None, NOW)
