"""Tokens for tests, made as production makes them: one token issuer for the session (its public
key given to in-process apps and, as a file, to child processes), service tokens signed with the
session's instance keys (MOTCUA_KEYS_DIR)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from motcua_runtime.keys import load_registry
from motcua_runtime.officers import Officer, OfficerDependency, officer_from_bearer
from motcua_runtime.tokens import IssuerKey, TokenVerifier

ISSUER = IssuerKey.generate()


def officer_token(officer: Officer, *, issuer: IssuerKey = ISSUER,
                  valid_for: timedelta = timedelta(hours=12),
                  now: datetime | None = None) -> str:
    return issuer.issue(officer, valid_for=valid_for, now=now)


def bearer(agency: str, role: str, name: str = "can.bo") -> dict[str, str]:
    return {"Authorization": f"Bearer {officer_token(Officer(name, agency, role))}"}


def verifier(audience: str = "intake") -> TokenVerifier:
    """What `audience` accepts: the session's issuer, and the session's instance keys."""
    return TokenVerifier(audience, issuer_keys=ISSUER.public_keys,
                         registry=load_registry(Path(os.environ["MOTCUA_KEYS_DIR"])))


def current_officer(audience: str = "intake") -> OfficerDependency:
    return officer_from_bearer(verifier(audience))


@cache
def issuer_public_key_file() -> Path:
    """The session issuer's `issuer.pub`, for services run as child processes."""
    directory = Path(tempfile.mkdtemp(prefix="motcua-test-issuer-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "issuer.pub"
    path.write_bytes(ISSUER.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


@cache
def issuer_private_key_file() -> Path:
    """The session issuer's private key as a PEM file (MOTCUA_TOKEN_ISSUER_PRIVATE_KEY), for a
    command that mints its own token (`motcua report`, `motcua access-log`) on a test stack."""
    directory = Path(tempfile.mkdtemp(prefix="motcua-test-issuer-key-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "issuer.pem"
    path.write_bytes(ISSUER.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path
