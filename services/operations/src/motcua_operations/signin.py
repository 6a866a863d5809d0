"""Operations staff sign in with their workspace account (role `operations`, or `admin`).

The accounts are the workspace's (`motcua officer add --role operations`): one account per
officer, one password, one place to disable it. This service reads them (SELECT on
`workspace.accounts` alone) and keeps its own sessions in `operations.sessions`: it never
writes the workspace's tables, and a stolen copy of either session table opens nothing (only
each token's SHA-256 is stored). A session ends at sign-out, when unused for the idle limit, or
at the absolute limit; a disabled account or one that lost the role ends it at the next request.
The sign-in form is protected by a double-submit token, the wallboard's own writes (thresholds)
by the session's CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_operations.orm import WORKSPACE_ACCOUNTS, StaffSession
from motcua_runtime.officers import Officer
from motcua_runtime.passwords import verify_password

COOKIE = "motcua_operations"
SIGN_IN_COOKIE = "motcua_operations_sign_in"
STAFF_ROLES = ("operations", "admin")
A = WORKSPACE_ACCOUNTS.c


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Staff:
    user_name: str
    full_name: str
    agency: str
    roles: tuple[str, ...]
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def officer(self) -> Officer:
        """As the dossier APIs know callers: an administrator, or the centre's staff, who see
        every agency's dossiers (motcua_operations.api's scope)."""
        return Officer(self.user_name, self.agency, "admin" if self.is_admin else "operations")


@dataclass(frozen=True)
class Limits:
    idle: timedelta = timedelta(hours=12)  # a wallboard stays signed in across a shift
    absolute: timedelta = timedelta(days=7)


class StaffSessions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], limits: Limits) -> None:
        self.sessions = sessions
        self.limits = limits

    async def sign_in(self, user_name: str, password: str, now: datetime) -> str | None:
        """A new session's token, or None: no such active account, a wrong password, or not
        one of the centre's staff (the same answer for all three)."""
        async with self.sessions() as db, db.begin():
            row = (await db.execute(select(A.password_hash, A.roles, A.active)
                                    .where(A.user_name == user_name))).first()
            allowed = row is not None and row.active and \
                any(role in STAFF_ROLES for role in row.roles)
            if not verify_password(row.password_hash if row else None, password) or not allowed:
                return None
            token = new_token()
            db.add(StaffSession(token_sha256=digest(token), user_name=user_name,
                                csrf_token=new_token(), created_at=now, last_seen_at=now))
        return token

    async def find(self, token: str | None, now: datetime) -> Staff | None:
        if not token:
            return None
        async with self.sessions() as db, db.begin():
            session = await db.get(StaffSession, digest(token), with_for_update=True)
            if session is None:
                return None
            account = (await db.execute(
                select(A.full_name, A.agency, A.roles, A.active)
                .where(A.user_name == session.user_name))).first()
            over = now - session.last_seen_at >= self.limits.idle or \
                now - session.created_at >= self.limits.absolute
            if over or account is None or not account.active or \
                    not any(role in STAFF_ROLES for role in account.roles):
                await db.delete(session)
                return None
            session.last_seen_at = now
            return Staff(session.user_name, account.full_name, account.agency,
                         tuple(account.roles), session.csrf_token)

    async def close(self, token: str | None) -> None:
        if token:
            async with self.sessions() as db, db.begin():
                await db.execute(delete(StaffSession)
                                 .where(StaffSession.token_sha256 == digest(token)))
