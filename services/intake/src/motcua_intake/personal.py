"""The applicant's personal data as intake keeps it: sealed in the dossier's row as on the topic
(`applicant`, `delivery.address`: motcua_contracts.sealed), opened in memory with the dossier's
data key (motcua_privacy) where intake needs it (the ID number that proves a lookup, the e-mail
and name of a notice, the values a public note must hide). Once the key is erased nothing here
opens: `person` is None and `erased_at` says since when."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts.sealed import CLEAR, Sealed, filled_fields
from motcua_intake.dossier_row import DossierRecord
from motcua_privacy import Keyring, PrivacyProblem, load_keys

SEALED_RECIPIENT = "(sealed)"  # a notification's recipient column: the address is in its body


def person(ring: Keyring, dossier: DossierRecord) -> dict[str, Any] | None:
    """The applicant (Applicant fields) and, as `delivery_address`, the postal address; None
    once erased (or when the key store has no key for the dossier)."""
    try:
        applicant = dict(ring.open(dossier.id, dossier.applicant))
        address = (dossier.delivery or {}).get("address")
        if address is not None:
            applicant["delivery_address"] = ring.open(dossier.id, address)
        return applicant
    except PrivacyProblem:
        return None


def same_id(applicant: dict[str, Any] | None, id_number: str) -> bool:
    """Whether the opened applicant has this ID number; never once the dossier's personal data
    was erased (None): nobody can prove the dossier is theirs any more."""
    expected = str((applicant or {}).get("id_number", ""))
    return bool(expected) and hmac.compare_digest(expected.encode(), id_number.strip().encode())


def erased_at(ring: Keyring, dossier: DossierRecord) -> datetime | None:
    return ring.erased.get(dossier.id) if ring.is_erased(dossier.id) else None


def opened_form_data(ring: Keyring, dossier: DossierRecord) -> dict[str, Any] | None:
    """The form data in clear, for an officer's view; None once erased. A row written before
    the form data was sealed holds it in clear."""
    stored = dossier.data or {}
    if "ciphertext" not in stored:
        return dict(stored)
    try:
        opened = ring.open(dossier.id, stored)
    except PrivacyProblem:
        return None
    return opened if isinstance(opened, dict) else None


def form_data(ring: Keyring, dossier: DossierRecord,
              required: Iterable[str]) -> tuple[Sealed | None, list[str]]:
    """The dossier's form data as hand-offs carry it (sealed; a row written before the form data
    was sealed is sealed now), and which of the procedure's `required` fields were filled in:
    the only part of it that travels in clear. Once erased: the ciphertext, and nothing filled."""
    stored = dossier.data
    given = Sealed.model_validate(stored) if "ciphertext" in stored else None
    kept = given if given is not None and given.alg != CLEAR else None
    try:
        clear = ring.open(dossier.id, given) if given is not None else stored
        sealed = kept or ring.seal(dossier.id, clear)
    except PrivacyProblem:
        return kept, []
    dossier.data = sealed.model_dump(mode="json")
    filled = set(filled_fields(clear))
    return sealed, [name for name in required if name in filled]


async def keyring(session: AsyncSession, dossier_ids: Iterable[uuid.UUID]) -> Keyring:
    return await load_keys(session, None, dossier_ids)


async def person_of(session: AsyncSession, dossier: DossierRecord) -> dict[str, Any] | None:
    return person(await keyring(session, [dossier.id]), dossier)
