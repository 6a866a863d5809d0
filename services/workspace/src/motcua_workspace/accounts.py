"""Officers' accounts: creating one (`motcua officer add`): the agency must be one of the
catalogue's, each role an officer's role, the user name plain (it names the officer in events:
`officer:<name>`), the password long enough; only its Argon2 hash is kept. Changing one
(`motcua officer change`): its roles, its full name, its password (by the same rules as at
creation), disabled or enabled again; a new password or a disabled account ends the account's
sessions at once, and a disabled one cannot sign in (the user name stays taken, so events that
name it keep naming one officer)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue.catalogue import default_catalogue
from motcua_runtime.officers import OFFICER_ROLES
from motcua_runtime.passwords import WeakPassword, check_strength, hash_password
from motcua_workspace.orm import Account, Session
from motcua_workspace.sessions import account_named

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountRefused(ValueError):
    pass


def check_account(agency: str, roles: Sequence[str], user_name: str, full_name: str) -> None:
    agencies = default_catalogue().agencies
    if agency not in agencies:
        raise AccountRefused(f"no agency {agency!r} in the catalogue; agencies: "
                             f"{', '.join(sorted(agencies))}")
    unknown = [role for role in roles if role not in OFFICER_ROLES]
    if not roles or unknown:
        raise AccountRefused(f"roles {', '.join(unknown) or '(none)'}: an officer's roles are "
                             f"{', '.join(OFFICER_ROLES)}")
    if not USER_NAME.match(user_name):
        raise AccountRefused(f"user name {user_name!r}: 2 to 64 of a-z, 0-9, '.', '_', '-', "
                             "starting with a letter or digit")
    if not full_name.strip() or len(full_name) > 200 or any(ord(c) < 32 for c in full_name):
        raise AccountRefused("the full name is 1 to 200 characters, no control characters")


async def add_account(sessions: async_sessionmaker[AsyncSession], *, agency: str,
                      roles: Sequence[str], user_name: str, full_name: str,
                      password: str) -> Account:
    check_account(agency, roles, user_name, full_name)
    password_hash = hash_password(password)
    async with sessions() as db, db.begin():
        if await account_named(db, user_name) is not None:
            raise AccountRefused(f"an account {user_name!r} exists already")
        account = Account(agency=agency, roles=list(dict.fromkeys(roles)), user_name=user_name,
                          full_name=full_name.strip(), password_hash=password_hash, active=True)
        db.add(account)
    return account


async def change_account(sessions: async_sessionmaker[AsyncSession], user_name: str, *,
                         roles: Sequence[str] | None = None, full_name: str | None = None,
                         active: bool | None = None, password: str | None = None) -> Account:
    """Change what is given (None: left as it is). A new password or disabling ends the
    account's sessions in the same transaction (whoever had signed in with the old password
    signs in again); roles changed apply at the next request of a session (each request reads
    the account). A password too short or too long is refused (AccountRefused) before
    anything changes."""
    password_hash = None
    if password is not None:
        try:
            check_strength(password)
        except WeakPassword as refusal:
            raise AccountRefused(str(refusal)) from None
        password_hash = hash_password(password)  # Argon2: slow on purpose, outside the lock
    async with sessions() as db, db.begin():
        account = await account_named(db, user_name)
        if account is None:
            raise AccountRefused(f"no account {user_name!r}")
        check_account(account.agency, account.roles if roles is None else roles,
                      account.user_name, account.full_name if full_name is None else full_name)
        if roles is not None:
            account.roles = list(dict.fromkeys(roles))
        if full_name is not None:
            account.full_name = full_name.strip()
        if password_hash is not None:
            account.password_hash = password_hash
        if active is not None:
            account.active = active
        if password_hash is not None or active is False:
            await db.execute(delete(Session).where(Session.account_id == account.id))
    return account
