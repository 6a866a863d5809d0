"""`motcua officer add`: an account in the workspace schema of the stack's database, its
password read from a file and kept only as an Argon2id hash; a bad agency, role, name or
password, and a name taken already, are refused with a message and store nothing.
`motcua officer change`: its roles and full name changed; disabled, it cannot sign in to the
workspace (its sessions ended); enabled, it can again; a new password read from stdin (never
from the command line) by the rules of creation, its sessions of the workspace and of the
wallboard ended, the old password refused; a bad change changes nothing."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.main import main
from motcua_operations.signin import DEFAULT_LIMITS, StaffSessions
from motcua_runtime.db import create_engine
from motcua_runtime.passwords import verify_password
from motcua_workspace.orm import Account, Session
from tests.workspace.test_pages import sign_in, workspace

PASSWORD = "Mật-khẩu-đủ-dài-2026"


@pytest.fixture(scope="module")
def database_url(infra):
    url, _ = asyncio.run(infra.isolated("officer_add"))
    return url


def accounts(database_url: str) -> list[Account]:
    async def read() -> list[Account]:
        engine = create_engine(database_url)
        try:
            async with async_sessionmaker(engine)() as db:
                return list(await db.scalars(select(Account).order_by(Account.user_name)))
        finally:
            await engine.dispose()
    return asyncio.run(read())


def add(tmp_path, *arguments: str, password: str = PASSWORD) -> None:
    secret = tmp_path / "password"
    secret.write_text(password + "\n")
    main(["--data-dir", str(tmp_path / "data"), "officer", "add", *arguments,
          "--password-file", str(secret)])


def test_an_account_is_created_with_its_roles_and_only_a_hash(database_url, tmp_path,
                                                              monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    add(tmp_path, "--agency", "STP", "--role", "appraisal", "--role", "approval",
        "--name", "an", "--full-name", "Nguyễn Văn An")
    assert "account an (STP: appraisal, approval) created" in capsys.readouterr().out
    (account,) = [a for a in accounts(database_url) if a.user_name == "an"]
    assert (account.agency, account.roles, account.full_name, account.active) == (
        "STP", ["appraisal", "approval"], "Nguyễn Văn An", True)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert verify_password(account.password_hash, PASSWORD)  # the file's newline is not in it


@pytest.mark.parametrize(("arguments", "password", "message"), [
    (("--agency", "KHONGCO", "--role", "appraisal", "--name", "b"), PASSWORD, "no agency"),
    (("--agency", "STP", "--role", "appraisal", "--name", "Ba Dau"), PASSWORD, "user name"),
    (("--agency", "STP", "--role", "appraisal", "--name", "ba"), "ngan", "at least 10"),
])
def test_a_bad_account_is_refused_with_a_message(database_url, tmp_path, monkeypatch,
                                                 arguments, password, message):
    monkeypatch.setenv("DATABASE_URL", database_url)
    before = len(accounts(database_url))
    with pytest.raises(SystemExit, match=message):
        add(tmp_path, *arguments, password=password)
    assert len(accounts(database_url)) == before


def test_a_name_taken_already_is_refused(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    add(tmp_path, "--agency", "SXD", "--role", "delivery", "--name", "mot.cua")
    with pytest.raises(SystemExit, match="exists already"):
        add(tmp_path, "--agency", "STP", "--role", "appraisal", "--name", "mot.cua")
    assert [a.agency for a in accounts(database_url) if a.user_name == "mot.cua"] == ["SXD"]


def test_without_a_database_it_says_to_start_the_stack(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit, match="motcua up"):
        add(tmp_path, "--agency", "STP", "--role", "appraisal", "--name", "an")


def change(*arguments: str) -> None:
    main(["officer", "change", *arguments])


def signed_in(database_url: str, name: str, password: str = PASSWORD) -> int:
    """The status of a sign-in at the workspace (303: signed in; 401: refused)."""
    async def attempt() -> int:
        engine = create_engine(database_url)
        try:
            async with workspace(async_sessionmaker(engine, expire_on_commit=False)) as client:
                return (await sign_in(client, name, password)).status_code
        finally:
            await engine.dispose()
    return asyncio.run(attempt())


def test_an_account_is_changed_disabled_and_enabled_again(database_url, tmp_path, monkeypatch,
                                                          capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    add(tmp_path, "--agency", "STP", "--role", "appraisal", "--name", "binh")
    assert signed_in(database_url, "binh") == 303

    change("--name", "binh", "--role", "approval", "--role", "manager",
           "--full-name", "Lê Thị Bình")
    (account,) = [a for a in accounts(database_url) if a.user_name == "binh"]
    assert (account.roles, account.full_name, account.active) == (
        ["approval", "manager"], "Lê Thị Bình", True)

    change("--name", "binh", "--disable")
    assert "disabled (cannot sign in)" in capsys.readouterr().out
    assert signed_in(database_url, "binh") == 401  # the right password, refused

    async def sessions_of_binh() -> int:
        engine = create_engine(database_url)
        try:
            async with async_sessionmaker(engine)() as db:
                return len((await db.scalars(select(Session).join(Account).where(
                    Account.user_name == "binh"))).all())
        finally:
            await engine.dispose()
    assert asyncio.run(sessions_of_binh()) == 0  # the earlier sign-in's session ended
    change("--name", "binh", "--enable")
    assert signed_in(database_url, "binh") == 303


@pytest.mark.parametrize(("arguments", "message"), [
    (("--name", "khong.co", "--disable"), "no account 'khong.co'"),
    (("--name", "an",), "nothing to change"),
    (("--name", "an", "--full-name", " "), "full name"),
])
def test_a_bad_change_is_refused_and_changes_nothing(database_url, tmp_path, monkeypatch,
                                                     arguments, message):
    monkeypatch.setenv("DATABASE_URL", database_url)
    if not [a for a in accounts(database_url) if a.user_name == "an"]:
        add(tmp_path, "--agency", "STP", "--role", "appraisal", "--name", "an")
    before = [(a.user_name, a.roles, a.full_name, a.active) for a in accounts(database_url)]
    with pytest.raises(SystemExit, match=message):
        change(*arguments)
    assert [(a.user_name, a.roles, a.full_name, a.active)
            for a in accounts(database_url)] == before


def on_wallboard(database_url: str, do):
    """`do(StaffSessions)` on the operations centre's sessions of the database."""
    async def run():
        engine = create_engine(database_url)
        try:
            return await do(StaffSessions(async_sessionmaker(engine, expire_on_commit=False),
                                          DEFAULT_LIMITS))
        finally:
            await engine.dispose()
    return asyncio.run(run())


