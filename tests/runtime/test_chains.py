"""Chains that cannot be entered in the middle (motcua_runtime.chains): a hand-off signed with a
real key for a dossier nobody filed is dead-lettered by the stage, and stays dead when an
operator retries it; the same hand-off after its dossier's root is applied. The rules for
what a consumer learns from the records it skips, without a database."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from motcua_appraisal.orm import CHAIN_LINKS, WorkItem
from motcua_contracts import Headers, Producer, headers_for, new_event, uuid7
from motcua_contracts.intake import DossierOverdue
from motcua_runtime.chains import ChainBook
from motcua_runtime.db import DEAD
from motcua_runtime.dead_letter_desk import DeadLetterDesk
from tests.runtime.test_poison_records import processor_for, record, record_of, request, rows
from tests.runtime.test_redelivery import accepted_event, appraisal
from tests.support import chained_after_root, signed


def forged_hand_off():
    """What intake's stolen key can sign: a DossierAccepted whose cause never existed."""
    event = accepted_event()
    return signed(event.model_copy(update={"dossier_id": uuid7(), "causation_id": uuid7(),
                                           "causation_hash": "ab" * 32}))


async def work_items(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(WorkItem))


async def test_forged_hand_offs_are_dead_and_stay_dead_and_a_real_one_applies(infra):
    processor, engine = await processor_for(infra, "chains", appraisal())
    try:
        forged = [forged_hand_off() for _ in range(10)]
        rootless = signed(accepted_event().model_copy(update={"dossier_id": uuid7()}))
        await processor.process(tuple(record_of(event) for event in [*forged, rootless]))
        dead = await rows(engine)
        assert [row.state for row in dead] == [DEAD] * 11
        assert all(row.reason.startswith("chain: the cause of DossierAccepted")
                   for row in dead[:10])
        assert dead[10].reason.startswith("chain: DossierAccepted has no cause")
        assert await work_items(engine) == 0

        # An operator's retry does not step around the chain.
        await request(engine, dead[0].id, "retry")
        await DeadLetterDesk(processor).resolve_requests()
        again = (await rows(engine))[0]
        assert again.state == DEAD and "failed: chain:" in again.resolution
        assert await work_items(engine) == 0

        # The real thing: the root (appraisal does not act on it, but reads and verifies it),
        # then its hand-off, in two batches; the chain is kept between them.
        root, accepted = chained_after_root(accepted_event())
        await processor.process((record_of(root),))
        await processor.process((record_of(accepted),))
        assert await work_items(engine) == 1
        async with engine.connect() as connection:
            links = await connection.scalar(select(func.count()).select_from(CHAIN_LINKS)
                                            .where(CHAIN_LINKS.c.dossier_id == root.dossier_id))
        assert links == 2
    finally:
        await engine.dispose()


async def test_a_root_with_a_lying_header_starts_nothing(infra):
    """A record typed DossierSubmitted is read in full by every consumer: headers alone (here
    a forged body that does not verify) cannot start a chain."""
    processor, engine = await processor_for(infra, "chains_lie", appraisal())
    try:
        root, accepted = chained_after_root(accepted_event())
        fake_root = record(b'{"type": "DossierSubmitted"}', headers_for(root),
                           key=str(root.dossier_id).encode())
        await processor.process((fake_root, record_of(accepted)))
        assert await work_items(engine) == 0
        assert (await rows(engine))[-1].reason.startswith("chain: the cause of")
    finally:
        await engine.dispose()


def digest(n: int) -> str:
    return f"{n:02x}" * 32


def test_a_skipped_record_is_learned_only_when_its_cause_is_known():
    dossier = uuid.uuid4()
    book = ChainBook({dossier: {bytes.fromhex(digest(1))}})
    book.follow(dossier, digest(3), digest(2))  # its cause unknown: a header cannot start one
    assert not book.knows(dossier, digest(3))
    book.follow(dossier, digest(2), digest(1))
    book.follow(dossier, digest(3), digest(2))  # in order, each continues the one before
    assert book.knows(dossier, digest(3))
    assert not book.knows(uuid.uuid4(), digest(1))  # another dossier's history is its own
    assert not book.knows(dossier, "not hex")


async def test_a_skipped_record_without_chain_headers_is_learned_from_its_body(infra):
    """A record written before the chain headers existed is read in full to learn its hash
    (the batch asks the store about the hashes its body names), so what it caused applies."""
    processor, engine = await processor_for(infra, "chains_old", appraisal())
    try:
        root, accepted = chained_after_root(accepted_event())
        overdue = signed(new_event(  # a type appraisal does not act on
            DossierOverdue, dossier_id=root.dossier_id, agency=root.agency,
            producer=Producer(service="intake"), cause=root, due_at=accepted.dossier.due_at))
        caused = signed(accepted.model_copy(update={"causation_id": overdue.event_id,
                                                    "causation_hash": overdue.hash}))
        without_chain_headers = [(name, value) for name, value in headers_for(overdue)
                                 if name not in (Headers.EVENT_HASH, Headers.CAUSATION_HASH)]
        await processor.process((record_of(root),))
        await processor.process((record(overdue.model_dump_json().encode(), without_chain_headers,
                                        key=str(root.dossier_id).encode()),))
        await processor.process((record_of(caused),))
        assert await work_items(engine) == 1
        assert await rows(engine) == []
    finally:
        await engine.dispose()
