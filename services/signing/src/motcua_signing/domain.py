"""Signing's rules, without I/O: the result number and the result document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from motcua_catalogue import Agency, Procedure
from motcua_catalogue.working_time import VIETNAM
from motcua_contracts.dossier import DossierFacts

MEDIA_TYPE = "text/plain; charset=utf-8"


def result_number(sequence: int, year: int, outcome: str, agency_code: str) -> str:
    """`0042/2026/QĐ-STP`: a decision (QĐ) for an approval, a notice (TB) for a denial."""
    kind = "QĐ" if outcome == "approved" else "TB"
    return f"{sequence:04d}/{year}/{kind}-{agency_code}"


@dataclass(frozen=True)
class ResultText:
    content: bytes
    sha256: str


def render_result(*, facts: DossierFacts, procedure: Procedure | None, agency: Agency | None,
                  number: str, outcome: str, body: str, signed_at: datetime) -> ResultText:
    """The result document as UTF-8 text. The signed PDF (PAdES) replaces this rendering when
    agency certificates arrive; the event contract (number, hash, time) stays the same."""
    title = "QUYẾT ĐỊNH" if outcome == "approved" else "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ"
    lines = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "",
        agency.name if agency else facts.code.split("-")[0],
        f"Số: {number}",
        f"Ngày: {signed_at.astimezone(VIETNAM):%d/%m/%Y %H:%M}",
        "",
        title,
        f"Thủ tục: {procedure.name if procedure else facts.procedure_code}",
        f"Mã hồ sơ: {facts.code}",
        f"Người nộp: {facts.applicant_name}",
        "",
        body,
    ]
    content = "\n".join(lines).encode()
    return ResultText(content, hashlib.sha256(content).hexdigest())