def workspace_sessions(database_url: str, name: str) -> int:
    async def count() -> int:
        engine = create_engine(database_url)
        try:
            async with async_sessionmaker(engine)() as db:
                return len((await db.scalars(select(Session).join(Account).where(
                    Account.user_name == name))).all())
        finally:
            await engine.dispose()
    return asyncio.run(count())


NEW_PASSWORD = "Mật khẩu mới đủ dài 2027"


def test_a_new_password_from_stdin_ends_the_sessions_and_the_old_one_is_refused(
        database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    add(tmp_path, "--agency", "STP", "--role", "appraisal", "--role", "operations",
        "--name", "chi")
    assert signed_in(database_url, "chi") == 303
    now = datetime.now(timezone.utc)
    wall = on_wallboard(database_url, lambda staff: staff.sign_in("chi", PASSWORD, now))
    assert wall and workspace_sessions(database_url, "chi") == 1
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    change("--name", "chi", "--password")
    out = capsys.readouterr().out
    assert "password changed" in out and "1 of the wallboard's" in out
    assert NEW_PASSWORD not in out
    (account,) = [a for a in accounts(database_url) if a.user_name == "chi"]
    assert verify_password(account.password_hash, NEW_PASSWORD)  # stdin's newline not in it
    assert not verify_password(account.password_hash, PASSWORD)
    assert (account.roles, account.active) == (["appraisal", "operations"], True)
    # Every browser signed in before has to sign in again: the workspace's, the wallboard's.
    assert workspace_sessions(database_url, "chi") == 0
    assert on_wallboard(database_url, lambda staff: staff.find(wall, now)) is None
    assert signed_in(database_url, "chi") == 401
    assert signed_in(database_url, "chi", NEW_PASSWORD) == 303


@pytest.mark.parametrize(("stdin", "message"), [
    ("ngắn\n", "at least"), ("", "stdin is empty")])
def test_a_bad_new_password_is_refused_and_changes_nothing(database_url, tmp_path,
                                                           monkeypatch, stdin, message):
    monkeypatch.setenv("DATABASE_URL", database_url)
    if not [a for a in accounts(database_url) if a.user_name == "dung"]:
        add(tmp_path, "--agency", "STP", "--role", "appraisal", "--name", "dung")
    assert signed_in(database_url, "dung") == 303
    before = [(a.user_name, a.password_hash) for a in accounts(database_url)]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit, match=message):
        change("--name", "dung", "--password")
    assert [(a.user_name, a.password_hash) for a in accounts(database_url)] == before
    assert workspace_sessions(database_url, "dung") >= 1  # nobody signed out


def test_the_password_is_never_taken_from_the_command_line(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as refused:
        change("--name", "an", "--password", NEW_PASSWORD)
    assert refused.value.code == 2  # argparse: an unrecognised argument, nothing read
