"""Where `motcua up` and `motcua migrate` take the services' database passwords from."""

from __future__ import annotations

import stat

import pytest

from motcua_cli.db_roles import PASSWORDS_FILE, data_dir_passwords, environment_passwords
from motcua_runtime.roles import AUDITOR, SERVICES

URL = "postgresql+asyncpg://motcua_{0}:secret-{0}@db.example:5432/motcua"


def test_the_data_folder_keeps_one_password_per_role_owner_only(tmp_path):
    first = data_dir_passwords(tmp_path)
    assert set(first) == {*SERVICES, AUDITOR}
    assert len(set(first.values())) == len(first) and all(len(p) >= 32 for p in first.values())
    assert stat.S_IMODE((tmp_path / PASSWORDS_FILE).stat().st_mode) == 0o600
    assert data_dir_passwords(tmp_path) == first  # a restart logs in with the same ones


def test_migrate_takes_each_password_from_the_url_its_service_gets():
    environ = {f"{s.upper()}_DATABASE_URL": URL.format(s) for s in SERVICES}
    assert environment_passwords(environ) == {s: f"secret-{s}" for s in SERVICES}
    assert environment_passwords({}) is None


@pytest.mark.parametrize(("change", "complaint"), [
    ({"AUDIT_DATABASE_URL": ""}, "AUDIT_DATABASE_URL missing"),
    ({"AUDIT_DATABASE_URL": URL.format("intake")}, "must log in as motcua_audit"),
    ({"AUDIT_DATABASE_URL": "postgresql+asyncpg://motcua_audit@db/motcua"}, "with a password"),
])
def test_migrate_refuses_an_incomplete_or_crossed_set_of_urls(change, complaint):
    environ = {f"{s.upper()}_DATABASE_URL": URL.format(s) for s in SERVICES} | change
    with pytest.raises(SystemExit, match=complaint):
        environment_passwords(environ)
