"""Personal data on the topic: a value sealed under its dossier's data key (crypto-shredding).

The fields that identify a person (the applicant, the postal address, who received the result)
travel as `Sealed`: AES-256-GCM ciphertext under a data key of that dossier, with the dossier id
as associated data. The keys live in a key store outside the log (motcua_privacy); destroying a
dossier's key leaves every copy of the ciphertext, on the topic, in the archive and in every
read model, unreadable. Hashes and signatures cover the ciphertext, so the replay verifies every
event without any key.

The plaintext is UTF-8 JSON: the Applicant object, a string, or the procedure's form data (an
object). Each sealed field says from which schema version of its event type it is sealed
(`SealedSince`): version 2 sealed the applicant, the postal address, who received the result and
the applicant's withdrawal reason; version 3 sealed the form data (`data`). An event older than
that carried the value in clear; it is read as `Sealed` with `alg` "none" (the upcaster below),
so the log written before stays readable, and `motcua privacy erase` says such values cannot be
erased. This module imports pydantic and the standard library only: the crypto is in
motcua_privacy."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

AES_GCM: Final = "A256GCM"
CLEAR: Final = "none"  # a value written in clear by schema version 1, read as it was
# The largest sealed value: the form data, at most 64 KiB as UTF-8 JSON (motcua_contracts.intake
# MAX_DATA_BYTES), with its 16-byte tag, in base64.
MAX_CIPHERTEXT: Final = 4 * -(-(64 * 1024 + 16) // 3)


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
    ciphertext: str = Field(max_length=MAX_CIPHERTEXT,
                            description="Ciphertext and tag (base64) of the value as UTF-8 JSON.")

    @classmethod
    def clear(cls, key_id: str, value: Any) -> Sealed:
        """A schema-version-1 value in clear, as a `Sealed` with `alg` none (the upcaster)."""
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(alg=CLEAR, key_id=key_id, ciphertext=base64.b64encode(plaintext).decode())


def _legacy(value: Any) -> Any:
    """Read a value written in clear (a string, an Applicant object, the form data) as `Sealed`."""
    if isinstance(value, str) or (isinstance(value, dict) and "ciphertext" not in value):
        return Sealed.clear("", value)
    return value


@dataclass(frozen=True)
class SealedSince:
    """The schema version of the event type from which a field travels sealed: before it, the
    field carried its value in clear (read as `alg` none); from it, a clear value is refused."""

    version: int


# A sealed field: a clear value of an older schema version is read as Sealed(alg="none").
SealedField = Annotated[Sealed, BeforeValidator(_legacy), SealedSince(2)]
# The procedure's form data, sealed from schema version 3 of the types that carry it.
SealedData = Annotated[Sealed, BeforeValidator(_legacy), SealedSince(3)]

# The first schema version that sealed personal data (2: the applicant, the address, ...) and
# the one that sealed the form data (3) too.
SEALED_SCHEMA_VERSION = 2
DATA_SEALED_SCHEMA_VERSION = 3


def sealed_schema_version(version: int = SEALED_SCHEMA_VERSION) -> Any:
    """The `schema_version` field of an event type that carries personal data sealed."""
    meaning = {2: "personal data sealed", 3: "personal data and form data sealed"}[version]
    return Field(default=version, ge=1,
                 description=f"Version of this type's schema ({version}: {meaning}).")


def filled_fields(data: Any) -> list[str]:
    """The names of the form fields given a value (not null, empty text or an empty list): what
    appraisal's automatic rule checks, the values themselves being sealed."""
    if not isinstance(data, dict):
        return []
    return sorted(str(name) for name, value in data.items() if value not in (None, "", []))


def _sealed_since(annotations: list[Any]) -> int:
    """The `SealedSince` of a field, looked for inside `X | None` and `Annotated[...]` too."""
    while annotations:
        item = annotations.pop()
        if isinstance(item, SealedSince):
            return item.version
        annotations.extend(get_args(item))
        annotations.extend(getattr(item, "__metadata__", ()))
    return SEALED_SCHEMA_VERSION


def _may_hold_a_model(annotation: Any) -> bool:
    """Whether a field of this annotation can hold a pydantic model (a `Sealed` or a model that
    may hold one): every other field is skipped without being read."""
    pending = [annotation]
    while pending:
        item = pending.pop()
        if item is Any or item is object:
            return True
        if isinstance(item, type) and issubclass(item, BaseModel):
            return True
        pending.extend(get_args(item))
    return False


@functools.cache
def _plan(model_class: type[BaseModel]) -> tuple[tuple[str, int], ...]:
    """The fields of a model class that `clear_values` reads, with the version each is sealed
    from: worked out once per class, not per event (it was a tenth of a folding view's CPU per
    event, issue 15)."""
    return tuple((name, _sealed_since([*info.metadata, info.annotation]))
                 for name, info in model_class.model_fields.items()
                 if _may_hold_a_model(info.annotation))


def clear_values(model: BaseModel, version: int, where: str = "") -> list[str]:
    """Where `model`, in an event of schema `version`, holds a `Sealed` of alg none (a clear
    value) in a field sealed from that version on; older versions carried those in clear, which
    the upcaster reads that way."""
    found = []
    for name, since in _plan(type(model)):
        value = getattr(model, name)
        if isinstance(value, Sealed):
            if value.alg == CLEAR and version >= since:
                found.append(f"{where}{name}")
        elif isinstance(value, BaseModel):
            found.extend(clear_values(value, version, f"{where}{name}."))
    return found
