"""What every document page of motcua is drawn with: an A4 page in Vietnamese laid out like an
administrative document (Decree 30/2020): the issuing body top left with its number, the
national motto top right with the place and date, wrapped paragraphs, and a QR code to the
public lookup page. Its geometry is every document's: the results, forms 01 to 05 and the
hand-over record follow it on the prepared template (motcua_documents.prepared, no
reportlab); the reportlab helpers draw what is rare (the sample attachments).

Rendered with reportlab (mature, fast, embeds TrueType subsets); the QR code is encoded by segno
and drawn as one path (reportlab's own QR widget builds a validated shape per module and took a
third of the rendering time). The font is Be Vietnam Pro, made for Vietnamese, shipped by the
`fontpkg-be-vietnam-pro` wheel. Pure: bytes out, no I/O but reading the font."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from motcua_catalogue.working_time import VIETNAM

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas

# reportlab and segno are imported by the helpers that draw with them, not here: every service
# that needs only the geometry, the media type or the lookup link (approval's default decision,
# delivery, the workspace) would otherwise hold reportlab's modules for ever, about 20 MB of
# RSS per process (docs/performance.md, "Memory").
MEDIA_TYPE = "application/pdf"
PAGE_WIDTH, PAGE_HEIGHT = 595.2755905511812, 841.8897637795277  # reportlab's A4: 210 x 297 mm
MARGIN = 56
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CENTRED: dict[str, Any] = {"alignment": 1}  # reportlab.lib.enums.TA_CENTER


@cache
def font_path(weight: str = "Regular") -> Path:
    import fontpkg_be_vietnam_pro

    return fontpkg_be_vietnam_pro.ROOT / "files" / f"BeVietnamPro-{weight}.ttf"


@cache
def register_fonts() -> None:
    """The fonts as "VN", "VN-Bold" and "VN-Italic". Once per process: parsing the TrueType
    files is the slow part; subsets are per document."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, weight in (("VN", "Regular"), ("VN-Bold", "Bold"), ("VN-Italic", "Italic")):
        pdfmetrics.registerFont(TTFont(name, str(font_path(weight))))


def lookup_url(public_base_url: str, dossier_code: str) -> str:
    """The public lookup page of a dossier, as its documents' QR codes point to it."""
    return f"{public_base_url.rstrip('/')}/tra-cuu?{urlencode({'code': dossier_code})}"


def style(name: str, font: str = "VN", size: float = 11, **extra: Any) -> ParagraphStyle:
    from reportlab.lib.styles import ParagraphStyle

    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, **extra)


def bold(text: str) -> str:
    """`text` escaped, in the bold face (paragraph markup)."""
    return f"<font name='VN-Bold'>{escape(text)}</font>"


def paragraph(canvas: Canvas, text: str, paragraph_style: ParagraphStyle, x: float, top: float,
              width: float) -> float:
    """Draw wrapped text (reportlab paragraph markup: escape what is not markup) with its top at
    `top`; return the y below it."""
    from reportlab.platypus import Paragraph

    drawn = Paragraph(text, paragraph_style)
    _, height = drawn.wrapOn(canvas, width, PAGE_HEIGHT)
    drawn.drawOn(canvas, x, top - height)
    return top - height


def new_canvas(buffer: io.BytesIO, *, title: str, author: str, subject: str) -> Canvas:
    """An A4 canvas with the fonts registered and the document's metadata. `invariant`: the
    same facts give the same bytes (no creation time, no random id)."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    return canvas


def draw_header(canvas: Canvas, *, issuer: str, number: str, dated: datetime,
                place: str) -> float:
    """The issuing body in capitals and its number (left), the national name, the motto and
    "{place}, ngày .. tháng .. năm ...", in Vietnam time (right). Returns the y below it."""
    column = CONTENT_WIDTH / 2 - 10
    top = PAGE_HEIGHT - MARGIN
    left_bottom = paragraph(canvas, escape(issuer.upper()),
                            style("agency", "VN-Bold", 11, **CENTRED), MARGIN, top, column)
    left_bottom = paragraph(canvas, f"Số: {escape(number)}", style("number", size=11, **CENTRED),
                            MARGIN, left_bottom - 6, column)
    right_x = PAGE_WIDTH - MARGIN - column - 20
    y = paragraph(canvas, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                  style("nation", "VN-Bold", 10.5, **CENTRED), right_x, top, column + 20)
    y = paragraph(canvas, "<u>Độc lập - Tự do - Hạnh phúc</u>",
                  style("motto", "VN-Bold", 11, **CENTRED), right_x, y, column + 20)
    local = dated.astimezone(VIETNAM)
    y = paragraph(canvas, f"{escape(place)}, ngày {local:%d} tháng {local:%m} năm {local:%Y}",
                  style("date", "VN-Italic", 11, **CENTRED), right_x, y - 10, column + 20)
    return min(y, left_bottom)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, *, size: float) -> None:
    """The QR code as filled rectangles, one per run of dark modules in a row."""
    import segno

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


def draw_lookup(canvas: Canvas, url: str, x: float, bottom: float, *, size: float = 90) -> None:
    """The QR code to the lookup page with its address printed under it."""
    draw_qr(canvas, url, x, bottom, size=size)
    paragraph(canvas, f"Tra cứu hồ sơ: {escape(url)}", style("lookup", size=8), x, bottom - 12,
              240)


def finish(canvas: Canvas, buffer: io.BytesIO) -> bytes:
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
