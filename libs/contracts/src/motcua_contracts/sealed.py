"""Personal data on the topic: a value sealed under its dossier's data key (crypto-shredding).

The fields that identify a person (the applicant, the postal address, who received the result)
travel as `Sealed`: AES-256-GCM ciphertext under a data key of that dossier, with the dossier id
as associated data. The keys live in a key store outside the log (motcua_privacy); destroying a
dossier's key leaves every copy of the ciphertext, on the topic, in the archive and in every
read model, unreadable. Hashes and signatures cover the ciphertext, so the replay verifies every
event without any key.

The plaintext is UTF-8 JSON: the Applicant object, or a string. Schema version 1 of the events
carried those values in clear; they are read as `Sealed` with `alg` "none" (the upcaster below),
so the log written before stays readable, and `motcua privacy erase` says they cannot be erased.
This module imports pydantic and the standard library only: the crypto is in motcua_privacy."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

AES_GCM: Final = "A256GCM"
CLEAR: Final = "none"  # a value written in clear by schema version 1, read as it was


class Sealed(BaseModel):
    """A personal value, encrypted under its dossier's data key (AES-256-GCM, the dossier id as
    associated data). Unreadable once the dossier's key is erased."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    alg: Literal["A256GCM", "none"] = Field(
        default=AES_GCM, description="`A256GCM`; `none` only for a value an event of schema "
                                     "version 1 carried in clear.")
    key_id: str = Field(description="The data key: the dossier's id, in the key store.")
    nonce: str = Field(default="", max_length=32,
                       description="AES-GCM nonce (96 bits), base64; empty for `none`.")
    ciphertext: str = Field(max_length=8192,
                            description="Ciphertext and tag (base64) of the value as UTF-8 JSON.")

    @classmethod
    def clear(cls, key_id: str, value: Any) -> Sealed:
        """A schema-version-1 value in clear, as a `Sealed` with `alg` none (the upcaster)."""
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(alg=CLEAR, key_id=key_id, ciphertext=base64.b64encode(plaintext).decode())


def _legacy(value: Any) -> Any:
    """Read a value of schema version 1 (a clear string or Applicant object) as `Sealed`."""
    if isinstance(value, str) or (isinstance(value, dict) and "ciphertext" not in value):
        return Sealed.clear("", value)
    return value


# A sealed field: a clear value of schema version 1 is read as Sealed(alg="none").
SealedField = Annotated[Sealed, BeforeValidator(_legacy)]

# The schema version of every event type that carries a sealed field: 2 (version 1 carried the
# same values in clear, read by the upcaster above).
SEALED_SCHEMA_VERSION = 2


def sealed_schema_version() -> Any:
    """The `schema_version` field of an event type that carries personal data sealed."""
    return Field(default=SEALED_SCHEMA_VERSION, ge=1,
                 description="Version of this type's schema (2: personal data sealed).")


def clear_values(model: BaseModel, where: str = "") -> list[str]:
    """Where `model` holds a `Sealed` of alg none (a clear value): allowed only in events of
    schema version 1, which the upcaster reads that way."""
    found = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{where}{name}"
        if isinstance(value, Sealed):
            if value.alg == CLEAR:
                found.append(path)
        elif isinstance(value, BaseModel):
            found.extend(clear_values(value, path + "."))
    return found
