"""Server-side sessions of a signed-in browser, shared by the officers' workspace and the
operations centre's wallboard (each keeps its own table in its own schema).

The cookie holds a random token (256 bits); the table holds its SHA-256, so a copy of the
table opens no session. A session ends at sign-out, when unused for the idle limit, or at the
absolute limit after sign-in; and at the next request once its account no longer admits it
(disabled, or it lost the role the app asks for: the app's `admit` says). Every form of a
signed-in page carries the session's CSRF token (synchronizer token); a sign-in form, before any
session, carries a token that must equal the one in its own short-lived cookie (double submit).

A session table has the columns `token_sha256` (primary key), `csrf_token`, `created_at`,
`last_seen_at` and one naming whose session it is (the workspace: the account's id; the
operations centre, which only reads the workspace's accounts: the user name)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

CSRF_FIELD = "csrf_token"
T = TypeVar("T")
# Given the session's subject and its CSRF token, the signed-in person; None ends the session.
Admit = Callable[[AsyncSession, Any, str], Awaitable[T | None]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta

    def over(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at >= self.idle or now - created_at >= self.absolute


class SessionStore(Generic[T]):
    """The sessions of `table`, whose column `subject` says whose each is; `admit` turns a live
    session's subject into the signed-in person of the request (or None: then it is over)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], table: Table, subject: str,
                 limits: Limits, admit: Admit[T]) -> None:
        self.sessions = sessions
        self.table = table
        self.subject = table.c[subject]
        self.limits = limits
        self.admit = admit

    async def open(self, subject: Any, now: datetime) -> str:
        """A new session of `subject`; the cookie's token."""
        token = new_token()
        async with self.sessions() as db, db.begin():
            await db.execute(insert(self.table).values({
                "token_sha256": digest(token), self.subject.name: subject,
                "csrf_token": new_token(), "created_at": now, "last_seen_at": now}))
        return token

    async def find(self, token: str | None, now: datetime) -> T | None:
        """The session's person, its idle clock restarted; None when there is no such session,
        it is over (then it is deleted), or `admit` refuses its subject (deleted too)."""
        if not token:
            return None
        c = self.table.c
        key = c.token_sha256 == digest(token)
        async with self.sessions() as db, db.begin():
            row = (await db.execute(select(self.subject, c.csrf_token, c.created_at,
                                           c.last_seen_at).where(key).with_for_update())).first()
            if row is None:
                return None
            person = None if self.limits.over(row.created_at, row.last_seen_at, now) else \
                await self.admit(db, row[0], row.csrf_token)
            if person is None:
                await db.execute(delete(self.table).where(key))
                return None
            await db.execute(update(self.table).where(key).values(last_seen_at=now))
            return person

    async def close(self, token: str | None) -> None:
        if token:
            async with self.sessions() as db, db.begin():
                await db.execute(delete(self.table).where(
                    self.table.c.token_sha256 == digest(token)))

    async def sweep(self, now: datetime) -> int:
        """Delete the sessions that are over; how many."""
        c = self.table.c
        async with self.sessions() as db, db.begin():
            result = await db.execute(delete(self.table).where(
                (c.last_seen_at <= now - self.limits.idle)
                | (c.created_at <= now - self.limits.absolute)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
