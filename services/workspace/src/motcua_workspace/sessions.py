"""Server-side sessions and the CSRF token of their forms.

The cookie holds a random token (256 bits); the database holds its SHA-256, so a copy of the
table opens no session. A session ends at sign-out, when unused for the idle limit, or at the
absolute limit after sign-in. Every form of a signed-in page carries the session's CSRF token
(synchronizer token); the sign-in form, before any session, carries a token that must equal the
one in its own short-lived cookie (double submit). A POST whose token does not match is refused
with 403 before anything is done."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_workspace.orm import Account
from motcua_workspace.orm import Session as SessionRow

COOKIE = "motcua_workspace"
SIGN_IN_COOKIE = "motcua_workspace_sign_in"
CSRF_FIELD = "csrf_token"


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


@dataclass(frozen=True)
class SignedIn:
    """The officer of a request, as their session says."""

    account_id: uuid.UUID
    user_name: str
    full_name: str
    agency: str
    roles: tuple[str, ...]
    csrf_token: str


class SessionStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], limits: Limits) -> None:
        self.sessions = sessions
        self.limits = limits

    async def open(self, account: Account, now: datetime) -> str:
        """A new session for `account`; the cookie's token."""
        token = new_token()
        async with self.sessions() as db, db.begin():
            db.add(SessionRow(token_sha256=digest(token), account_id=account.id,
                              csrf_token=new_token(), created_at=now, last_seen_at=now))
        return token

    async def find(self, token: str | None, now: datetime) -> SignedIn | None:
        """The session's officer, its idle clock restarted; None when there is no such session,
        it is over (then it is deleted), or the account was disabled."""
        if not token:
            return None
        async with self.sessions() as db, db.begin():
            row = await db.get(SessionRow, digest(token), with_for_update=True)
            if row is None:
                return None
            account = await db.get(Account, row.account_id)
            if account is None or not account.active or \
                    self.limits.over(row.created_at, row.last_seen_at, now):
                await db.delete(row)
                return None
            row.last_seen_at = now
            return SignedIn(account.id, account.user_name, account.full_name, account.agency,
                            tuple(account.roles), row.csrf_token)

    async def close(self, token: str | None) -> None:
        if token:
            async with self.sessions() as db, db.begin():
                await db.execute(delete(SessionRow).where(
                    SessionRow.token_sha256 == digest(token)))

    async def sweep(self, now: datetime) -> int:
        """Delete the sessions that are over; how many."""
        async with self.sessions() as db, db.begin():
            over = delete(SessionRow).where(
                (SessionRow.last_seen_at <= now - self.limits.idle)
                | (SessionRow.created_at <= now - self.limits.absolute))
            result = await db.execute(over)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def account_named(db: AsyncSession, user_name: str) -> Account | None:
    return await db.scalar(select(Account).where(Account.user_name == user_name))
