"""The delivery desk (trả kết quả) on the item page of a delivery item: the result to hand
over (its number, when it was ready, how the applicant chose to receive it), the applicant to
compare with the identity paper, and the two things the desk does: hand it over at the counter
(the receiver's name, in person or authorised, the identity paper checked, the power of
attorney) or hand it to the post office; once handed over, the hand-over record (biên bản bàn
giao) in the page and to download. On the post office's own item, its record once it delivered
the result to someone its officer recorded.

The decisions are delivery's own (`hand-over`, `hand-to-post`): this module only gives the
hand-over its own form, checked in Vietnamese before it is sent, and back to the item page
afterwards so that the record can be printed. The record is drawn by delivery from its item
(motcua_delivery.record), which keeps the receiver's name sealed: the workspace never holds it.

    POST /viec/delivery/{item}/trao-ket-qua         hand over at the counter
    GET  /viec/delivery/{item}/bien-ban.pdf[?tai=true]   the hand-over record"""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from motcua_workspace.forms import decision_forms, read_form
from motcua_workspace.item_panels import ItemOnPage, panel
from motcua_workspace.pages import (
    Form,
    ItemId,
    Who,
    WorkspaceDep,
    account_of,
    check_csrf,
    officer_at,
    reader_at,
    refused,
    render_item,
    stage_name,
)
from motcua_workspace.upstream import Answer

router = APIRouter()
STAGE = "delivery"
HAND_OVER, HAND_TO_POST = "hand-over", "hand-to-post"
POSTAL = "postal"  # the post office's own item (motcua_delivery.decisions.POSTAL)
RECORD = "hand-over-record"  # delivery's document of the item (motcua_delivery.record)
PDF_POLICY = ("sandbox allow-same-origin; default-src 'none'; img-src 'self'; "
              "object-src 'self'; frame-ancestors 'self'")


def hand_over_problems(submitted: dict[str, list[str]]) -> dict[str, str]:
    """What the desk must do before handing over, said in Vietnamese (delivery refuses the
    same, in its own words)."""
    def value(name: str) -> str:
        values = submitted.get(name) or [""]
        return values[-1].strip()

    problems: dict[str, str] = {}
    if not value("receiver_name"):
        problems["receiver_name"] = "Cần nhập họ tên người nhận kết quả."
    elif any(character.isdigit() for character in value("receiver_name")):
        problems["receiver_name"] = ("Chỉ ghi họ tên người nhận; không ghi số giấy tờ tùy thân "
                                     "(số giấy tờ không được lưu).")
    if value("identity_checked") not in ("true", "on", "1"):
        problems["identity_checked"] = ("Cần kiểm tra giấy tờ tùy thân của người nhận trước khi "
                                        "trao kết quả.")
    if value("relation") == "authorised" and not value("authorisation"):
        problems["authorisation"] = ("Người nhận thay phải xuất trình giấy ủy quyền: ghi số, "
                                     "ngày của giấy ủy quyền.")
    return problems


@router.post("/viec/delivery/{item_id}/trao-ket-qua")
async def hand_over(request: Request, item_id: ItemId, ws: WorkspaceDep, who: Who,
                    form: Form) -> Response:
    check_csrf(who.csrf_token, form)
    officer = officer_at(who, STAGE)
    forms = {f.name: f for f in decision_forms(await ws.upstream.openapi(officer), [HAND_OVER])}
    body, errors = read_form(forms[HAND_OVER], form, account_of(who))
    errors = {**errors, **hand_over_problems(form)}
    if errors:
        return await render_item(request, ws, who, STAGE, item_id, status=422, chosen=HAND_OVER,
                                 problem="Chưa trao được kết quả: xem các ô được đánh dấu.",
                                 errors=errors, submitted=form)
    if body.get("relation") != "authorised":
        body.pop("authorisation", None)
    answer = await ws.upstream.decide(officer, str(item_id), HAND_OVER, body)
    if not answer.ok:
        if answer.status in (403, 404):
            raise refused(answer, stage_name(STAGE))
        return await render_item(request, ws, who, STAGE, item_id, status=answer.status,
                                 chosen=HAND_OVER, submitted=form,
                                 problem=f"Bước trả kết quả không chấp nhận: {answer.message}")
    ws.log.info("result handed over at the counter", officer=who.user_name, agency=who.agency,
                item=str(item_id))
    return RedirectResponse(f"/viec/delivery/{item_id}#bien-ban", status_code=303)


@router.get("/viec/delivery/{item_id}/bien-ban.pdf")
async def hand_over_record(item_id: ItemId, ws: WorkspaceDep, who: Who,
                           tai: Annotated[bool, Query()] = False) -> Response:
    officer = reader_at(who, STAGE)
    answer = await ws.upstream.item_document(officer, str(item_id), RECORD, stage=STAGE)
    if answer.status_code >= 400:
        try:
            body = answer.json()
        except ValueError:
            body = None
        raise refused(Answer(answer.status_code, body), stage_name(STAGE))
    disposition = answer.headers.get("content-disposition", "inline").split(";", 1)
    name = disposition[1].strip() if len(disposition) > 1 else 'filename="bien-ban.pdf"'
    return Response(answer.content, media_type="application/pdf", headers={
        "Content-Disposition": f"{'attachment' if tai else 'inline'}; {name}",
        "Cache-Control": "no-store", "Content-Security-Policy": PDF_POLICY})


@panel
async def delivery_panel(on_page: ItemOnPage) -> dict[str, Any]:
    """The desk's panel on a delivery item of the one-stop desk: it takes the hand-over and
    hand-to-post forms over from the side column. On the post office's item, only its
    hand-over record once it delivered to a recipient its officer recorded."""
    item = on_page.item
    if on_page.stage != STAGE:
        return {}
    context = item.get("context") or {}
    handed = context.get("handed_over")
    base = f"/viec/delivery/{item['id']}/bien-ban.pdf"
    if item.get("kind") == POSTAL:
        # The post office's item: its decisions stay in the side column; once its officer
        # recorded who signed for the result, the post office's own hand-over record.
        return {"post_record": {"received_by": handed.get("received_by"), "at": handed["at"],
                                "url": base, "download": base + "?tai=true"}
                if isinstance(handed, dict) else None}
    if item.get("kind") != "dossier":
        return {}
    dossier = on_page.dossier or {}
    applicant = dossier.get("applicant") or {}
    channel = dossier.get("delivery_channel")
    # The one the applicant chose (both when the dossier could not be read: the stage refuses
    # the other one with its message).
    wanted = {"counter": (HAND_OVER,), "postal": (HAND_TO_POST,), "online": ()}.get(
        channel or "", (HAND_OVER, HAND_TO_POST))
    desk_forms = {f.name: f for f in on_page.forms if f.name in wanted}
    return {
        "desk": {"channel": channel,
                 "result_number": context.get("result_number"),
                 "ready_at": context.get("ready_at"),
                 "applicant_name": applicant.get("full_name"),
                 "delivery_address": applicant.get("delivery_address"),
                 "handed_over": handed if isinstance(handed, dict) else None,
                 "record": {"url": base, "download": base + "?tai=true"}
                 if isinstance(handed, dict) else None,
                 "hand_over": desk_forms.get(HAND_OVER),
                 "hand_to_post": desk_forms.get(HAND_TO_POST)},
        "forms": [f for f in on_page.forms if f.name not in (HAND_OVER, HAND_TO_POST)]}
