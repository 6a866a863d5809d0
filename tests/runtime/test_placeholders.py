"""Placeholder secrets (motcua_runtime.placeholders): outside development a service refuses to
start with one, or without the token issuer's key, and says which variable without its value;
`motcua up` (development) accepts them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from motcua_cli.main import main
from motcua_intake.settings import IntakeSettings
from motcua_runtime.placeholders import environment_problems, refuse_placeholders
from tests.officer_tokens import issuer_public_key_file

PLACEHOLDER_URL = "postgresql+asyncpg://motcua_intake:dev-only-intake@127.0.0.1:9/motcua"
REAL_URL = "postgresql+asyncpg://motcua_intake:Zq4u7fA2kP@127.0.0.1:9/motcua"


def settings(**environ: str) -> IntakeSettings:
    return IntakeSettings(_env_file=None, **{"database_url": REAL_URL, **environ})


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", PLACEHOLDER_URL),
    ("MOTCUA_PKI_PASSPHRASE", "motcua-dev-only-not-a-secret"),
    ("SMTP_PASSWORD", "please-change-me-now"),
    ("MOTCUA_TOKEN_SECRET", "dev-only-change-me"),
])
def test_a_published_placeholder_is_named_never_shown(name, value):
    for mode in ({}, {"MOTCUA_ENV": "production"}, {"MOTCUA_ENV": "staging"}):
        problems = environment_problems({name: value, "LOG_LEVEL": "INFO", **mode})
        assert len(problems) == 1 and problems[0].startswith(name)
        assert value not in problems[0] and "dev-only-intake" not in problems[0]
    assert environment_problems({name: value, "MOTCUA_ENV": "development"}) == []


def test_the_retired_shared_secret_is_refused_whatever_its_value():
    problems = environment_problems({"MOTCUA_TOKEN_SECRET": "Zq4u7fA2kP-long-and-random"})
    assert problems and "no longer read" in problems[0] and "Zq4u" not in problems[0]


def test_an_http_service_without_the_issuer_key_refuses_to_start_outside_development():
    with pytest.raises(SystemExit, match="no MOTCUA_TOKEN_ISSUER_PUBLIC_KEY"):
        refuse_placeholders(settings(), {}, serves_http=True)
    refuse_placeholders(settings(), {}, serves_http=False)  # the archive: no HTTP API
    refuse_placeholders(settings(environment="development"), {"MOTCUA_ENV": "development"},
                        serves_http=True)  # every officer gets 401, as before
    refuse_placeholders(settings(token_issuer_public_key=issuer_public_key_file()), {},
                        serves_http=True)


def test_a_placeholder_issuer_key_is_refused_even_in_development(tmp_path):
    placeholder = tmp_path / "issuer.pub"
    placeholder.write_text("dev-only-change-me")
    with pytest.raises(SystemExit, match="holds no PEM public key"):
        refuse_placeholders(settings(environment="development",
                                     token_issuer_public_key=placeholder),
                            {"MOTCUA_ENV": "development"}, serves_http=True)


def test_intake_started_with_compose_defaults_in_production_exits_before_connecting():
    environ = {"PATH": os.environ["PATH"], "DATABASE_URL": PLACEHOLDER_URL,
               "MOTCUA_PKI_PASSPHRASE": "motcua-dev-only-not-a-secret",
               "MOTCUA_TOKEN_SECRET": "dev-only-change-me", "MOTCUA_ENV": "production"}
    started = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "motcua_intake"], env=environ,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode != 0
    err = process.stderr
    assert "refusing to start (MOTCUA_ENV=production)" in err, err
    for name in ("DATABASE_URL", "MOTCUA_PKI_PASSPHRASE", "MOTCUA_TOKEN_SECRET",
                 "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY"):
        assert name in err
    assert "dev-only-intake" not in err
    assert time.monotonic() - started < 60  # no connection attempt, no retry loop


def test_migrate_refuses_to_set_placeholder_passwords(monkeypatch, tmp_path):
    monkeypatch.delenv("MOTCUA_ENV", raising=False)
    monkeypatch.setenv("INTAKE_DATABASE_URL", PLACEHOLDER_URL)
    with pytest.raises(SystemExit, match="(?s)refusing to migrate.*INTAKE_DATABASE_URL holds"):
        main(["--data-dir", str(tmp_path), "migrate"])
