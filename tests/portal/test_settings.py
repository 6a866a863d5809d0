"""The portal sync's production configuration: the password from a file (a mounted secret) or
the environment, never both; https outside development; the portal's certificate verified,
against httpx's trust store or the bundle PORTAL_CA_FILE names, never not at all."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from motcua_portal.client import PortalClient, PortalUnavailable
from motcua_portal.settings import PortalSettings
from tests.portal.running import running_portal
from tests.portal.server import PASSWORD, UNIT, USERNAME
from tests.transport.certs import CertificateAuthority

BASE = {"DATABASE_URL": "postgresql+asyncpg://u:p@db/motcua", "PORTAL_UNIT_CODE": UNIT,
        "PORTAL_USERNAME": USERNAME}


def settings_from(monkeypatch: pytest.MonkeyPatch, **env: str) -> PortalSettings:
    for name, value in {**BASE, **env}.items():
        monkeypatch.setenv(name, value)
    return PortalSettings()


def test_the_password_comes_from_a_file_or_the_environment_never_both(monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret-from-file\n")
    settings = settings_from(monkeypatch, PORTAL_URL="https://portal.example",
                             PORTAL_PASSWORD_FILE=str(secret))
    assert settings.password is not None
    assert settings.password.get_secret_value() == "s3cret-from-file"
    assert "s3cret" not in repr(settings)
    with pytest.raises(ValidationError, match="not both"):
        settings_from(monkeypatch, PORTAL_URL="https://portal.example", PORTAL_PASSWORD="x")
    monkeypatch.delenv("PORTAL_PASSWORD")
    monkeypatch.delenv("PORTAL_PASSWORD_FILE")
    with pytest.raises(ValidationError, match="no portal password"):
        settings_from(monkeypatch, PORTAL_URL="https://portal.example")


def test_plain_http_is_refused_outside_development(monkeypatch):
    with pytest.raises(ValidationError, match="https:// outside development"):
        settings_from(monkeypatch, PORTAL_URL="http://portal.example", PORTAL_PASSWORD="x")
    assert settings_from(monkeypatch, PORTAL_URL="http://127.0.0.1:1", PORTAL_PASSWORD="x",
                         MOTCUA_ENV="development").url == "http://127.0.0.1:1"
    with pytest.raises(ValidationError, match="not an http"):
        settings_from(monkeypatch, PORTAL_URL="ftp://portal.example", PORTAL_PASSWORD="x")


async def test_the_portals_certificate_is_verified(monkeypatch, tmp_path, log_dir):
    ca = CertificateAuthority(tmp_path / "ca")
    server = ca.issue("portal")
    with running_portal(log_dir / "tls-portal.log", tls=(server.cert, server.key, ca.cert)) \
            as portal:
        unverified = PortalClient(settings_from(monkeypatch, PORTAL_URL=portal.url,
                                                PORTAL_PASSWORD=PASSWORD))
        try:
            with pytest.raises(PortalUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
                await unverified.call("TraCuuHoSo", mahoso="x")
        finally:
            await unverified.close()
        trusted = PortalClient(settings_from(monkeypatch, PORTAL_URL=portal.url,
                                             PORTAL_PASSWORD=PASSWORD,
                                             PORTAL_CA_FILE=str(ca.cert)))
        try:
            answer = await trusted.call("TraCuuHoSo", mahoso="000.00.15.H38-251124-0001")
        finally:
            await trusted.close()
    assert (answer.error_code, answer.message) == ("-1", "Không có hồ sơ "
                                                         "000.00.15.H38-251124-0001")
