"""The hand-over record (biên bản bàn giao kết quả): the unit that delivers the result hands it
to the applicant, or to someone they authorised: a one-stop desk at its counter (the provincial
centre's, a commune centre's, an agency's own), or the post office at the address on the postal
item (Decision 45/2016: the post office records the hand-over). The unit is the record's issuer:
its heading, and the sentence saying who handed over. It states the dossier, the result handed
over (its number), who received it and how they were identified, who handed it over and when,
with room for both to sign. Drawn on the same page as forms 01 to 05 (motcua_documents.forms,
on the prepared template); pure, the same facts give the same bytes. Delivery draws it on request
from its work item (docs/workspace.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from motcua_documents.forms import (
    FormFacts,
    Page,
    bold,
    dossier_lines,
    finish,
    start,
    when,
)
from motcua_documents.page import MARGIN, PAGE_WIDTH
from motcua_documents.prepared import TextStyle, paragraph

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
_SIDE = TextStyle("VN-Bold", 11, "centre")
_HINT = TextStyle("VN-Italic", 10, "centre")


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
    page = start(facts, number=f"{facts.dossier_code}/{SUFFIX}", dated=facts.handed_over_at,
                 corner="Biên bản bàn giao", title=TITLE)
    opening, staff = DELIVERERS[facts.deliverer]
    page.write(f"Hồi {when(facts.handed_over_at)}, " + opening.format(unit=facts.issuer))
    dossier_lines(page, facts)
    page.write((("Kết quả giải quyết: văn bản số ", "VN"), bold(facts.result_number),
                (f", có kết quả lúc {when(facts.result_ready_at)}.", "VN")))
    page.write(f"Bên giao: {facts.officer or ''}, {staff}, {facts.issuer}.")
    page.write((("Bên nhận: ", "VN"), bold(facts.receiver_name),
                (f", {RELATIONS[facts.relation]}.", "VN")))
    if facts.identity_checked is not None:
        page.write("Đã kiểm tra giấy tờ tùy thân của người nhận." if facts.identity_checked
                   else "Chưa kiểm tra giấy tờ tùy thân của người nhận.")
    if facts.authorisation:
        page.write(f"Giấy ủy quyền: {facts.authorisation}.")
    page.write("Bên nhận đã nhận đủ kết quả nêu trên. Biên bản lập thành hai bản, mỗi bên giữ "
               "một bản.", gap=24)
    _signatures(page, facts)
    return finish(page, facts, title=f"Biên bản bàn giao kết quả {facts.dossier_code}")


def _signatures(page: Page, facts: HandOverRecord) -> None:
    """Both sides' places to sign, side by side, each with its name under the room left."""
    ops, top = page.pages[-1], page.y
    half = PAGE_WIDTH / 2 - MARGIN
    for x, who, name in ((MARGIN, "BÊN NHẬN", facts.receiver_name),
                         (PAGE_WIDTH / 2, "BÊN GIAO", facts.officer or "")):
        y = paragraph(ops, who, _SIDE, x, top, half)
        y = paragraph(ops, "(Ký, ghi rõ họ tên)", _HINT, x, y, half)
        paragraph(ops, name, _SIDE, x, y - 60, half)
