"""Officers' passwords: Argon2id hashes, never the password; a name without an account is
refused after the same work; short passwords are refused with a message."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from motcua_runtime.passwords import (
    MIN_LENGTH,
    WeakPassword,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_a_password_is_stored_as_an_argon2id_hash_that_verifies_only_itself():
    stored = hash_password("mật khẩu đủ dài 2026")
    assert stored.startswith("$argon2id$") and "mật khẩu" not in stored
    assert verify_password(stored, "mật khẩu đủ dài 2026")
    assert not verify_password(stored, "mật khẩu đủ dài 2025")
    assert hash_password("mật khẩu đủ dài 2026") != stored  # a new salt each time


def test_no_account_and_a_damaged_hash_never_verify():
    assert not verify_password(None, "any password at all")
    assert not verify_password("not a hash", "any password at all")


def test_a_short_password_is_refused_with_the_minimum():
    with pytest.raises(WeakPassword, match=str(MIN_LENGTH)):
        hash_password("ngan")


def test_a_hash_made_with_weaker_parameters_asks_to_be_rehashed():
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash("mật khẩu đủ dài 2026")
    assert verify_password(weak, "mật khẩu đủ dài 2026")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("mật khẩu đủ dài 2026"))
