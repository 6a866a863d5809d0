"""The token issuer's key pair on disk. The private half (`issuer.pem`, owner-only) stays with
whoever issues officers' and administrators' tokens (`motcua tokens`, an admin workstation, the
province's identity provider); services get only the public file (`issuer.pub`), so none of them
can mint an officer's or an administrator's token.

`issuer.pub` may hold several PEM public keys: rotation writes a new private key and puts its
public key first, keeping the previous one so tokens issued before the rotation still verify
until they expire. Each key is known by an id derived from its bytes (`kid` in the token's
header), so no list of ids has to be kept in step with the keys."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from motcua_runtime import private_pem

PRIVATE_FILE = "issuer.pem"
PUBLIC_FILE = "issuer.pub"
# Optional: encrypt the private key at rest (PKCS#8, the best encryption cryptography offers).
PASSPHRASE_ENV = "MOTCUA_TOKEN_ISSUER_PASSPHRASE"
_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


class IssuerKeyProblem(LookupError):
    """An issuer key that cannot be used; the message says what to do."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "issuer-" + hashlib.sha256(raw).hexdigest()[:16]


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key of an `issuer.pub` file by its id, newest first."""
    try:
        data = path.read_bytes()
    except OSError as error:  # missing, or a directory Docker made for a missing bind mount
        raise IssuerKeyProblem(f"cannot read the token issuer's public key {path}: "
                               f"{error.strerror or error}; run `motcua tokens init` and give "
                               "services its issuer.pub") from None
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PEM_BLOCK.findall(data):
        key = serialization.load_pem_public_key(block)
        if not isinstance(key, Ed25519PublicKey):
            raise IssuerKeyProblem(f"{path} holds a {type(key).__name__}; tokens are EdDSA "
                                   "(Ed25519) only")
        keys[key_id(key)] = key
    if not keys:
        raise IssuerKeyProblem(f"{path} holds no PEM public key (a placeholder?); run "
                               "`motcua tokens init` and give services its issuer.pub")
    return keys


def load_private_key(path: Path, passphrase: str | None = None) -> Ed25519PrivateKey:
    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    try:
        key = private_pem.read(path.read_bytes(), passphrase)
    except FileNotFoundError:
        raise IssuerKeyProblem(f"no token issuer key {path}: run `motcua tokens init` (or set "
                               "MOTCUA_TOKEN_ISSUER_PRIVATE_KEY)") from None
    except (TypeError, ValueError) as error:
        raise IssuerKeyProblem(f"cannot read {path}: {error} (is {PASSPHRASE_ENV} right?)") \
            from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IssuerKeyProblem(f"{path} is not an Ed25519 key")
    return key


def create(directory: Path, *, passphrase: str | None = None) -> tuple[Path, bool]:
    """The issuer key pair in `directory` if it has none; (private key path, created?)."""
    private = directory / PRIVATE_FILE
    if private.exists():
        load_private_key(private, passphrase)  # says now, not at the first token, if it is bad
        return private, False
    _write(directory, Ed25519PrivateKey.generate(), keep=[], passphrase=passphrase)
    return private, True


def rotate(directory: Path, *, passphrase: str | None = None) -> str:
    """A new issuer key; `issuer.pub` keeps the previous public key (tokens already issued stay
    valid until they expire). Returns the new key's id."""
    previous = load_private_key(directory / PRIVATE_FILE, passphrase).public_key()
    key = Ed25519PrivateKey.generate()
    _write(directory, key, keep=[previous], passphrase=passphrase)
    return key_id(key.public_key())


def _write(directory: Path, key: Ed25519PrivateKey, *, keep: list[Ed25519PublicKey],
           passphrase: str | None) -> None:
    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    public = b"".join(k.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)
                      for k in [key.public_key(), *keep])
    (directory / PUBLIC_FILE).write_bytes(public)
    private_pem.write(directory / PRIVATE_FILE, key, passphrase, replace=True)
