"""Private keys on disk: PKCS#8 PEM, owner-only from the first byte, encrypted under a passphrase
(the best encryption cryptography offers). Shared by the event-signing keys (motcua_runtime.keys)
and the token issuer's key (motcua_runtime.issuer_keys); each says in its own words, naming its
own variables, what went wrong."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_ENCRYPTED_HEADER = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def is_encrypted(data: bytes) -> bool:
    return _ENCRYPTED_HEADER in data


def write(path: Path, key: PrivateKeyTypes, passphrase: str | None, *,
          replace: bool = False) -> None:
    """Write `key` to `path`, encrypted if `passphrase` is given. A temporary file created 0600
    is moved into place in one step, so no reader sees half a key and no key is ever readable
    by others; without `replace` an existing key is never overwritten (FileExistsError)."""
    if not replace and path.exists():
        raise FileExistsError(path)
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8, encryption))
    temporary.replace(path)


def read(data: bytes, passphrase: str | None) -> PrivateKeyTypes:
    """The key in PEM `data`. The passphrase is used only if the key is encrypted (cryptography
    refuses one for a plain key). Raises ValueError for a wrong passphrase or bad PEM and
    TypeError for an encrypted key without one."""
    password = passphrase.encode() if passphrase and is_encrypted(data) else None
    return serialization.load_pem_private_key(data, password=password)
