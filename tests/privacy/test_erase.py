"""Erasure as intake's own act, on a real migrated database with intake's API in-process: an
administrator's request waits for the procedure's retention period (or a lawful request), and
intake destroys the key and queues PersonalDataErased, signed with its own key, in its outbox in
the same transaction; every refusal is a clear 4xx; only an administrator may ask (a service's
token may not); the list of dossiers due is what the sweep erases; a new master key rewraps what
is alive (`motcua privacy rewrap`, on the database)."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.privacy import rewrap
from motcua_contracts import parse_event
from motcua_contracts.intake import PersonalDataErased
from motcua_intake.api import create_api
from motcua_intake.orm import OUTBOX
from motcua_privacy import generate_master_key, key_record, load_keys, master_key
from motcua_runtime.db import create_engine
from motcua_runtime.keys import load_registry
from motcua_runtime.tokens import ServiceTokens
from motcua_runtime.trust import Verifier
from tests.intake.tracking_rows import dossier, insert
from tests.officer_tokens import bearer, current_officer
from tests.support import dossier_files, signer_of

NOW = datetime.now(timezone.utc)  # intake's clock: the dossiers are dated from it
ADMIN = bearer("*", "admin", name="lan")
REQUEST = {"reason": "Yêu cầu xóa số 7/2031", "lawful_request": False}


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
    commits: list[int] = []
    app = create_api(async_sessionmaker(engine, expire_on_commit=False), default_catalogue(),
                     WorkingCalendar(), topic, on_commit=lambda: commits.append(1),
                     current_officer=current_officer(), signer=signer_of("intake"),
                     files=dossier_files())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        yield client, engine, commits, old, recent, open_
    await engine.dispose()
def erasure(code: str) -> str:
    return f"/api/admin/dossiers/{code}/erasure"


async def test_erasure_waits_for_the_retention_period_unless_the_law_orders_it(database):
    client, engine, commits, old, recent, open_ = database
    due = await client.get("/api/admin/erasures/due", headers=ADMIN)
    assert due.status_code == 200 and due.json() == {"codes": [old.code]}

    kept = await client.post(erasure(recent.code), json=REQUEST, headers=ADMIN)
    until = (recent.ended_at + timedelta(days=round(365.25 * 5))).date().isoformat()
    assert kept.status_code == 409 and f"kept until {until}" in kept.json()["message"]
    running = await client.post(erasure(open_.code), json=REQUEST, headers=ADMIN)
    assert running.status_code == 409 and "still being processed" in running.json()["message"]
    unknown = await client.post(erasure("X-000000-0000"), json=REQUEST, headers=ADMIN)
    assert unknown.status_code == 404 and "no dossier" in unknown.json()["message"]
    assert commits == []

    done = await client.post(erasure(old.code), json=REQUEST, headers=ADMIN)
    lawful = await client.post(erasure(open_.code), json={**REQUEST, "lawful_request": True},
                               headers=ADMIN)
    assert done.status_code == lawful.status_code == 201 and commits == [1, 1]
    again = await client.post(erasure(old.code), json={**REQUEST, "lawful_request": True},
                              headers=ADMIN)
    assert again.status_code == 409 and "already erased" in again.json()["message"]

    async with engine.connect() as db:
        keys = await load_keys(db, None, [old.id, open_.id, recent.id])
        record = await key_record(db, old.id)
        outbox = (await db.execute(select(OUTBOX.c.value).order_by(OUTBOX.c.id))).scalars().all()
    assert keys.is_erased(old.id) and keys.is_erased(open_.id) and not keys.is_erased(recent.id)
    assert record and (record.erased_by, record.reason, record.lawful_request) == (
        "operator:lan", "Yêu cầu xóa số 7/2031", False)
    events = [parse_event(value) for value in outbox]
    assert [str(e.event_id) for e in events] == [done.json()["event_id"],
                                                  lawful.json()["event_id"]]
    first = events[0]
    assert isinstance(first, PersonalDataErased) and first.dossier_id == old.id
    assert (first.actor, first.lawful_request, first.causation_id) == (
        "operator:lan", False, old.last_event_id)
    assert first.retention_until == datetime.fromisoformat(done.json()["retention_until"])
    assert first.retention_until <= datetime.now(timezone.utc)
    # Signed by intake's own key, as every consumer and the replay check it.
    assert first.producer.service == "intake"
    registry = load_registry(Path(os.environ["MOTCUA_KEYS_DIR"]))
    assert Verifier(registry).check(json.loads(outbox[0]), first.occurred_at) is None
    assert (await client.get("/api/admin/erasures/due", headers=ADMIN)).json() == {"codes": []}


@pytest.mark.parametrize(("body", "where"), [
    ({"reason": ""}, "reason"), ({"reason": "x" * 501}, "reason"), ({}, "reason"),
    ({"reason": "ok", "lawful_request": "yes"}, "lawful_request"),
    ({"reason": "ok", "lawful_request": 1}, "lawful_request"),
    ({"reason": "ok", "by": "someone"}, "by"),
])
async def test_a_malformed_erasure_request_is_a_422_naming_the_field(database, body, where):
    client, *_ = database
    response = await client.post(erasure("X-000000-0000"), json=body, headers=ADMIN)
    assert response.status_code == 422 and where in response.json()["message"]


async def test_only_an_administrator_may_erase_not_an_officer_nor_a_service(database):
    client, engine, commits, old, recent, open_ = database
    # Intake's own service token, signed with its instance key: still not an administrator.
    service = {"Authorization": "Bearer " + ServiceTokens(signer_of("intake")).for_audience(
        "intake")}
    for headers, status in [({}, 401), ({"Authorization": "Bearer nonsense"}, 401),
                            (bearer("STP", "appraisal"), 403), (bearer("STP", "manager"), 403),
                            (bearer("*", "auditor"), 403)]:
        for call in (client.post(erasure(recent.code), json=REQUEST, headers=headers),
                     client.get("/api/admin/erasures/due", headers=headers)):
            response = await call
            assert response.status_code == status, (headers, response.text)
            assert response.json()["message"]
    refused = await client.post(erasure(recent.code), json=REQUEST, headers=service)
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    async with engine.connect() as db:
        assert not (await load_keys(db, None, [recent.id])).is_erased(recent.id)


async def test_a_new_master_key_rewraps_the_living_keys(database):
    _, engine, _, _, recent, _ = database
    database_url = engine.url.render_as_string(hide_password=False)
    async with engine.connect() as db:
        before = (await load_keys(db, None, [recent.id])).key(recent.id)
    new = base64.b64decode(generate_master_key())
    assert await rewrap(database_url, master_key(), new) == 1  # the others are erased
    async with engine.connect() as db:
        assert (await load_keys(db, new, [recent.id])).key(recent.id) == before
    assert await rewrap(database_url, new, master_key()) == 1  # back, for the other modules
