"""Officers' passwords (the workspace's sign-in and the operations centre's), hashed with
Argon2id (argon2-cffi, the parameters of RFC 9106's second recommended option as the library's
defaults): only the hash is stored. A sign-in for a name
that has no account still costs one verification, so the time a refusal takes does not say
whether the name exists."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a megabyte "password" would only cost us CPU


class WeakPassword(ValueError):
    pass


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _stand_in() -> str:
    """A hash of nothing anyone types, verified against when there is no account."""
    return _hasher().hash("no account has this password: it only spends the same time")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; `stored` None (no such account) is False
    after the same work."""
    try:
        return _hasher().verify(stored or _stand_in(), password[:MAX_LENGTH]) and \
            stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash at sign-in."""
    return _hasher().check_needs_rehash(stored)
