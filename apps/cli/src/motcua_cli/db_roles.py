"""Where the services' database passwords come from (the data folder on the embedded default,
`<SERVICE>_DATABASE_URL` in production's migration job), and the embedded server's pg_hba.conf,
which makes those passwords actually required."""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Mapping
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from motcua_runtime.roles import (
    AUDITOR,
    SERVICES,
    ensure_service_roles,
    generate_passwords,
    login_role,
)

PASSWORDS_FILE = "database-passwords.json"


def data_dir_passwords(data_dir: Path) -> dict[str, str]:
    """The services' passwords, made once and kept owner-only in the data folder (like the token
    secret), so restarts and `motcua migrate` agree with the running services."""
    path = data_dir / PASSWORDS_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(generate_passwords(), indent=2))
    passwords = json.loads(path.read_text())
    fresh = generate_passwords()
    if set(fresh) - set(passwords):  # a role added since the file was written
        passwords = fresh | passwords
        path.write_text(json.dumps(passwords, indent=2))
    return passwords


def environment_passwords(environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """Passwords from the URLs production hands each service (`INTAKE_DATABASE_URL`, ...,
    `AUDITOR_DATABASE_URL` optional), so the secret a service gets and the password its role has
    cannot drift apart. None when none is set; an error when some are missing or name another
    role."""
    names = [*SERVICES, AUDITOR]
    given = {name: environ[f"{name.upper()}_DATABASE_URL"] for name in names
             if environ.get(f"{name.upper()}_DATABASE_URL")}
    if not given:
        return None
    missing = [f"{name.upper()}_DATABASE_URL" for name in SERVICES if name not in given]
    if missing:
        raise SystemExit(f"set every service's database URL: {', '.join(missing)} missing")
    passwords = {}
    for name, value in given.items():
        url = make_url(value)
        if url.username != login_role(name) or not url.password:
            raise SystemExit(f"{name.upper()}_DATABASE_URL must log in as {login_role(name)} "
                             "with a password")
        passwords[name] = url.password
    return passwords


def ensure_roles(admin_url: str, data_dir: Path) -> dict[str, str]:
    """`motcua migrate`'s and `motcua up`'s step after the migrations: each service's URL."""
    return ensure_service_roles(admin_url,
                                environment_passwords() or data_dir_passwords(data_dir))


HBA = """\
# Written by motcua (motcua_cli.db_roles): the superuser only for the OS user that runs
# `motcua up` (peer, map below in pg_ident.conf); every other role with its SCRAM password.
local   all   postgres   peer map=motcua_admin
local   all   all        scram-sha-256
"""


async def require_passwords(data_dir: Path, admin_url: str) -> bool:
    """Replace the embedded server's trust-everyone pg_hba.conf (initdb --auth=trust, on a socket
    folder any local user may reach) and reload it; whether it changed anything."""
    hba = data_dir / "pg_hba.conf"
    users = sorted({pwd.getpwuid(os.geteuid()).pw_name, "postgres"})
    ident = "".join(f"motcua_admin   {user}   postgres\n" for user in users)
    if hba.read_text() == HBA and (data_dir / "pg_ident.conf").read_text().endswith(ident):
        return False
    # Ownership stays the server's: the files are rewritten in place.
    with (data_dir / "pg_ident.conf").open("w") as file:
        file.write("# Written by motcua: OS users that may be the superuser `postgres`.\n" + ident)
    with hba.open("w") as file:
        file.write(HBA)
    url = make_url(admin_url)
    connection = await asyncpg.connect(user=url.username, database=url.database,
                                       host=url.query.get("host") or url.host, port=url.port)
    try:
        await connection.execute("SELECT pg_reload_conf()")
        problems = await connection.fetch("SELECT line_number, error FROM pg_hba_file_rules "
                                          "WHERE error IS NOT NULL")
    finally:
        await connection.close()
    if problems:
        raise RuntimeError(f"pg_hba.conf refused: {[tuple(p) for p in problems]}")
    return True
