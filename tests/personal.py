"""Personal data in tests as in production: sealed under each dossier's data key
(motcua_privacy). In-memory keys for the fakes, the same keys written to a database's key store
for tests that read it (wrapped under the session's master key, tests/conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from motcua_contracts.dossier import DossierFacts
from motcua_contracts.sealed import Sealed, filled_fields
from motcua_privacy import DOSSIER_KEYS, Keyring, master_key, new_data_key, seal_json, wrap

TEST_KEYS = Keyring()


def key_for(dossier_id: uuid.UUID) -> bytes:
    return TEST_KEYS.keys.setdefault(dossier_id, new_data_key())


def sealed(dossier_id: uuid.UUID, value: Any) -> dict[str, Any]:
    """`value` sealed under the dossier's test key, as JSON (what an event or a row holds)."""
    return seal_json(key_for(dossier_id), dossier_id, value).model_dump(mode="json")


def opened(dossier_id: uuid.UUID, value: Any) -> Any:
    return TEST_KEYS.open(dossier_id, value)


def is_clear(value: Any) -> bool:
    return value is not None and not (isinstance(value, dict) and "ciphertext" in value)


def seal_row(dossier: Any) -> Any:
    """An intake dossier row written in clear by a test, sealed as intake keeps it."""
    if is_clear(dossier.applicant):
        dossier.applicant = sealed(dossier.id, dossier.applicant)
    if is_clear(dossier.data):
        dossier.data = sealed(dossier.id, dossier.data)
    address = (dossier.delivery or {}).get("address")
    if is_clear(address):
        dossier.delivery = {**dossier.delivery, "address": sealed(dossier.id, address)}
    return dossier


def key_rows(dossier_ids: Iterable[uuid.UUID]) -> Any:
    """The INSERT that puts these dossiers' test keys in the key store."""
    now = datetime.now(timezone.utc)
    return insert(DOSSIER_KEYS).values([
        {"dossier_id": d, "wrapped_key": wrap(master_key(), d, key_for(d)), "created_at": now}
        for d in dossier_ids]).on_conflict_do_nothing()


def contains_clear(text: str, *values: str) -> list[str]:
    return [value for value in values if value in text or json.dumps(value)[1:-1] in text]


def _sealed_value(dossier_id: uuid.UUID, value: Any) -> Any:
    """`value` sealed under the dossier's test key when it is clear (a string, an object, or a
    `Sealed` of alg none, as the schema-version-1 upcaster reads a clear value)."""
    if value is None:
        return None
    if isinstance(value, Sealed):
        return sealed(dossier_id, TEST_KEYS.open(dossier_id, value)) if value.alg == "none" \
            else value
    return sealed(dossier_id, value) if is_clear(value) else value


def seal_personal(dossier_id: uuid.UUID, payload: dict[str, Any],
                  cls: type | None = None) -> dict[str, Any]:
    """An event's payload as a test wrote it, with clear personal values (the facts' applicant,
    postal address and form data, a submission's form data, a hand-off's address, who received
    the result, a withdrawal's reason) sealed as a stage would have them."""
    payload = dict(payload)
    facts = payload.get("dossier")
    if facts is not None:
        fields = facts.model_dump() if isinstance(facts, DossierFacts) else dict(facts)
        if "applicant" not in fields and "applicant_name" in fields:
            fields["applicant"] = {"full_name": fields.pop("applicant_name")}
        fields["applicant"] = _sealed_value(dossier_id, _as_sealed(fields.get("applicant")))
        fields["delivery_address"] = _sealed_value(
            dossier_id, _as_sealed(fields.get("delivery_address")))
        form = _as_sealed(fields.get("data"))
        if is_clear(form) and not isinstance(form, Sealed):
            fields.setdefault("data_filled", filled_fields(form))
        fields["data"] = _sealed_value(dossier_id, form)
        payload["dossier"] = DossierFacts.model_validate(fields)
    names = ["address", "received_by", "data"]
    if cls is not None and cls.__name__ == "WithdrawalRequested":
        names.append("reason")
    for name in names:
        if name in payload:
            payload[name] = _sealed_value(dossier_id, _as_sealed(payload[name]))
    return payload


def _as_sealed(value: Any) -> Any:
    if isinstance(value, dict) and "ciphertext" in value:
        return Sealed.model_validate(value)
    return value


def facts(dossier_id: uuid.UUID, **fields: Any) -> DossierFacts:
    """DossierFacts for that dossier, a clear `applicant_name` or `delivery_address` sealed."""
    return seal_personal(dossier_id, {"dossier": fields})["dossier"]
