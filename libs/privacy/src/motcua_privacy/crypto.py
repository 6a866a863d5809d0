"""The pure part of crypto-shredding: data keys, sealing and opening values, wrapping data keys
under the master key. No I/O; the key store (store.py) and the master key (master.py) are the
edges.

- A dossier's data key: 256 random bits, made once when intake files the dossier.
- A value: AES-256-GCM under the data key, a fresh 96-bit nonce, the dossier id as associated
  data (a ciphertext moved to another dossier does not open).
- A data key at rest: AES-256-GCM under the master key, associated data `motcua-data-key:` and
  the dossier id; stored as nonce || ciphertext || tag."""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from motcua_contracts.sealed import AES_GCM, CLEAR, Sealed

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_CONTEXT = b"motcua-data-key:"


class PrivacyProblem(LookupError):
    """A value that cannot be opened, or a key that cannot be used; the message says why."""


class PersonalDataErased(PrivacyProblem):
    """The dossier's data key was erased: its personal data is gone for good."""

    def __init__(self, dossier_id: uuid.UUID | str, erased_at: Any = None) -> None:
        self.dossier_id, self.erased_at = str(dossier_id), erased_at
        when = f" on {erased_at:%Y-%m-%d}" if erased_at is not None else ""
        super().__init__(f"personal data of dossier {dossier_id} erased{when}")


class UnknownKey(PrivacyProblem):
    """No data key for the dossier in the key store."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(dossier_id: uuid.UUID) -> bytes:
    return str(dossier_id).encode()


def seal_bytes(data_key: bytes, dossier_id: uuid.UUID, plaintext: bytes) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _aad(dossier_id))
    return Sealed(alg=AES_GCM, key_id=str(dossier_id), nonce=base64.b64encode(nonce).decode(),
                  ciphertext=base64.b64encode(ciphertext).decode())


def seal_json(data_key: bytes, dossier_id: uuid.UUID, value: Any) -> Sealed:
    """`value` (JSON-able) as UTF-8 JSON, sealed."""
    plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return seal_bytes(data_key, dossier_id, plaintext)


def open_bytes(data_key: bytes, dossier_id: uuid.UUID, sealed: Sealed) -> bytes:
    if sealed.alg == CLEAR:
        return base64.b64decode(sealed.ciphertext)
    if sealed.key_id != str(dossier_id):
        raise PrivacyProblem(f"sealed under the key of {sealed.key_id}, not of dossier "
                             f"{dossier_id}")
    try:
        return AESGCM(data_key).decrypt(base64.b64decode(sealed.nonce),
                                        base64.b64decode(sealed.ciphertext), _aad(dossier_id))
    except (InvalidTag, ValueError):
        raise PrivacyProblem(f"a sealed value of dossier {dossier_id} does not open with its "
                             "key (altered, or sealed under another key)") from None


def open_json(data_key: bytes, dossier_id: uuid.UUID, sealed: Sealed) -> Any:
    return json.loads(open_bytes(data_key, dossier_id, sealed))


# A file sealed whole (a result PDF that prints the applicant's name): this prefix, the nonce,
# then the ciphertext and tag, under the dossier's data key with its id as associated data.
BLOB_PREFIX = b"motcua-sealed-1:"


def seal_blob(data_key: bytes, dossier_id: uuid.UUID, content: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return BLOB_PREFIX + nonce + AESGCM(data_key).encrypt(nonce, content, _aad(dossier_id))


def is_sealed_blob(content: bytes) -> bool:
    return content.startswith(BLOB_PREFIX)


def open_blob(data_key: bytes, dossier_id: uuid.UUID, blob: bytes) -> bytes:
    body = blob[len(BLOB_PREFIX):]
    try:
        return AESGCM(data_key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(dossier_id))
    except (InvalidTag, ValueError):
        raise PrivacyProblem(f"a sealed file of dossier {dossier_id} does not open with its "
                             "key") from None


def wrap(master_key: bytes, dossier_id: uuid.UUID, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, _WRAP_CONTEXT + _aad(dossier_id))


def unwrap(master_key: bytes, dossier_id: uuid.UUID, wrapped: bytes) -> bytes:
    try:
        return AESGCM(master_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                          _WRAP_CONTEXT + _aad(dossier_id))
    except (InvalidTag, ValueError):
        raise PrivacyProblem(f"the data key of dossier {dossier_id} does not unwrap: the master "
                             "key (MOTCUA_PRIVACY_MASTER_KEY) is not the one it was wrapped "
                             "with") from None
