"""The head of an administrative document (Decree 30/2020) on the prepared template: the issuing
agency and the document's number in the left column, the nation and its motto in the right, the
place and date under them. The geometry and faces are motcua_documents.page.draw_header's, so
the forms and the results show the head where reportlab drew it."""

from __future__ import annotations

from datetime import datetime

from motcua_documents.page import CONTENT_WIDTH, MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from motcua_documents.prepared import TextStyle, paragraph

COLUMN = CONTENT_WIDTH / 2 - 10  # the left column's width; the right one is 20 wider
TOP = PAGE_HEIGHT - MARGIN
RIGHT_X = PAGE_WIDTH - MARGIN - COLUMN - 20
AGENCY = TextStyle("VN-Bold", 11, "centre")
NUMBER = TextStyle("VN", 11, "centre")
DATE = TextStyle("VN-Italic", 11, "centre")
_NATION = TextStyle("VN-Bold", 10.5, "centre")
_MOTTO = TextStyle("VN-Bold", 11, "centre", underline=True)


def nation_and_motto(ops: list[str]) -> float:
    """Draw the right column's nation and motto; return the baseline area's bottom under them."""
    y = paragraph(ops, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _NATION, RIGHT_X, TOP, COLUMN + 20)
    return paragraph(ops, "Độc lập - Tự do - Hạnh phúc", _MOTTO, RIGHT_X, y, COLUMN + 20)


def agency_and_number(ops: list[str], agency: str, number: str) -> float:
    """Draw the left column: the agency's name in capitals, the document's number under it;
    return the y below them."""
    y = paragraph(ops, agency.upper(), AGENCY, MARGIN, TOP, COLUMN)
    return paragraph(ops, f"Số: {number}", NUMBER, MARGIN, y - 6, COLUMN)


def place_and_date(ops: list[str], place: str, local: datetime, top: float) -> float:
    """Draw "{place}, ngày dd tháng mm năm yyyy" (the date as given: Vietnam time) in the right
    column from `top`; return the y below it."""
    return paragraph(ops, f"{place}, ngày {local:%d} tháng {local:%m} năm {local:%Y}", DATE,
                     RIGHT_X, top, COLUMN + 20)
