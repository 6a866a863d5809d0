"""The result document as a one-page PDF in Vietnamese, laid out like an administrative document
(Decree 30/2020): the agency and the số ký hiệu top left, the national motto top right, the
title, the dossier's facts, the decision or the refusal reason, a QR code to the public lookup,
and the place where the agency's seal (the visible PAdES signature) goes.

Results are issued by the thousand, so the page is written on a prepared template
(motcua_documents.prepared): the fonts, the motto, the signature block and the seal's frame are
serialised once per process, a document adds its own text and QR code. It shows what intake's
forms (motcua_documents.forms, on the same kind of template) show: the same font, sizes,
places and wrapping.

One drawing for both uses: `draw` gives the page's parts, which signing's sealer writes with the
signature in place (motcua_signing.seal); `draw(facts, draft=True)` is the leader's draft that
the workspace shows before approving or signing: the same page on a template of its own, with
"DỰ THẢO" across it and a note that it is not signed, an empty box where the seal goes and no
seal text. `render_pdf` writes either without a signature."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from motcua_catalogue.centre import centre_from_env
from motcua_catalogue.working_time import VIETNAM
from motcua_documents import letterhead
from motcua_documents.page import (
    CONTENT_WIDTH,
    MARGIN,
    MEDIA_TYPE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    font_path,
    lookup_url,
)
from motcua_documents.prepared import (
    Document,
    Run,
    Template,
    TextStyle,
    fonts,
    paragraph,
    qr_code,
)
from motcua_documents.prepared import template as prepared_template

# The facts are the ones the workspace's draft is drawn from (result_facts builds both).
from motcua_documents.result import DRAFT_MARK, DRAFT_NOTE, SEAL_BOX, ResultFacts, title_for

SEAL_RED = (0.78, 0.05, 0.05)

__all__ = ["MEDIA_TYPE", "SEAL_BOX", "Page", "ResultFacts", "draw", "font_path", "lookup_url",
           "render_pdf"]
# A draft's marks: "DỰ THẢO" across the page in a light red (a tint, not transparency: the
# template's page has no graphics state to give one), the note above the header in red, the
# seal's place a dashed grey box.
_MARK_TINT = (0.97, 0.85, 0.85)
_MARK_SIZE = 110
_MARK_ANGLE = 40
_NOTE = TextStyle("VN-Bold", 9, "centre", colour=SEAL_RED)
_BOX_HINT = TextStyle("VN-Italic", 9, "centre", colour=(0.45, 0.45, 0.45))

_TITLE = TextStyle("VN-Bold", 15, "centre")
_SUBTITLE = TextStyle("VN-Bold", 12, "centre")
_BODY = TextStyle("VN", 12, "justify")
_SEAL_TEXT = TextStyle("VN", 7.5, colour=SEAL_RED)
_LOOKUP = TextStyle("VN", 8)
_QR_SIZE = 90
# The seal's stamp: a circle at the left of the frame, its text right of it.
_SEAL_RADIUS = (SEAL_BOX[3] - SEAL_BOX[1]) / 2 - 10
_SEAL_TEXT_LEFT = SEAL_BOX[0] + 2 * _SEAL_RADIUS + 18


@dataclass(frozen=True)
class Page:
    """A result page to write on `template`: its own drawing operators and metadata."""

    template: Template
    ops: tuple[str, ...]
    title: str
    author: str
    subject: str

    def write(self, document: Document | None = None, **page: object) -> Document:
        """The page's objects in `document` (a new one on the template by default); `page`:
        annotations and the form, for the seal."""
        document = document or Document(self.template)
        document.page(self.ops, title=self.title, author=self.author, subject=self.subject,
                      **page)  # type: ignore[arg-type]
        return document


def _circle(x: float, y: float, r: float) -> str:
    k = r * 4 * (math.sqrt(2) - 1) / 3  # the Bézier approximation of a quarter circle
    return (f"{x + r:.2f} {y:.2f} m "
            f"{x + r:.2f} {y + k:.2f} {x + k:.2f} {y + r:.2f} {x:.2f} {y + r:.2f} c "
            f"{x - k:.2f} {y + r:.2f} {x - r:.2f} {y + k:.2f} {x - r:.2f} {y:.2f} c "
            f"{x - r:.2f} {y - k:.2f} {x - k:.2f} {y - r:.2f} {x:.2f} {y - r:.2f} c "
            f"{x + k:.2f} {y - r:.2f} {x + r:.2f} {y - k:.2f} {x + r:.2f} {y:.2f} c h S")


def _round_rect(x: float, y: float, w: float, h: float, r: float) -> str:
    k = r * 0.4477  # 1 - the quarter circle's Bézier constant
    return (f"{x + r:.2f} {y:.2f} m {x + w - r:.2f} {y:.2f} l "
            f"{x + w - k:.2f} {y:.2f} {x + w:.2f} {y + k:.2f} {x + w:.2f} {y + r:.2f} c "
            f"{x + w:.2f} {y + h - r:.2f} l "
            f"{x + w:.2f} {y + h - k:.2f} {x + w - k:.2f} {y + h:.2f} "
            f"{x + w - r:.2f} {y + h:.2f} c "
            f"{x + r:.2f} {y + h:.2f} l "
            f"{x + k:.2f} {y + h:.2f} {x:.2f} {y + h - k:.2f} {x:.2f} {y + h - r:.2f} c "
            f"{x:.2f} {y + r:.2f} l {x:.2f} {y + k:.2f} {x + k:.2f} {y:.2f} {x + r:.2f} {y:.2f} c "
            "h S")


@cache
def _constant(draft: bool = False) -> tuple[Template, float]:
    """What every result shows the same: the national name and motto, the signature block, the
    seal's frame, circle and "ĐÃ KÝ SỐ"; for a draft, its marks instead of the seal's frame.
    Returns the template and where the date line goes."""
    ops: list[str] = []
    if draft:
        _draft_marks(ops)  # first: the page's text is drawn over the mark
    date_top = letterhead.nation_and_motto(ops) - 10
    left, bottom, right, top = SEAL_BOX
    y = paragraph(ops, "THỦ TRƯỞNG CƠ QUAN", TextStyle("VN-Bold", 11, "centre"), left, top + 48,
                  right - left)
    paragraph(ops, "(Ký số, đóng dấu)", TextStyle("VN-Italic", 10, "centre"), left, y,
              right - left)
    if not draft:
        red = " ".join(f"{c:g}" for c in SEAL_RED)
        centre_x, centre_y = left + 10 + _SEAL_RADIUS, bottom + (top - bottom) / 2
        ops.append(f"q {red} RG 1.5 w {_round_rect(left, bottom, right - left, top - bottom, 6)}"
                   f" {_circle(centre_x, centre_y, _SEAL_RADIUS)} Q")
        # drawCentredString: the baseline 2 points under the centre.
        paragraph(ops, "ĐÃ KÝ SỐ", TextStyle("VN-Bold", 7, "centre", colour=SEAL_RED),
                  centre_x - _SEAL_RADIUS, centre_y - 2 + 7, 2 * _SEAL_RADIUS)
    return prepared_template(["\n".join(ops)]), date_top


def _draft_marks(ops: list[str]) -> None:
    """"DỰ THẢO" across the page, the note above the header, and the empty dashed box where
    the seal will be (what the reportlab draft drew)."""
    face = fonts()["VN-Bold"]
    width = face.width(DRAFT_MARK, _MARK_SIZE)
    cos, sin = math.cos(math.radians(_MARK_ANGLE)), math.sin(math.radians(_MARK_ANGLE))
    # Centred on the page's centre, its baseline 30 points under it, turned 40 degrees.
    dx, dy = -width / 2, -30.0
    x = PAGE_WIDTH / 2 + dx * cos - dy * sin
    y = PAGE_HEIGHT / 2 + dx * sin + dy * cos
    tint = " ".join(f"{c:g}" for c in _MARK_TINT)
    ops.append(f"q {tint} rg BT /{face.resource} {_MARK_SIZE} Tf {cos:.4f} {sin:.4f} "
               f"{-sin:.4f} {cos:.4f} {x:.2f} {y:.2f} Tm <{face.encode(DRAFT_MARK)}> Tj ET Q")
    paragraph(ops, f"{DRAFT_MARK} — {DRAFT_NOTE}", _NOTE, MARGIN, PAGE_HEIGHT - 19,
              CONTENT_WIDTH)
    left, bottom, right, top = SEAL_BOX
    ops.append(f"q 0.55 0.55 0.55 RG [4 3] 0 d 1 w {left:g} {bottom:g} {right - left:g} "
               f"{top - bottom:g} re S Q")
    paragraph(ops, "Chỗ ký số, đóng dấu (khi ban hành)", _BOX_HINT, left,
              (bottom + top) / 2 + 6, right - left)


def draw(facts: ResultFacts, *, draft: bool = False) -> Page:
    """The result page: the template and this result's text and QR code; with `draft`, the
    leader's draft (`facts.result_number` then DRAFT_NUMBER, `issued_at` when it is drawn):
    its own template, and no seal text."""
    template, date_top = _constant(draft)
    ops: list[str] = []
    # The header: the agency and the number (left), the date under the motto (right).
    letterhead.agency_and_number(ops, facts.agency_name, facts.result_number)
    letterhead.place_and_date(ops, centre_from_env().province,
                              facts.issued_at.astimezone(VIETNAM), date_top)

    title, subtitle = title_for(facts.procedure_code, facts.outcome, facts.result_title)
    y = paragraph(ops, title, _TITLE, MARGIN, PAGE_HEIGHT - 190, CONTENT_WIDTH)
    y = paragraph(ops, subtitle, _SUBTITLE, MARGIN, y - 4, CONTENT_WIDTH)
    received = facts.received_at.astimezone(VIETNAM)
    lines: list[tuple[Run, ...]] = [
        (("Mã hồ sơ: ", "VN"), (facts.dossier_code, "VN-Bold"),
         (f", tiếp nhận ngày {received:%d/%m/%Y}.", "VN")),
        (("Người nộp hồ sơ: ", "VN"), (facts.applicant_name, "VN-Bold"), (".", "VN")),
        ((f"Thủ tục hành chính: {facts.procedure_name} (mã {facts.procedure_code}).", "VN"),),
        ((("Kết quả giải quyết: " if facts.outcome == "approved" else "Lý do từ chối: ")
          + facts.body, "VN"),),
    ]
    if facts.outcome == "denied":
        lines.append((("Người nộp hồ sơ có quyền khiếu nại theo quy định của Luật Khiếu nại.",
                       "VN"),))
    y -= 24
    for line in lines:
        y = paragraph(ops, line, _BODY, MARGIN, y, CONTENT_WIDTH) - 8

    _, seal_bottom, seal_right, seal_top = SEAL_BOX
    if not draft:
        signed = facts.issued_at.astimezone(VIETNAM)
        paragraph(ops, (("Ký bởi: ", "VN"), (facts.signer_name.replace("\n", " "), "VN-Bold"),
                        (f"\nSố: {facts.result_number}\n"
                         f"Thời gian ký: {signed:%d/%m/%Y %H:%M:%S} (GMT+7)", "VN")),
                  _SEAL_TEXT, _SEAL_TEXT_LEFT, seal_top - 8, seal_right - _SEAL_TEXT_LEFT - 6)
    qr_code(ops, facts.lookup_url, MARGIN, seal_bottom, size=_QR_SIZE)
    paragraph(ops, f"Tra cứu hồ sơ: {facts.lookup_url}", _LOOKUP, MARGIN, seal_bottom - 12, 240)
    return Page(template, tuple(ops),
                title=(f"{DRAFT_MARK}: " if draft else "")
                + f"{title.capitalize()} {facts.result_number}",
                author=facts.agency_name, subject=f"Hồ sơ {facts.dossier_code}")


def render_pdf(facts: ResultFacts, *, draft: bool = False) -> bytes:
    """The result without its seal (the sealer writes it with the signature in place), or the
    draft."""
    return draw(facts, draft=draft).write().finish()
