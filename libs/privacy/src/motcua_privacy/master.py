"""The master key that wraps every dossier's data key: from MOTCUA_PRIVACY_MASTER_KEY or the
file named by MOTCUA_PRIVACY_MASTER_KEY_FILE (a mounted secret), as the event keys' passphrase
comes (motcua_runtime.keys). Both set is refused. The value is 32 bytes in base64 (`motcua
privacy master-key` prints a new one); the published development value DEV_MASTER_KEY is
accepted only with MOTCUA_ENV=development (`motcua up` sets it), and refused elsewhere by this
module and by motcua_runtime.placeholders."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from motcua_privacy.crypto import KEY_BYTES, PrivacyProblem
from motcua_runtime.placeholders import MARKERS, development

MASTER_KEY_ENV = "MOTCUA_PRIVACY_MASTER_KEY"
MASTER_KEY_FILE_ENV = "MOTCUA_PRIVACY_MASTER_KEY_FILE"
# Published in this repository: a laptop's default, never a secret.
DEV_MASTER_KEY = "dev-only-motcua-privacy-master-key"
_SET = f"set {MASTER_KEY_ENV} or {MASTER_KEY_FILE_ENV} (`motcua privacy master-key` makes one)"


def generate_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def master_key_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """The master key's 32 bytes, or PrivacyProblem saying what to set. Messages name the
    variable, never the value."""
    environ = os.environ if environ is None else environ
    value, file = environ.get(MASTER_KEY_ENV, ""), environ.get(MASTER_KEY_FILE_ENV, "")
    if value and file:
        raise PrivacyProblem(f"both {MASTER_KEY_ENV} and {MASTER_KEY_FILE_ENV} are set: set one")
    source = MASTER_KEY_ENV
    if file:
        source = f"{MASTER_KEY_FILE_ENV}={file}"
        try:
            value = Path(file).read_text().strip()
        except OSError as error:
            raise PrivacyProblem(f"{source}: cannot read it ({error.strerror or error})") from None
        if not value:
            raise PrivacyProblem(f"{source} is empty")
    value = value.strip()
    if not value:
        raise PrivacyProblem(f"no master key for personal data: {_SET}")
    if any(marker in value.lower() for marker in MARKERS):
        if value != DEV_MASTER_KEY or not development(environ):
            raise PrivacyProblem(f"{source} holds a published placeholder: outside "
                                 f"MOTCUA_ENV=development {_SET} to a real key")
        return hashlib.sha256(DEV_MASTER_KEY.encode()).digest()
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise PrivacyProblem(f"{source} is not {KEY_BYTES} bytes in base64: {_SET}")
    return key


@functools.cache
def master_key() -> bytes:
    """This process's master key, read from its environment once, at first use (a service
    reads it at start so a missing one stops it there)."""
    return master_key_from_env()


def require_master_key() -> bytes:
    """The master key at a service's start, or SystemExit saying what to set."""
    try:
        return master_key()
    except PrivacyProblem as problem:
        raise SystemExit(f"refusing to start: {problem}") from None
