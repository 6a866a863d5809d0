"""Deferred links (motcua_runtime.consumer): a batch the stage acts on none of is kept in memory,
its offsets not committed, and followed along its chains with the next batch it acts on. The
guarantees that must hold: what the next batch needs from the kept records is there; nothing
is stored (so nothing may be committed) before; a crash loses nothing because the kept records
are read again; the records kept are bounded; and `settle` stores them and then commits."""

from __future__ import annotations

from sqlalchemy import func, select

from motcua_appraisal.orm import CHAIN_LINKS
from motcua_contracts import Producer, new_event
from motcua_contracts.intake import DossierOverdue
from motcua_runtime import consumer
from tests.runtime.test_chains import work_items
from tests.runtime.test_poison_records import processor_for, record_of, rows
from tests.runtime.test_redelivery import accepted_event, appraisal
from tests.support import chained_after_root, signed


def history():
    """A root, a record appraisal skips by its headers (DossierOverdue), and a hand-off
    appraisal acts on whose cause is the skipped record."""
    root, accepted = chained_after_root(accepted_event())
    overdue = signed(new_event(
        DossierOverdue, dossier_id=root.dossier_id, agency=root.agency,
        producer=Producer(service="intake"), cause=root, due_at=accepted.dossier.due_at))
    caused = signed(accepted.model_copy(update={"causation_id": overdue.event_id,
                                                "causation_hash": overdue.hash}))
    return root, overdue, caused


async def links(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(CHAIN_LINKS))


async def test_kept_batches_are_followed_with_the_next_batch_that_acts(infra):
    processor, engine = await processor_for(infra, "deferred", appraisal())
    try:
        root, overdue, caused = history()
        assert await processor.process((record_of(root),), may_defer=True) is False
        assert await processor.process((record_of(overdue),), may_defer=True) is False
        assert await links(engine) == 0  # nothing stored: the offsets must not be committed
        # The hand-off's cause is only in the kept records: it applies, and every link is
        # stored in its transaction.
        assert await processor.process((record_of(caused),), may_defer=True) is True
        assert await work_items(engine) == 1
        assert await rows(engine) == []
        assert await links(engine) == 3
    finally:
        await engine.dispose()


async def test_a_crash_while_records_are_kept_loses_nothing(infra):
    """The kept records were never stored and their offsets never committed: after a restart
    (a new processor, nothing in memory) the broker hands them out again and they teach the
    chain as the first time."""
    before, engine = await processor_for(infra, "deferred_crash", appraisal())
    try:
        root, overdue, caused = history()
        assert await before.process((record_of(root), record_of(overdue)),
                                    may_defer=True) is False
        assert await links(engine) == 0
        after = consumer.BatchProcessor(before.stage, engine, before.settings, before.relay)
        # Read again from the last committed offset: the kept records, then the hand-off.
        assert await after.process((record_of(root), record_of(overdue)),
                                   may_defer=True) is False
        assert await after.process((record_of(caused),), may_defer=True) is True
        assert await work_items(engine) == 1
        assert await rows(engine) == []
    finally:
        await engine.dispose()


async def test_the_records_kept_are_bounded_and_direct_calls_keep_nothing(infra, monkeypatch):
    processor, engine = await processor_for(infra, "deferred_bound", appraisal())
    try:
        root, overdue, _ = history()
        monkeypatch.setattr(consumer, "DEFER_RECORDS", 2)
        assert await processor.process((record_of(root),), may_defer=True) is False
        # The second would make two kept: stored now, with the first.
        assert await processor.process((record_of(overdue),), may_defer=True) is True
        assert await links(engine) == 2
        # Without may_defer (tests, tools) a batch is stored before process returns.
        other_root, _, _ = history()
        assert await processor.process((record_of(other_root),)) is True
        assert await links(engine) == 3
    finally:
        await engine.dispose()


class _Message:
    """The part of FastStream's message `settle` uses: its ack (every partition's position)."""

    consumer = None

    def __init__(self, stored) -> None:
        self.stored, self.acked_after = stored, None

    async def ack(self) -> None:
        self.acked_after = await self.stored()


async def test_settle_stores_what_is_kept_before_it_commits(infra):
    processor, engine = await processor_for(infra, "deferred_settle", appraisal())
    try:
        root, overdue, _ = history()
        assert await processor.process((record_of(root), record_of(overdue)),
                                       may_defer=True) is False
        message = _Message(lambda: links(engine))
        processor._unacked = message  # what the subscriber keeps for a deferred batch
        await processor.settle()
        assert message.acked_after == 2  # committed only once both links were stored
        assert processor._unacked is None
        await processor.settle()  # nothing kept: nothing to do
    finally:
        await engine.dispose()
