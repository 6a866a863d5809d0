"""The result document as a one-page PDF in Vietnamese, laid out like an administrative document
(Decree 30/2020): the agency and the số ký hiệu top left, the national motto top right, the
title, the dossier's facts, the decision or the refusal reason, a QR code to the public lookup,
and the place where the agency's seal (the visible PAdES signature) goes.

Two uses of the one drawing: signing renders the result and seals it (`motcua_signing.issuer`);
the officers' workspace renders the same page as a draft (`draft=True`) for the leader to read
before approving or signing: a "DỰ THẢO" mark across the page, no seal, no number yet. Pure:
facts in, PDF bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_JUSTIFY
from reportlab.pdfgen.canvas import Canvas

from motcua_catalogue.centre import centre_from_env
from motcua_catalogue.working_time import VIETNAM
from motcua_documents.page import (
    CENTRED,
    CONTENT_WIDTH,
    MARGIN,
    MEDIA_TYPE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    bold,
    draw_header,
    draw_lookup,
    finish,
    font_path,
    lookup_url,
    new_canvas,
    paragraph,
    style,
)

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


SEAL_RED = (0.78, 0.05, 0.05)


def _draw_seal(canvas: Canvas, facts: ResultFacts) -> None:
    """The visible seal: a red frame with who signed, the number and the time, where the
    signature field's widget is placed. Drawn here so the signature covers it."""
    left, bottom, right, top = SEAL_BOX
    canvas.saveState()
    canvas.setStrokeColorRGB(*SEAL_RED)
    canvas.setLineWidth(1.5)
    canvas.roundRect(left, bottom, right - left, top - bottom, 6)
    radius = (top - bottom) / 2 - 10
    canvas.circle(left + 10 + radius, bottom + (top - bottom) / 2, radius)
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setFont("VN-Bold", 7)
    canvas.drawCentredString(left + 10 + radius, bottom + (top - bottom) / 2 - 2, "ĐÃ KÝ SỐ")
    text_left = left + 2 * radius + 18
    signed = facts.issued_at.astimezone(VIETNAM)
    paragraph(canvas, f"Ký bởi: {bold(facts.signer_name)}<br/>"
              f"Số: {escape(facts.result_number)}<br/>"
              f"Thời gian ký: {signed:%d/%m/%Y %H:%M:%S} (GMT+7)",
              style("seal", size=7.5, textColor=SEAL_RED), text_left, top - 8,
              right - text_left - 6)
    canvas.restoreState()


def _draw_draft_marks(canvas: Canvas) -> None:
    """A draft: "DỰ THẢO" across the page (light, under nothing it hides), the note above the
    header, and an empty dashed box where the seal will be."""
    canvas.saveState()
    canvas.setFillColorRGB(0.85, 0.2, 0.2, alpha=0.16)
    canvas.setFont("VN-Bold", 110)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(40)
    canvas.drawCentredString(0, -30, DRAFT_MARK)
    canvas.restoreState()
    canvas.saveState()
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setFont("VN-Bold", 9)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 28, f"{DRAFT_MARK} — {DRAFT_NOTE}")
    left, bottom, right, top = SEAL_BOX
    canvas.setStrokeColorRGB(0.55, 0.55, 0.55)
    canvas.setDash(4, 3)
    canvas.rect(left, bottom, right - left, top - bottom)
    canvas.setFillColorRGB(0.45, 0.45, 0.45)
    canvas.setFont("VN-Italic", 9)
    canvas.drawCentredString((left + right) / 2, (bottom + top) / 2 - 3,
                             "Chỗ ký số, đóng dấu (khi ban hành)")
    canvas.restoreState()


def render_pdf(facts: ResultFacts, *, draft: bool = False) -> bytes:
    """The result as signing seals it; with `draft`, the same page marked "DỰ THẢO", without
    the seal (`facts.result_number` is then DRAFT_NUMBER, `issued_at` when it is drawn)."""
    buffer = io.BytesIO()
    title, subtitle = title_for(facts.procedure_code, facts.outcome, facts.result_title)
    canvas = new_canvas(buffer, title=(f"{DRAFT_MARK}: " if draft else "")
                        + f"{title.capitalize()} {facts.result_number}",
                        author=facts.agency_name, subject=f"Hồ sơ {facts.dossier_code}")
    if draft:
        _draw_draft_marks(canvas)
    draw_header(canvas, issuer=facts.agency_name, number=facts.result_number,
                dated=facts.issued_at, place=centre_from_env().province)

    y = paragraph(canvas, escape(title), style("title", "VN-Bold", 15, **CENTRED),
                  MARGIN, PAGE_HEIGHT - 190, CONTENT_WIDTH)
    y = paragraph(canvas, escape(subtitle), style("subtitle", "VN-Bold", 12, **CENTRED),
                  MARGIN, y - 4, CONTENT_WIDTH)
    body = style("body", size=12, alignment=TA_JUSTIFY)
    received = facts.received_at.astimezone(VIETNAM)
    lines = [
        f"Mã hồ sơ: {bold(facts.dossier_code)}, tiếp nhận ngày {received:%d/%m/%Y}.",
        f"Người nộp hồ sơ: {bold(facts.applicant_name)}.",
        f"Thủ tục hành chính: {escape(facts.procedure_name)} (mã {escape(facts.procedure_code)}).",
        ("Kết quả giải quyết: " if facts.outcome == "approved" else "Lý do từ chối: ")
        + escape(facts.body),
    ]
    if facts.outcome == "denied":
        lines.append("Người nộp hồ sơ có quyền khiếu nại theo quy định của Luật Khiếu nại.")
    y -= 24
    for line in lines:
        y = paragraph(canvas, line, body, MARGIN, y, CONTENT_WIDTH) - 8

    seal_left, seal_bottom, seal_right, seal_top = SEAL_BOX
    y = paragraph(canvas, "THỦ TRƯỞNG CƠ QUAN", style("signer", "VN-Bold", 11, **CENTRED),
                  seal_left, seal_top + 48, seal_right - seal_left)
    paragraph(canvas, "(Ký số, đóng dấu)", style("hint", "VN-Italic", 10, **CENTRED),
              seal_left, y, seal_right - seal_left)

    if not draft:
        _draw_seal(canvas, facts)
    draw_lookup(canvas, facts.lookup_url, MARGIN, seal_bottom)
    return finish(canvas, buffer)
