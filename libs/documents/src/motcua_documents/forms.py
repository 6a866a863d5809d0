"""Forms 01 to 05 of the one-stop desk (docs/forms.md), each a function of plain data to a PDF in
Vietnamese, drawn on the same page as the results (motcua_documents.page):

    01  Giấy tiếp nhận hồ sơ và hẹn trả kết quả   the receipt and the appointment
    02  Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ    what is missing, and by when
    03  Phiếu từ chối tiếp nhận, giải quyết hồ sơ  the refusal and its reason
    04  Phiếu xin lỗi và hẹn lại ngày trả kết quả  the apology and the one new appointment
    05  Phiếu dừng giải quyết hồ sơ                 processing stopped (the withdrawal)

The facts are pydantic models so that they travel as JSON (intake queues them sealed, then
renders them in the background); the functions do no I/O. The same facts give the same bytes.

Every dossier gets a form 01, so the forms are written on a prepared template
(motcua_documents.prepared, as the results are): the fonts are serialised once per process and
a form adds only its own text and QR code, about 0.5 ms of CPU instead of reportlab's 21 ms
(docs/performance.md). The page shows what reportlab drew: the same font, sizes, places and
wrapping (motcua_documents.page's header and lookup, drawn here with prepared.paragraph)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from motcua_catalogue.working_time import VIETNAM
from motcua_documents import letterhead
from motcua_documents.page import CONTENT_WIDTH, MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from motcua_documents.prepared import Document, Run, Template, TextStyle, height, paragraph, qr_code
from motcua_documents.prepared import template as prepared_template

FormCode = Literal["01", "02", "03", "04", "05"]
TITLES: dict[str, str] = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
    "04": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "PHIẾU DỪNG GIẢI QUYẾT HỒ SƠ",
}
# The number's suffix, after the dossier's code: one form of a kind per event of the dossier.
SUFFIXES = {"01": "TNHS", "02": "BSHS", "03": "TCHS", "04": "XLHL", "05": "DGQ"}
# Who signs a form the system issued without an officer (the automatic desk policy).
AUTOMATIC = "Hệ thống một cửa điện tử (tự động)"
DELIVERY = {"counter": "nhận trực tiếp tại Bộ phận Một cửa",
            "postal": "qua dịch vụ bưu chính công ích",
            "online": "trực tuyến (bản điện tử có chữ ký số)"}
LOOKUP_BOTTOM = 70  # the QR code's bottom edge; the text never runs below the code's top
_BODY = TextStyle("VN", 12, "justify")
_ITEM = TextStyle("VN", 12, left_indent=18, first_indent=-12)
_FORM_NUMBER = TextStyle("VN-Italic", 9, "right")
_TITLE = TextStyle("VN-Bold", 14, "centre")
_CODE = TextStyle("VN", 12, "centre")
_SIGNER = TextStyle("VN-Bold", 11, "centre")
_OFFICER = TextStyle("VN-Italic", 11, "centre")
_LOOKUP = TextStyle("VN", 8)
_QR_SIZE = 90


class FormFacts(BaseModel):
    """What every form states: who issues it and where, the dossier and its applicant, and who
    signs it (an officer's name, or None: issued automatically)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str  # the centre (or the agency) issuing the form, as its header names it
    place: str  # the province, as the date line names it
    dossier_code: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    issued_at: datetime
    lookup_url: str
    officer: str | None = None


class Receipt(FormFacts):
    """01: the documents received, the appointment, and how the result will be handed over."""

    received_at: datetime
    due_at: datetime | None  # None: the procedure is settled the same day
    documents: list[str]
    delivery_channel: str


class SupplementRequest(FormFacts):
    """02: what is missing and why, by when it is to be supplied, and who asks."""

    requested_by: str
    reason: str
    missing_documents: list[str]
    respond_by: datetime


class Refusal(FormFacts):
    """03: the reason (and the documents still missing, when that is the reason)."""

    received_at: datetime
    reason: str
    missing_documents: list[str] = []


class Apology(FormFacts):
    """04: the agency that is late, why, the appointment missed and the one new one."""

    agency_name: str
    reason: str
    previous_due_at: datetime
    new_due_at: datetime


class Stopping(FormFacts):
    """05: processing stopped (the applicant withdrew the dossier, or it was stopped), why."""

    received_at: datetime
    reason: str


def when(moment: datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%H giờ %M, ngày %d/%m/%Y}"


def bold(text: str) -> Run:
    return (text, "VN-Bold")


class Page:
    """Paragraphs from the top down, onto a new page when the next one would reach the lookup
    QR code (drawn on the last page; the header is on the first only: a form is rarely longer
    than a page, a long list of documents makes it so). Text is runs of (text, face), or a
    string in the style's face: nothing in the facts is read as markup."""

    def __init__(self, ops: list[str], top: float) -> None:
        self.pages, self.y = [ops], top

    def write(self, text: str | tuple[Run, ...], text_style: TextStyle = _BODY, *,
              gap: float = 6, x: float = MARGIN, width: float = CONTENT_WIDTH) -> None:
        if self.y - height(text, text_style, width) < LOOKUP_BOTTOM + 110:
            self.pages.append([])
            self.y = PAGE_HEIGHT - MARGIN
        self.y = paragraph(self.pages[-1], text, text_style, x, self.y, width) - gap


@cache
def _template() -> Template:
    """The fonts, the same for every form (the constant paragraphs are formatted once by
    prepared.paragraph's cache; drawn in the page's own stream, they keep reportlab's order)."""
    return prepared_template([])


def _header(ops: list[str], facts: FormFacts, number: str, dated: datetime) -> float:
    """motcua_documents.page.draw_header: the issuer and the number (left), the national name,
    the motto and the place and date (right). Returns the y below it."""
    left = letterhead.agency_and_number(ops, facts.issuer, number)
    y = letterhead.nation_and_motto(ops)
    y = letterhead.place_and_date(ops, facts.place, dated.astimezone(VIETNAM), y - 10)
    return min(y, left)


def start(facts: FormFacts, *, number: str, dated: datetime, corner: str, title: str) -> Page:
    """A page with the header, `corner` top right above it (which form it is), the title and
    the dossier's code under it; the body is written from there on."""
    ops: list[str] = []
    page = Page(ops, _header(ops, facts, number, dated))
    paragraph(ops, corner, _FORM_NUMBER, MARGIN, PAGE_HEIGHT - MARGIN + 20, CONTENT_WIDTH)
    page.y -= 28
    page.write(title, _TITLE, gap=4)
    page.write((("Mã hồ sơ: ", "VN"), bold(facts.dossier_code)), _CODE, gap=18)
    return page


def finish(page: Page, facts: FormFacts, *, title: str) -> bytes:
    """The lookup QR code and its address at the foot of the last page, then the file."""
    last = page.pages[-1]
    qr_code(last, facts.lookup_url, MARGIN, LOOKUP_BOTTOM, size=_QR_SIZE)
    paragraph(last, f"Tra cứu hồ sơ: {facts.lookup_url}", _LOOKUP, MARGIN, LOOKUP_BOTTOM - 12,
              240)
    document = Document(_template())
    document.page(page.pages[0], more=page.pages[1:], title=title, author=facts.issuer,
                  subject=f"Hồ sơ {facts.dossier_code}")
    return document.finish()


def _form(form: FormCode, facts: FormFacts, body: Callable[[Page], None]) -> bytes:
    page = start(facts, number=f"{facts.dossier_code}/{SUFFIXES[form]}", dated=facts.issued_at,
                 corner=f"Mẫu số {form}", title=TITLES[form])
    body(page)
    column_x, column_width = PAGE_WIDTH / 2, PAGE_WIDTH / 2 - MARGIN
    page.write("NGƯỜI LẬP PHIẾU" if form != "01" else "NGƯỜI TIẾP NHẬN", _SIGNER, x=column_x,
               width=column_width, gap=2)
    page.write(facts.officer or AUTOMATIC, _OFFICER, x=column_x, width=column_width)
    return finish(page, facts, title=f"Mẫu số {form}: {TITLES[form].capitalize()}")


def dossier_lines(page: Page, facts: FormFacts) -> None:
    page.write((("Người nộp hồ sơ: ", "VN"), bold(facts.applicant_name), (".", "VN")))
    page.write(f"Thủ tục hành chính: {facts.procedure_name} (mã {facts.procedure_code}).")


def _items(page: Page, names: list[str]) -> None:
    for number, name in enumerate(names, start=1):
        page.write(f"{number}. {name}", _ITEM, gap=2)
    page.y -= 4


def receipt(facts: Receipt) -> bytes:
    """Form 01: the receipt of a complete dossier and the appointment to return the result."""
    def body(page: Page) -> None:
        page.write(f"{facts.issuer} tiếp nhận hồ sơ của:")
        dossier_lines(page, facts)
        page.write(f"Thời gian tiếp nhận: {when(facts.received_at)}.")
        page.write(f"Hồ sơ gồm {len(facts.documents)} thành phần:")
        _items(page, facts.documents)
        if facts.due_at is None:
            page.write("Thời gian trả kết quả: trả ngay trong ngày tiếp nhận.")
        else:
            page.write((("Thời gian hẹn trả kết quả: ", "VN"), bold(when(facts.due_at)),
                        (".", "VN")))
        channel = DELIVERY.get(facts.delivery_channel, facts.delivery_channel)
        page.write(f"Hình thức nhận kết quả: {channel}.")
        page.write("Công dân tra cứu tình trạng hồ sơ bằng mã hồ sơ và số CCCD/CMND tại địa chỉ "
                   "in dưới mã QR.", gap=18)
    return _form("01", facts, body)


def supplement_request(facts: SupplementRequest) -> bytes:
    """Form 02: what the dossier lacks, asked once and in writing, and the deadline."""
    def body(page: Page) -> None:
        page.write(f"{facts.requested_by} đề nghị người nộp hồ sơ bổ sung, hoàn thiện "
                   "hồ sơ sau:")
        dossier_lines(page, facts)
        page.write(f"Lý do: {facts.reason}")
        if facts.missing_documents:
            page.write("Thành phần hồ sơ cần bổ sung:")
            _items(page, facts.missing_documents)
        page.write((("Thời hạn bổ sung: trước ", "VN"), bold(when(facts.respond_by)),
                    (". Quá thời hạn này mà hồ sơ chưa được bổ sung, hồ sơ sẽ bị từ chối giải "
                     "quyết.", "VN")))
        page.write("Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết.", gap=18)
    return _form("02", facts, body)


def refusal(facts: Refusal) -> bytes:
    """Form 03: the dossier is not taken up, and why."""
    def body(page: Page) -> None:
        page.write(f"{facts.issuer} từ chối tiếp nhận, giải quyết hồ sơ sau:")
        dossier_lines(page, facts)
        page.write(f"Thời gian tiếp nhận: {when(facts.received_at)}.")
        page.write(f"Lý do từ chối: {facts.reason}")
        if facts.missing_documents:
            page.write("Thành phần hồ sơ còn thiếu:")
            _items(page, facts.missing_documents)
        page.write("Xin thông báo để người nộp hồ sơ biết. Người nộp hồ sơ có quyền khiếu nại "
                   "theo quy định của Luật Khiếu nại.", gap=18)
    return _form("03", facts, body)


def apology(facts: Apology) -> bytes:
    """Form 04: the agency apologises for the delay and sets the one new appointment."""
    def body(page: Page) -> None:
        page.write(f"Ngày {facts.previous_due_at.astimezone(VIETNAM):%d/%m/%Y}, "
                   f"{facts.issuer} đã hẹn trả kết quả hồ sơ sau:")
        dossier_lines(page, facts)
        page.write(f"Hồ sơ đang được {facts.agency_name} giải quyết nhưng chưa có kết "
                   f"quả đúng hẹn. Lý do: {facts.reason}")
        page.write(f"Thời gian hẹn trả kết quả trước đây: {when(facts.previous_due_at)}.")
        page.write((("Thời gian hẹn trả kết quả mới: ", "VN"), bold(when(facts.new_due_at)),
                    (".", "VN")))
        page.write(f"{facts.agency_name} xin lỗi người nộp hồ sơ vì sự chậm trễ này và "
                   "mong nhận được sự thông cảm.", gap=18)
    return _form("04", facts, body)


def stopping(facts: Stopping) -> bytes:
    """Form 05: processing of the dossier stopped (a withdrawal the desk confirmed)."""
    def body(page: Page) -> None:
        page.write(f"{facts.issuer} thông báo dừng giải quyết hồ sơ sau:")
        dossier_lines(page, facts)
        page.write(f"Thời gian tiếp nhận: {when(facts.received_at)}.")
        page.write(f"Lý do dừng giải quyết: {facts.reason}")
        page.write("Hồ sơ đã nộp được lưu tại hệ thống; người nộp hồ sơ có thể nộp lại hồ sơ "
                   "mới khi có nhu cầu.", gap=18)
    return _form("05", facts, body)


FORMS: dict[str, tuple[type[FormFacts], Callable[..., bytes]]] = {
    "01": (Receipt, receipt), "02": (SupplementRequest, supplement_request),
    "03": (Refusal, refusal), "04": (Apology, apology), "05": (Stopping, stopping)}


def render(form: str, facts_json: str | bytes) -> bytes:
    """The form `form` ("01".."05") from its facts as JSON (how a queue keeps them)."""
    model, draw = FORMS[form]
    return draw(model.model_validate_json(facts_json))
