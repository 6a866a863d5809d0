"""Intake's rules, without I/O: the dossier code, the completeness check, and how each event
moves the tracking view."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime

from motcua_catalogue import Procedure
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.dossier import Document


def dossier_code(unit_electronic_id: str, day: date, counter: int) -> str:
    """`{agency e-ID}-{YYMMDD}-{NNNN}`; a counter past 9999 keeps all its digits."""
    return f"{unit_electronic_id}-{day:%y%m%d}-{counter:04d}"


def missing_documents(procedure: Procedure, documents: Sequence[Document]) -> list[str]:
    """Required documents of the procedure that the dossier does not include (by name)."""
    filed = {_comparable(document.name) for document in documents}
    return [name for name in procedure.required_documents if _comparable(name) not in filed]


def _comparable(name: str) -> str:
    # Vietnamese diacritics arrive composed or decomposed (NFD from some keyboards and macOS).
    return unicodedata.normalize("NFC", name).casefold()


def refusal_reason(missing: Sequence[str]) -> str:
    return "Hồ sơ thiếu giấy tờ bắt buộc: " + "; ".join(missing)


def received_day(received_at: datetime) -> date:
    """The intake date in the province's time, the YYMMDD of the dossier code."""
    return received_at.astimezone(VIETNAM).date()
