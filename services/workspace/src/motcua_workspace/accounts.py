"""Creating officers' accounts (`motcua officer add`): the agency must be one of the
catalogue's, each role an officer's role, the user name plain (it names the officer in events:
`officer:<name>`), the password long enough; only its Argon2 hash is kept."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_catalogue.catalogue import default_catalogue
from motcua_runtime.officers import OFFICER_ROLES
from motcua_runtime.passwords import hash_password
from motcua_workspace.orm import Account
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
