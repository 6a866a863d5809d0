"""The leader's view of the draft result (approval and signing items): the result PDF as it
will be issued, drawn with the renderer signing seals (motcua_documents.result), marked
"DỰ THẢO", without a seal or a number. Shown in the item page in a frame, and downloadable.

Drawn here, in the workspace, and not by the stage, because of what it prints: the applicant's
name is sealed in every hand-off, and approval holds no right to the data keys (docs/privacy.md);
giving it one for a preview would widen who opens personal data. The workspace reads the name
from intake's officer view of the dossier, which checks that the officer's agency takes part
and records the read, and the draft's content from the stage's own item, which the work queue
checks by role and agency as for every read. A draft needs no key to draw: it is not sealed.

    GET /viec/{stage}/{item}/du-thao.pdf[?tai=true]   approval and signing items
        at approval also &ket_qua=approved|denied&noi_dung=...: what the leader is about to
        decide, drawn before they decide it (the page's "Xem trước" form, into the frame)"""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from motcua_catalogue import Catalogue
from motcua_contracts.dossier import ProcedureTerms
from motcua_documents.page import lookup_url
from motcua_documents.result import (
    DRAFT_NUMBER,
    MEDIA_TYPE,
    ResultFacts,
    Titled,
    default_decision,
    result_facts,
)
from motcua_documents.result_page import render_pdf
from motcua_workspace.context import PageError
from motcua_workspace.item_panels import ItemOnPage, panel
from motcua_workspace.pages import ItemId, Who, WorkspaceDep, reader_at, refused, stage_name

router = APIRouter()
DRAFT_STAGES = ("approval", "signing")
ERASED_NAME = "(dữ liệu cá nhân đã được xóa)"  # as signing prints it after an erasure
# A PDF shown in the page's frame runs nothing of its own (as a dossier's files).
PDF_POLICY = ("sandbox allow-same-origin; default-src 'none'; img-src 'self'; "
              "object-src 'self'; frame-ancestors 'self'")


class NoDraft(ValueError):
    """The item states no result to draw (another kind of item, or no outcome yet)."""


@dataclass(frozen=True)
class Wording:
    """What the leader is about to decide at approval, to see it drawn before deciding: the
    outcome, and their own text (the decision, or the refusal's reason); None keeps the draft's."""

    outcome: Literal["approved", "denied"]
    text: str | None = None


def draft_outcome(stage: str, item: dict[str, Any], procedure_name: str,
                  wording: Wording | None = None) -> tuple[str, str]:
    """(outcome, body) the result will state. At approval: what appraisal recommended, the
    decision approval issues by default or the findings as the refusal's reason, or what the
    leader is about to decide (`wording`); at signing: what the leader decided."""
    context = item.get("context") or {}
    if item.get("kind") != "dossier":
        raise NoDraft(f"a {item.get('kind')} item has no result")
    if item.get("state") == "done":
        # Decided: what was issued may differ from the draft (a leader's own text, a denial);
        # the result itself is the dossier's from now on.
        raise NoDraft(f"the item was decided ({item.get('outcome')}): no draft any more")
    if stage == "approval" and wording is not None:
        if wording.text:
            return wording.outcome, wording.text
        if wording.outcome == "approved":
            return "approved", default_decision(procedure_name, item["code"])
        if context.get("recommendation") == "deny":
            return "denied", str(context.get("findings") or "")
        raise NoDraft("a denial needs its reason")
    if stage == "approval":
        recommendation = context.get("recommendation")
        if recommendation == "approve":
            return "approved", default_decision(procedure_name, item["code"])
        if recommendation == "deny":
            return "denied", str(context.get("findings") or "")
        raise NoDraft("appraisal made no recommendation")
    if stage == "signing" and context.get("outcome") in ("approved", "denied"):
        return context["outcome"], str(context.get("body") or "")
    raise NoDraft(f"no draft result at {stage}")


