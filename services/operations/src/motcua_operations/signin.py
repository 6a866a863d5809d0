"""Operations staff sign in with their workspace account (role `operations`, or `admin`), by
password or through the province's identity provider, as officers sign in to the workspace.

The accounts are the workspace's (`motcua officer add --role operations`): one account per
officer, one password, one place to disable it. This service reads them (SELECT on
`workspace.accounts` alone) and keeps its own sessions in `operations.sessions`, with the
workspace's session code (motcua_runtime.browser_sessions): it never writes the workspace's
tables, and a stolen copy of either session table opens nothing (only each token's SHA-256 is
stored). A session ends at sign-out, when unused for the idle limit, or at the absolute limit;
a disabled account or one that lost the role ends it at the next request, a new password at
once (`StaffSessions.end_all`, called by `motcua officer change --password`). The sign-in form is
protected by a double-submit token, the wallboard's own writes (thresholds) by the session's
CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_operations.orm import WORKSPACE_ACCOUNTS, StaffSession
from motcua_runtime import browser_sessions
from motcua_runtime.browser_sessions import Limits
from motcua_runtime.officers import Officer
from motcua_runtime.passwords import verify_password

COOKIE = "motcua_operations"
SIGN_IN_COOKIE = "motcua_operations_sign_in"
OIDC_COOKIE = "motcua_operations_oidc"  # a sign-in through the provider in progress
STAFF_ROLES = ("operations", "admin")
A = WORKSPACE_ACCOUNTS.c


# A wallboard stays signed in across a shift (12 h unused), a week at most.
DEFAULT_LIMITS = Limits(idle=timedelta(hours=12), absolute=timedelta(days=7))


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


def is_staff(active: bool | None, roles: Any) -> bool:
    return bool(active) and any(role in STAFF_ROLES for role in roles or ())


async def _admit(db: AsyncSession, user_name: str, csrf_token: str) -> Staff | None:
    account = (await db.execute(select(A.full_name, A.agency, A.roles, A.active)
                                .where(A.user_name == user_name))).first()
    if account is None or not is_staff(account.active, account.roles):
        return None
    return Staff(user_name, account.full_name, account.agency, tuple(account.roles),
                 csrf_token)


class StaffSessions(browser_sessions.SessionStore[Staff]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 limits: Limits) -> None:
        table = StaffSession.__table__
        assert isinstance(table, Table)
        super().__init__(sessions, table, "user_name", limits, _admit)

    async def staff_account(self, user_name: str) -> bool | None:
        """Whether `user_name` is an active account of the centre's staff; None: no account."""
        async with self.sessions() as db:
            row = (await db.execute(select(A.roles, A.active)
                                    .where(A.user_name == user_name))).first()
        return None if row is None else is_staff(row.active, row.roles)

    async def end_all(self, user_name: str) -> int:
        """End every session of `user_name` (its password was changed: `motcua officer
        change --password`); how many there were."""
        table = StaffSession.__table__
        assert isinstance(table, Table)
        async with self.sessions() as db, db.begin():
            result = await db.execute(delete(table).where(table.c.user_name == user_name))
        return int(getattr(result, "rowcount", 0) or 0)

    async def sign_in(self, user_name: str, password: str, now: datetime) -> str | None:
        """A new session's token, or None: no such active account, a wrong password, or not
        one of the centre's staff (the same answer for all three)."""
        async with self.sessions() as db:
            row = (await db.execute(select(A.password_hash, A.roles, A.active)
                                    .where(A.user_name == user_name))).first()
        matched = verify_password(row.password_hash if row else None, password)
        if row is None or not matched or not is_staff(row.active, row.roles):
            return None
        return await self.open(user_name, now)
