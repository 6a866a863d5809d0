"""The key store on a real migrated database: a key made with a dossier opens its values,
erasure destroys it and keeps who, when and why, and only intake, signing and delivery may read
the table (every other service role is refused)."""

from __future__ import annotations

import base64
import uuid

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from motcua_privacy import (
    PersonalDataErased,
    PrivacyProblem,
    create_key,
    erase_key,
    generate_master_key,
    key_record,
    load_keys,
    rewrap_all,
)
from motcua_runtime.db import engine_url
from motcua_runtime.roles import ensure_service_roles
from tests.runtime.test_roles import connect
from tests.support import TEST_ROLE_PASSWORDS

MASTER = base64.b64decode(generate_master_key())


@pytest.fixture(scope="module")
async def key_store(infra):
    database_url, _ = await infra.isolated("privacy")
    engine = create_async_engine(engine_url(database_url))
    yield database_url, engine
    await engine.dispose()


async def test_a_key_is_made_with_the_dossier_and_destroyed_by_erasure(key_store):
    _, engine = key_store
    dossier = uuid.uuid4()
    async with engine.begin() as db:
        key = await create_key(db, MASTER, dossier, "TEST-261203-0001")
    async with engine.begin() as db:
        ring = await load_keys(db, MASTER, [dossier, uuid.uuid4()])
        sealed = ring.seal(dossier, {"full_name": "Trần Thị Bình"})
        assert ring.key(dossier) == key and ring.open(dossier, sealed)["full_name"]
    async with engine.begin() as db:
        record = await erase_key(db, dossier, reason="lawful request no. 7",
                                 erased_by="officer:an", lawful_request=True)
    assert record.erased_at is not None and record.reason == "lawful request no. 7"
    async with engine.begin() as db:
        after = await load_keys(db, MASTER, [dossier])
        with pytest.raises(PersonalDataErased, match="erased on"):
            after.open(dossier, sealed)
        kept = await key_record(db, dossier)
        assert kept and kept.erased_by == "officer:an" and kept.lawful_request is True
        with pytest.raises(PersonalDataErased):
            await erase_key(db, dossier, reason="again", erased_by="x", lawful_request=False)
    admin = await connect(key_store[0])
    try:
        assert await admin.fetchval("SELECT wrapped_key FROM privacy.dossier_keys "
                                    "WHERE dossier_id = $1", dossier) is None
    finally:
        await admin.close()


async def test_a_new_master_key_rewraps_every_living_key_and_the_old_one_opens_none(key_store):
    _, engine = key_store
    living, erased = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as db:
        key = await create_key(db, MASTER, living)
        await create_key(db, MASTER, erased)
        await erase_key(db, erased, reason="r", erased_by="x", lawful_request=True)
    new = base64.b64decode(generate_master_key())
    async with engine.begin() as db:
        assert await rewrap_all(db, MASTER, new) >= 1
    async with engine.begin() as db:
        assert (await load_keys(db, new, [living])).key(living) == key
        with pytest.raises(PrivacyProblem, match="master key"):
            await load_keys(db, MASTER, [living])
        assert (await load_keys(db, new, [erased])).is_erased(erased)


@pytest.mark.parametrize("role", ["appraisal", "approval", "audit", "operations", "auditor"])
async def test_a_role_without_the_grant_is_refused_the_key_store(key_store, role):
    urls = ensure_service_roles(key_store[0], TEST_ROLE_PASSWORDS)
    connection = await connect(urls[role])
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetch("SELECT wrapped_key FROM privacy.dossier_keys")
    finally:
        await connection.close()


@pytest.mark.parametrize("role", ["intake", "signing", "delivery"])
async def test_the_services_that_decrypt_may_read_the_key_store(key_store, role):
    urls = ensure_service_roles(key_store[0], TEST_ROLE_PASSWORDS)
    connection = await connect(urls[role])
    try:
        await connection.fetch("SELECT wrapped_key FROM privacy.dossier_keys")
        if role != "intake":
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute("UPDATE privacy.dossier_keys SET wrapped_key = NULL")
    finally:
        await connection.close()
