"""The result document as a one-page PDF in Vietnamese, laid out like an administrative document
(Decree 30/2020): the agency and the số ký hiệu top left, the national motto top right, the
title, the dossier's facts, the decision or the refusal reason, a QR code to the public lookup,
and the place where the agency's seal (the visible PAdES signature) goes.

What the page states (`ResultFacts`, built by `result_facts` for the sealed result and for its
draft alike), its title and the seal's place; the page itself is drawn on the prepared template
of motcua_documents.result_page, one drawing for both uses: signing seals it
(`motcua_signing.issuer`), and the officers' workspace shows it as a draft (`draft=True`) for
the leader to read before approving or signing: a "DỰ THẢO" mark across the page, no seal, no
number yet. Pure: facts in, PDF bytes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from motcua_documents.page import MARGIN, MEDIA_TYPE, PAGE_WIDTH, font_path, lookup_url

# Where the seal goes (PDF points, origin bottom left): under the signature block, right side.
SEAL_BOX = (PAGE_WIDTH - MARGIN - 220, 150, PAGE_WIDTH - MARGIN, 240)
# A draft has no number yet: signing gives it (motcua_signing.domain.result_number) when it seals.
DRAFT_NUMBER = "........ (cấp khi ký số)"
DRAFT_MARK = "DỰ THẢO"
DRAFT_NOTE = "Dự thảo để lãnh đạo xem trước: chưa ký số, chưa đóng dấu, chưa có giá trị pháp lý."

__all__ = ["DRAFT_MARK", "DRAFT_NUMBER", "MEDIA_TYPE", "SEAL_BOX", "TITLES", "ResultFacts",
           "default_decision", "font_path", "lookup_url", "render_pdf", "result_facts",
           "title_for"]

DECISION = "QUYẾT ĐỊNH"
# What each procedure's result is called: a decision (quyết định), a licence (giấy phép) or a
# certificate (giấy chứng nhận); a denial is always a refusal notice. The title belongs to the
# procedure: the catalogue's `result_title` (KETQUATHUCHIEN in an export) wins; this table names
# the results of catalogues that have none (the CSV form).
TITLES: dict[str, str] = {
    "1.001193": "GIẤY KHAI SINH",
    "1.000894": "GIẤY CHỨNG NHẬN KẾT HÔN",
    "2.000488": "PHIẾU LÝ LỊCH TƯ PHÁP",
    "2.001610": "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
    "2.000720": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
    "1.009972": "GIẤY PHÉP XÂY DỰNG (GIA HẠN)",
    "1.009975": "GIẤY PHÉP XÂY DỰNG",
    "1.012760": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
    "1.012790": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
    "1.004194": "XÁC NHẬN ĐĂNG KÝ TẠM TRÚ",
    "1.002809": "GIẤY PHÉP LÁI XE",
    "1.000105": "GIẤY PHÉP LAO ĐỘNG",
    "1.008026": "XÁC NHẬN ĐĂNG KÝ THẾ CHẤP",
}


def title_for(procedure_code: str, outcome: str, catalogue_title: str = "") -> tuple[str, str]:
    """(title, subtitle) of the result document: the catalogue's name of the result when it
    has one (KETQUATHUCHIEN), else this table's."""
    if outcome == "denied":
        return "THÔNG BÁO", "Về việc từ chối giải quyết hồ sơ"
    title = catalogue_title.upper() if catalogue_title else TITLES.get(procedure_code, DECISION)
    return title, "Về việc giải quyết thủ tục hành chính"


def default_decision(procedure_name: str, dossier_code: str) -> str:
    """What an approval decides when the leader writes no decision of their own (approval's
    automatic policy and its work queue both issue it; a draft shows it). The dossier's code,
    not the applicant's name: the decision travels in clear."""
    return f"Chấp thuận: {procedure_name}, hồ sơ {dossier_code}"


@dataclass(frozen=True)
class ResultFacts:
    """What the document states: everything comes from the event and the catalogue."""

    agency_name: str
    result_number: str
    dossier_code: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    outcome: str  # "approved" or "denied"
    body: str  # the decision (approved) or the refusal reason (denied)
    received_at: datetime
    issued_at: datetime  # the signing time, printed on the seal as well (a draft: when drawn)
    lookup_url: str
    signer_name: str = ""  # the common name of the agency's certificate, printed on the seal
    result_title: str = ""  # the catalogue's name of the result (KETQUATHUCHIEN), if it has one


class Titled(Protocol):
    """What the result says of its procedure: a catalogue procedure, or a dossier's terms
    under the catalogue version it was received under (DossierFacts.terms)."""

    @property
    def name(self) -> str: ...

    @property
    def result_title(self) -> str: ...


def result_facts(*, procedure: Titled | None, procedure_code: str, agency_name: str,
                 result_number: str, dossier_code: str, applicant_name: str, outcome: str,
                 body: str, received_at: datetime, issued_at: datetime, lookup_url: str,
                 signer_name: str = "") -> ResultFacts:
    """The facts of a dossier's result, what the catalogue says of its procedure included: one
    builder for the sealed result (signing) and its draft (the workspace), so that the draft
    states what the result will."""
    return ResultFacts(
        agency_name=agency_name, result_number=result_number, dossier_code=dossier_code,
        applicant_name=applicant_name, procedure_code=procedure_code,
        procedure_name=procedure.name if procedure else procedure_code, outcome=outcome,
        body=body, received_at=received_at, issued_at=issued_at, lookup_url=lookup_url,
        signer_name=signer_name, result_title=procedure.result_title if procedure else "")


def render_pdf(facts: ResultFacts, *, draft: bool = False) -> bytes:
    """The result as signing seals it, without the signature; with `draft`, the same page
    marked "DỰ THẢO", without the seal (`facts.result_number` is then DRAFT_NUMBER, `issued_at`
    when it is drawn). Both are drawn on the prepared template (motcua_documents.result_page),
    the one drawing of the result page."""
    from motcua_documents.result_page import render_pdf as on_template  # it imports this one

    return on_template(facts, draft=draft)
