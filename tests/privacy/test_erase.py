"""`motcua privacy` on a real migrated database, without the services: erasure waits for the
procedure's retention period (or a lawful request), destroys the key and queues a signed
PersonalDataErased in intake's outbox in the same transaction; the sweep finds what is past its
retention; a new master key rewraps what is alive."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from motcua_cli.privacy import ErasureRefused, erase, past_retention, rewrap
from motcua_contracts import parse_event
from motcua_contracts.intake import PersonalDataErased
from motcua_intake.orm import OUTBOX
from motcua_privacy import generate_master_key, key_record, load_keys, master_key
from motcua_runtime.db import create_engine
from motcua_runtime.keys import load_registry
from motcua_runtime.trust import Verifier
from tests.intake.tracking_rows import dossier, insert
from tests.support import signer_of

NOW = datetime(2032, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
async def database(infra):
    database_url, topic = await infra.isolated("erase")
    engine = create_engine(database_url)
    old = dossier(received_at=NOW - timedelta(days=6 * 366), status=10,
                  ended_at=NOW - timedelta(days=6 * 365))  # delivered six years ago
    recent = dossier(received_at=NOW - timedelta(days=40), status=10,
                     ended_at=NOW - timedelta(days=30))
    open_ = dossier(received_at=NOW - timedelta(days=3), status=4)
    for row in (old, recent, open_):
        row.last_event_id, row.last_event_hash = uuid.uuid4(), "ab" * 32
    await insert(engine, old, recent, open_)
    yield database_url, topic, engine, old, recent, open_
    await engine.dispose()


def erasing(database_url, topic, code, **options):
    return erase(database_url, code, reason="Yêu cầu xóa số 7/2031", by="operator:lan",
                 signer=signer_of("intake"), topic=topic, now=NOW, **options)


async def test_erasure_waits_for_the_retention_period_unless_the_law_orders_it(database):
    database_url, topic, engine, old, recent, open_ = database
    assert await past_retention(database_url, now=NOW) == [old.code]
    with pytest.raises(ErasureRefused, match="kept until"):
        await erasing(database_url, topic, recent.code, lawful_request=False)
    with pytest.raises(ErasureRefused, match="still being processed"):
        await erasing(database_url, topic, open_.code, lawful_request=False)
    with pytest.raises(ErasureRefused, match="no dossier"):
        await erasing(database_url, topic, "X-000000-0000", lawful_request=True)

    done = await erasing(database_url, topic, old.code, lawful_request=False)
    lawful = await erasing(database_url, topic, open_.code, lawful_request=True)
    with pytest.raises(ErasureRefused, match="erased"):
        await erasing(database_url, topic, old.code, lawful_request=True)

    async with engine.connect() as db:
        keys = await load_keys(db, None, [old.id, open_.id, recent.id])
        record = await key_record(db, old.id)
        outbox = (await db.execute(select(OUTBOX.c.value))).scalars().all()
    assert keys.is_erased(old.id) and keys.is_erased(open_.id) and not keys.is_erased(recent.id)
    assert record and (record.erased_by, record.reason, record.lawful_request) == (
        "operator:lan", "Yêu cầu xóa số 7/2031", False)
    events = [parse_event(value) for value in outbox]
    assert [e.event_id for e in events] == [done.event_id, lawful.event_id]
    first = events[0]
    assert isinstance(first, PersonalDataErased) and first.dossier_id == old.id
    assert (first.actor, first.lawful_request, first.causation_id) == (
        "operator:lan", False, old.last_event_id)
    assert first.retention_until == done.retention_until <= NOW
    registry = load_registry(Path(os.environ["MOTCUA_KEYS_DIR"]))
    assert Verifier(registry).check(json.loads(outbox[0]), first.occurred_at) is None
    assert await past_retention(database_url, now=NOW) == []


async def test_a_new_master_key_rewraps_the_living_keys(database):
    database_url, _, engine, _, recent, _ = database
    async with engine.connect() as db:
        before = (await load_keys(db, None, [recent.id])).key(recent.id)
    new = base64.b64decode(generate_master_key())
    assert await rewrap(database_url, master_key(), new) == 1  # the others are erased
    async with engine.connect() as db:
        assert (await load_keys(db, new, [recent.id])).key(recent.id) == before
    assert await rewrap(database_url, new, master_key()) == 1  # back, for the other modules