def draft_facts(stage: str, item: dict[str, Any], dossier: dict[str, Any],
                catalogue: Catalogue, *, now: datetime, public_base_url: str,
                wording: Wording | None = None) -> ResultFacts:
    """The result's facts as signing will state them, but the number (given when sealed) and
    the time (the draft's)."""
    # The terms of the dossier's catalogue version, as signing seals it; an item of an event
    # older than the terms: the workspace's catalogue.
    terms = item.get("terms")
    procedure: Titled | None = (ProcedureTerms.model_validate(terms) if terms
                                else catalogue.procedures.get(item["procedure_code"]))
    procedure_name = procedure.name if procedure else item["procedure_code"]
    outcome, body = draft_outcome(stage, item, procedure_name, wording)
    agency = catalogue.agencies.get(item["agency"])
    applicant = dossier.get("applicant") or {}
    name = ERASED_NAME if dossier.get("personal_data_erased") or not applicant \
        else str(applicant.get("full_name") or "")
    return result_facts(
        procedure=procedure, agency_name=agency.name if agency else item["agency"],
        result_number=DRAFT_NUMBER, dossier_code=item["code"], applicant_name=name,
        procedure_code=item["procedure_code"], outcome=outcome, body=body,
        received_at=datetime.fromisoformat(dossier["received_at"]), issued_at=now,
        lookup_url=lookup_url(public_base_url, item["code"]))


@router.get("/viec/{stage}/{item_id}/du-thao.pdf")
async def draft_pdf(stage: str, item_id: ItemId, ws: WorkspaceDep, who: Who,
                    tai: Annotated[bool, Query()] = False,
                    ket_qua: Annotated[Literal["approved", "denied"] | None, Query(
                        description="At approval: the outcome to draw (default: appraisal's "
                                    "recommendation)")] = None,
                    noi_dung: Annotated[str | None, Query(max_length=4000, description=(
                        "At approval: the decision's text or the refusal's reason to draw"))
                    ] = None) -> Response:
    if stage not in DRAFT_STAGES:
        raise PageError(404, "Không có dự thảo", "Chỉ việc ở bước phê duyệt và ký số có dự thảo "
                                                 "kết quả.")
    officer = reader_at(who, stage)
    answer = await ws.upstream.item(officer, str(item_id), stage=stage)
    if not answer.ok:
        raise refused(answer, stage_name(stage))
    item = answer.body
    dossier = await ws.upstream.dossier(officer, item["code"])
    if not dossier.ok:
        raise refused(dossier, "Bộ phận tiếp nhận")
    try:
        wording = Wording(ket_qua, (noi_dung or "").strip() or None) if ket_qua else None
        facts = draft_facts(stage, item, dossier.body, ws.catalogue, now=ws.now(),
                            public_base_url=ws.settings.public_base_url, wording=wording)
    except NoDraft as missing:
        raise PageError(409, "Không có dự thảo", "Việc này không có dự thảo kết quả để xem: "
                        "việc khác loại, chưa có đề xuất, đã được quyết định, hoặc văn bản từ "
                        "chối chưa có lý do.", str(missing)) from None
    pdf = await asyncio.to_thread(render_pdf, facts, draft=True)
    name = f"du-thao-{item['code']}.pdf"
    return Response(pdf, media_type=MEDIA_TYPE, headers={
        "Content-Disposition": f"{'attachment' if tai else 'inline'}; filename=\"{name}\"",
        "Cache-Control": "no-store", "Content-Security-Policy": PDF_POLICY})


@panel
async def draft_panel(on_page: ItemOnPage) -> dict[str, Any]:
    """The draft's frame, for the dossier items of approval and signing."""
    if on_page.stage not in DRAFT_STAGES or on_page.item.get("kind") != "dossier" \
            or on_page.item.get("state") == "done":
        return {}
    path = f"/viec/{on_page.stage}/{on_page.item['id']}/du-thao.pdf"
    context = on_page.item.get("context") or {}
    return {"draft": {"url": path, "download": path + "?tai=true",
                      # At approval the leader may draw what they are about to decide.
                      "rewordable": on_page.stage == "approval" and on_page.acting,
                      "recommended": "denied" if context.get("recommendation") == "deny"
                      else "approved"}}
