"""The result document as a one-page PDF in Vietnamese, laid out like an administrative document
(Decree 30/2020): the agency and the số ký hiệu top left, the national motto top right, the
title, the dossier's facts, the decision or the refusal reason, a QR code to the public lookup,
and the place where the agency's seal (the visible PAdES signature) goes. The page itself (font,
header, QR code, paragraphs) is motcua_documents', shared with intake's forms 01 to 05."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
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
from motcua_signing.result_kinds import title_for

# Where the seal goes (PDF points, origin bottom left): under the signature block, right side.
SEAL_BOX = (PAGE_WIDTH - MARGIN - 220, 150, PAGE_WIDTH - MARGIN, 240)
# The place the results are dated from (the province's seat).

__all__ = ["MEDIA_TYPE", "SEAL_BOX", "ResultFacts", "font_path", "lookup_url", "render_pdf"]


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
    issued_at: datetime  # the signing time, printed on the seal as well
    lookup_url: str
    signer_name: str  # the common name of the agency's certificate, printed on the seal
    result_title: str = ""  # the catalogue's name of the result (KETQUATHUCHIEN), if it has one


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


def render_pdf(facts: ResultFacts) -> bytes:
    buffer = io.BytesIO()
    title, subtitle = title_for(facts.procedure_code, facts.outcome, facts.result_title)
    canvas = new_canvas(buffer, title=f"{title.capitalize()} {facts.result_number}",
                        author=facts.agency_name, subject=f"Hồ sơ {facts.dossier_code}")
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

    _draw_seal(canvas, facts)
    draw_lookup(canvas, facts.lookup_url, MARGIN, seal_bottom)
    return finish(canvas, buffer)
