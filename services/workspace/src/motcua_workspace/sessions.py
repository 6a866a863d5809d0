"""The workspace's sessions: the shared store (motcua_runtime.browser_sessions: the token in
the cookie, its SHA-256 in the table, the idle and absolute limits, the CSRF tokens) over
`workspace.sessions`, each row naming its account by id. A disabled account's session ends at
its next request. A POST whose CSRF token does not match is refused with 403 before anything is
done (motcua_workspace.pages.check_csrf)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_runtime import browser_sessions
from motcua_runtime.browser_sessions import (  # noqa: F401  (the pages' and tests' names)
    CSRF_FIELD,
    Limits,
    digest,
    new_token,
    tokens_match,
)
from motcua_workspace.orm import Account
from motcua_workspace.orm import Session as SessionRow

COOKIE = "motcua_workspace"
SIGN_IN_COOKIE = "motcua_workspace_sign_in"
OIDC_COOKIE = "motcua_workspace_oidc"  # a sign-in through the provider in progress


@dataclass(frozen=True)
class SignedIn:
    """The officer of a request, as their session says."""

    account_id: uuid.UUID
    user_name: str
    full_name: str
    agency: str
    roles: tuple[str, ...]
    csrf_token: str


async def _admit(db: AsyncSession, account_id: uuid.UUID, csrf_token: str) -> SignedIn | None:
    """Any active account's session (what each page allows is the page's to say)."""
    account = await db.get(Account, account_id)
    if account is None or not account.active:
        return None
    return SignedIn(account.id, account.user_name, account.full_name, account.agency,
                    tuple(account.roles), csrf_token)


class SessionStore(browser_sessions.SessionStore[SignedIn]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], limits: Limits) -> None:
        table = SessionRow.__table__
        assert isinstance(table, Table)
        super().__init__(sessions, table, "account_id", limits, _admit)

    async def open(self, account: Account, now: datetime) -> str:
        """A new session for `account`; the cookie's token."""
        return await super().open(account.id, now)


async def account_named(db: AsyncSession, user_name: str) -> Account | None:
    return await db.scalar(select(Account).where(Account.user_name == user_name))
