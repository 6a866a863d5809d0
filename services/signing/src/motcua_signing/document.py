"""The result document as a one-page PDF in Vietnamese, laid out like an administrative document
(Decree 30/2020): the agency and the số ký hiệu top left, the national motto top right, the
title, the dossier's facts, the decision or the refusal reason, a QR code to the public lookup,
and the place where the agency's seal (the visible PAdES signature) goes.

Rendered with reportlab (mature, fast, embeds TrueType subsets); the QR code is encoded by segno
and drawn as one path (reportlab's own QR widget builds a validated shape per module and took a
third of the rendering time). The font is Be Vietnam Pro, made for Vietnamese, shipped by the
`fontpkg-be-vietnam-pro` wheel."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import segno
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from motcua_catalogue.working_time import VIETNAM
from motcua_signing.result_kinds import title_for

MEDIA_TYPE = "application/pdf"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56
# Where the seal goes (PDF points, origin bottom left): under the signature block, right side.
SEAL_BOX = (PAGE_WIDTH - MARGIN - 220, 150, PAGE_WIDTH - MARGIN, 240)


@cache
def font_path(weight: str = "Regular") -> Path:
    import fontpkg_be_vietnam_pro

    return fontpkg_be_vietnam_pro.ROOT / "files" / f"BeVietnamPro-{weight}.ttf"


@cache
def _register_fonts() -> None:
    # Once per process: parsing the TrueType files is the slow part; subsets are per document.
    for name, weight in (("VN", "Regular"), ("VN-Bold", "Bold"), ("VN-Italic", "Italic")):
        pdfmetrics.registerFont(TTFont(name, str(font_path(weight))))


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


def lookup_url(public_base_url: str, dossier_code: str) -> str:
    return f"{public_base_url.rstrip('/')}/tra-cuu?{urlencode({'code': dossier_code})}"


def _style(name: str, font: str = "VN", size: float = 11, **extra) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, **extra)


def _paragraph(canvas: Canvas, text: str, style: ParagraphStyle, x: float, top: float,
               width: float) -> float:
    """Draw wrapped text with its top at `top`; return the y below it."""
    paragraph = Paragraph(text, style)
    _, height = paragraph.wrapOn(canvas, width, PAGE_HEIGHT)
    paragraph.drawOn(canvas, x, top - height)
    return top - height


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
    style = _style("seal", size=7.5, textColor=SEAL_RED)
    _paragraph(canvas, f"Ký bởi: <font name='VN-Bold'>{escape(facts.signer_name)}</font><br/>"
               f"Số: {escape(facts.result_number)}<br/>"
               f"Thời gian ký: {signed:%d/%m/%Y %H:%M:%S} (GMT+7)",
               style, text_left, top - 8, right - text_left - 6)
    canvas.restoreState()


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, *, size: float) -> None:
    """The QR code as filled rectangles, one per run of dark modules in a row."""
    matrix = segno.make_qr(data, error="m").matrix
    module = size / len(matrix)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                path.rect(x + start * module, top, (column - start) * module, module)
            column += 1
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def render_pdf(facts: ResultFacts) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    title, subtitle = title_for(facts.procedure_code, facts.outcome)
    canvas.setTitle(f"{title.capitalize()} {facts.result_number}")
    canvas.setAuthor(facts.agency_name)
    canvas.setSubject(f"Hồ sơ {facts.dossier_code}")

    column = (PAGE_WIDTH - 2 * MARGIN) / 2 - 10
    centred = dict(alignment=TA_CENTER)
    top = PAGE_HEIGHT - MARGIN
    left_bottom = _paragraph(canvas, escape(facts.agency_name.upper()),
                             _style("agency", "VN-Bold", 11, **centred), MARGIN, top, column)
    _paragraph(canvas, f"Số: {escape(facts.result_number)}", _style("number", size=11, **centred),
               MARGIN, left_bottom - 6, column)
    right_x = PAGE_WIDTH - MARGIN - column - 20
    y = _paragraph(canvas, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   _style("nation", "VN-Bold", 10.5, **centred), right_x, top, column + 20)
    y = _paragraph(canvas, "<u>Độc lập - Tự do - Hạnh phúc</u>",
                   _style("motto", "VN-Bold", 11, **centred), right_x, y, column + 20)
    issued = facts.issued_at.astimezone(VIETNAM)
    _paragraph(canvas, f"Lào Cai, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
               _style("date", "VN-Italic", 11, **centred), right_x, y - 10, column + 20)

    width = PAGE_WIDTH - 2 * MARGIN
    y = _paragraph(canvas, escape(title), _style("title", "VN-Bold", 15, **centred),
                   MARGIN, PAGE_HEIGHT - 190, width)
    y = _paragraph(canvas, escape(subtitle), _style("subtitle", "VN-Bold", 12, **centred),
                   MARGIN, y - 4, width)
    body = _style("body", size=12, alignment=TA_JUSTIFY)
    received = facts.received_at.astimezone(VIETNAM)
    lines = [
        f"Mã hồ sơ: <b>{escape(facts.dossier_code)}</b>, tiếp nhận ngày "
        f"{received:%d/%m/%Y}.",
        f"Người nộp hồ sơ: <b>{escape(facts.applicant_name)}</b>.",
        f"Thủ tục hành chính: {escape(facts.procedure_name)} (mã {escape(facts.procedure_code)}).",
        ("Kết quả giải quyết: " if facts.outcome == "approved" else "Lý do từ chối: ")
        + escape(facts.body),
    ]
    if facts.outcome == "denied":
        lines.append("Người nộp hồ sơ có quyền khiếu nại theo quy định của Luật Khiếu nại.")
    y -= 24
    for line in lines:
        y = _paragraph(canvas, line.replace("<b>", "<font name='VN-Bold'>")
                       .replace("</b>", "</font>"), body, MARGIN, y, width) - 8

    seal_left, seal_bottom, seal_right, seal_top = SEAL_BOX
    y = _paragraph(canvas, "THỦ TRƯỞNG CƠ QUAN", _style("signer", "VN-Bold", 11, **centred),
                   seal_left, seal_top + 48, seal_right - seal_left)
    _paragraph(canvas, "(Ký số, đóng dấu)", _style("hint", "VN-Italic", 10, **centred),
               seal_left, y, seal_right - seal_left)

    _draw_seal(canvas, facts)

    _draw_qr(canvas, facts.lookup_url, MARGIN, seal_bottom, size=90)
    _paragraph(canvas, f"Tra cứu hồ sơ: {escape(facts.lookup_url)}",
               _style("lookup", size=8), MARGIN, seal_bottom - 12, 240)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
