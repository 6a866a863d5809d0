"""The hand-over record (biên bản bàn giao kết quả): the unit that delivers the result hands it
to the applicant, or to someone they authorised: a one-stop desk at its counter (the provincial
centre's, a commune centre's, an agency's own), or the post office at the address on the postal
item (Decision 45/2016: the post office records the hand-over). The unit is the record's issuer:
its heading, and the sentence saying who handed over. It states the dossier, the result handed
over (its number), who received it and how they were identified, who handed it over and when,
with room for both to sign. Drawn on the same page as the results and forms 01 to 05
(motcua_documents.page); pure, the same facts give the same bytes. Delivery draws it on request
from its work item (docs/workspace.md)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_RIGHT

from motcua_documents.forms import FormFacts, _dossier_lines, _Page, _when
from motcua_documents.page import (
    CENTRED,
    CONTENT_WIDTH,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    bold,
    draw_header,
    draw_lookup,
    finish,
    new_canvas,
    paragraph,
    style,
)

TITLE = "BIÊN BẢN BÀN GIAO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
SUFFIX = "BBBG"  # the number: {dossier code}/BBBG, one hand-over per dossier
RELATIONS = {"self": "người nộp hồ sơ", "authorised": "người được người nộp hồ sơ ủy quyền",
             "addressee": "người nhận tại địa chỉ ghi trên bưu gửi"}
# Who hands over for the delivering unit, as the record says it: the desk's civil servant, or
# the post office's postman.
DELIVERERS = {
    "desk": ("tại {unit}, Bộ phận Một cửa bàn giao kết quả giải quyết hồ sơ sau:",
             "công chức Bộ phận Một cửa"),
    "post": ("{unit} giao kết quả giải quyết hồ sơ sau đến người nhận, tại địa chỉ ghi trên "
             "bưu gửi:", "nhân viên bưu chính")}
LOOKUP_BOTTOM = 70


class HandOverRecord(FormFacts):
    """What the record states, besides the dossier (FormFacts): the result and the hand-over.
    `issuer` is the unit that handed it over (a desk's unit, or the post office: `deliverer`),
    `officer` who did. The post office records no identity check (`identity_checked` None)."""

    result_number: str
    result_ready_at: datetime
    handed_over_at: datetime
    receiver_name: str
    relation: Literal["self", "authorised", "addressee"]
    identity_checked: bool | None
    authorisation: str | None = None
    deliverer: Literal["desk", "post"] = "desk"


def hand_over_record(facts: HandOverRecord) -> bytes:
    buffer = io.BytesIO()
    number = f"{facts.dossier_code}/{SUFFIX}"
    canvas = new_canvas(buffer, title=f"Biên bản bàn giao kết quả {facts.dossier_code}",
                        author=facts.issuer, subject=f"Hồ sơ {facts.dossier_code}")
    page = _Page(canvas, draw_header(canvas, issuer=facts.issuer, number=number,
                                     dated=facts.handed_over_at, place=facts.place))
    paragraph(canvas, "Biên bản bàn giao", style("form", "VN-Italic", 9, alignment=TA_RIGHT),
              MARGIN, PAGE_HEIGHT - MARGIN + 20, CONTENT_WIDTH)
    page.y -= 28
    page.write(escape(TITLE), style("title", "VN-Bold", 14, **CENTRED), gap=4)
    page.write(f"Mã hồ sơ: {bold(facts.dossier_code)}", style("code", size=12, **CENTRED),
               gap=18)
    opening, staff = DELIVERERS[facts.deliverer]
    page.write(f"Hồi {_when(facts.handed_over_at)}, "
               + opening.format(unit=escape(facts.issuer)))
    _dossier_lines(page, facts)
    page.write(f"Kết quả giải quyết: văn bản số {bold(facts.result_number)}, có kết quả lúc "
               f"{_when(facts.result_ready_at)}.")
    page.write(f"Bên giao: {escape(facts.officer or '')}, {staff}, {escape(facts.issuer)}.")
    page.write(f"Bên nhận: {bold(facts.receiver_name)}, "
               f"{escape(RELATIONS[facts.relation])}.")
    if facts.identity_checked is not None:
        page.write("Đã kiểm tra giấy tờ tùy thân của người nhận." if facts.identity_checked
                   else "Chưa kiểm tra giấy tờ tùy thân của người nhận.")
    if facts.authorisation:
        page.write(f"Giấy ủy quyền: {escape(facts.authorisation)}.")
    page.write("Bên nhận đã nhận đủ kết quả nêu trên. Biên bản lập thành hai bản, mỗi bên giữ "
               "một bản.", gap=24)
    top = page.y
    half = PAGE_WIDTH / 2 - MARGIN
    for x, who, name in ((MARGIN, "BÊN NHẬN", facts.receiver_name),
                         (PAGE_WIDTH / 2, "BÊN GIAO", facts.officer or "")):
        y = paragraph(canvas, who, style("side", "VN-Bold", 11, **CENTRED), x, top, half)
        y = paragraph(canvas, "(Ký, ghi rõ họ tên)", style("hint", "VN-Italic", 10, **CENTRED),
                      x, y, half)
        paragraph(canvas, escape(name), style("name", "VN-Bold", 11, **CENTRED), x, y - 60,
                  half)
    draw_lookup(canvas, facts.lookup_url, MARGIN, LOOKUP_BOTTOM)
    return finish(canvas, buffer)
