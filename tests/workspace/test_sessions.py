"""Server-side sessions on a real Postgres: the cookie's token opens the session, the table
holds only its SHA-256; a session ends when unused for the idle limit, at the absolute limit
however busy, at sign-out, or when its account is disabled; the sweep deletes what is over."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from motcua_workspace.orm import Account
from motcua_workspace.orm import Session as SessionRow
from motcua_workspace.sessions import Limits, SessionStore, digest, tokens_match

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
LIMITS = Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=10))


@pytest.fixture(scope="module")
async def sessions(infra):
    database_url, _ = await infra.isolated("workspace_sessions")
    engine = create_engine(database_url)
    made = async_sessionmaker(engine, expire_on_commit=False)
    yield made
    await engine.dispose()


async def account(sessions, name: str) -> Account:
    return await add_account(sessions, agency="STP", roles=["appraisal"], user_name=name,
                             full_name="Nguyễn Văn An", password="mật khẩu đủ dài 2026")


async def test_the_cookie_token_opens_the_session_and_only_its_hash_is_stored(sessions):
    store = SessionStore(sessions, LIMITS)
    officer = await account(sessions, "an.hash")
    token = await store.open(officer, T0)
    async with sessions() as db:
        rows = list(await db.scalars(select(SessionRow).where(
            SessionRow.account_id == officer.id)))
    assert [row.token_sha256 for row in rows] == [digest(token)] and token not in str(
        [vars(row) for row in rows])
    found = await store.find(token, T0 + timedelta(minutes=1))
    assert found is not None and found.user_name == "an.hash" and found.roles == ("appraisal",)
    assert tokens_match(found.csrf_token, found.csrf_token)
    assert not tokens_match(found.csrf_token, None) and not tokens_match(None, None)
    assert await store.find(token + "x", T0) is None
    assert await store.find(None, T0) is None


async def test_an_idle_session_ends_and_use_keeps_one_alive(sessions):
    store = SessionStore(sessions, LIMITS)
    token = await store.open(await account(sessions, "an.idle"), T0)
    moment = T0
    for _ in range(4):  # used every 25 minutes: alive, past the idle limit's span in total
        moment += timedelta(minutes=25)
        assert await store.find(token, moment) is not None
    assert await store.find(token, moment + timedelta(minutes=30)) is None
    assert await store.find(token, moment) is None  # deleted, not only refused


async def test_a_busy_session_still_ends_at_the_absolute_limit(sessions):
    store = SessionStore(sessions, LIMITS)
    token = await store.open(await account(sessions, "an.busy"), T0)
    moment = T0
    while moment + timedelta(minutes=20) < T0 + LIMITS.absolute:
        moment += timedelta(minutes=20)
        assert await store.find(token, moment) is not None
    assert await store.find(token, T0 + timedelta(hours=10)) is None


async def test_sign_out_and_a_disabled_account_end_the_session(sessions):
    store = SessionStore(sessions, LIMITS)
    officer = await account(sessions, "an.out")
    token = await store.open(officer, T0)
    await store.close(token)
    assert await store.find(token, T0) is None
    token = await store.open(officer, T0)
    async with sessions() as db, db.begin():
        await db.execute(update(Account).where(Account.id == officer.id).values(active=False))
    assert await store.find(token, T0) is None


async def test_the_sweep_deletes_the_sessions_that_are_over(sessions):
    store = SessionStore(sessions, LIMITS)
    officer = await account(sessions, "an.sweep")
    stale = await store.open(officer, T0 - timedelta(hours=1))
    fresh = await store.open(officer, T0)
    assert await store.sweep(T0 + timedelta(minutes=1)) >= 1
    async with sessions() as db:
        kept = set(await db.scalars(select(SessionRow.token_sha256).where(
            SessionRow.account_id == officer.id)))
    assert kept == {digest(fresh)} and digest(stale) not in kept
