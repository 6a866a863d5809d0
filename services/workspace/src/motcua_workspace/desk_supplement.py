"""The supplement at the counter (role `intake`): a dossier waits for missing papers (status 5,
asked by the desk or by the competent agency's appraisal), the citizen brings them to the desk,
and the desk officer scans and files them from the dossier's page:

    POST /quay/ho-so/{code}/bo-sung    multipart: one file per document brought (one of
                                       those the request asks for, or another one named)

The scans are read and checked as the counter filing's are (motcua_workspace.desk_upload,
desk_filing.check_scans: the name, the type judged from the bytes, the size of each and of the
dossier with its files so far); a refused one is shown in the page and nothing leaves the
workspace. Then the files go to intake's `POST /api/files` and the supplement to
`POST /api/officer/dossiers/{code}/supplement`: intake's own supplement path (the applicant's
checks, the same `SupplementProvided`), with the officer as its actor."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from motcua_workspace import desk_upstream
from motcua_workspace.context import Workspace
from motcua_workspace.desk import (
    DESK,
    desk_form_of,
    documents_to_bring,
    file_limits,
    show_dossier,
)
from motcua_workspace.desk_filing import FILE_PREFIX, Scan, check_scans
from motcua_workspace.desk_upload import DeskForm, SpooledFile
from motcua_workspace.pages import CODE, Who, WorkspaceDep, check_csrf, officer_at, refused
from motcua_workspace.sessions import SignedIn

router = APIRouter()
WAITING_FOR_SUPPLEMENT = 5  # the national status "Yêu cầu bổ sung giấy tờ"
OTHER_FILE = "tep_khac"  # a document outside the procedure's list (appraisal may ask for one)
OTHER_NAME = "ten_khac"
MAX_NAME = 300  # intake's FiledDocument.name


@dataclass(frozen=True)
class Brought:
    """One paper the citizen brought: which document it is, and its scan."""

    document: str
    scan: SpooledFile


def read_supplement(form: DeskForm, documents: list[str]
                    ) -> tuple[list[Brought], dict[str, str]]:
    """The documents brought, in the form's order, and the errors by field (Vietnamese).
    `documents`: the form's file fields, `tep_i` the i-th (desk.documents_to_bring)."""
    errors: dict[str, str] = {}
    brought = [Brought(document, form.files[f"{FILE_PREFIX}{index}"])
               for index, document in enumerate(documents)
               if f"{FILE_PREFIX}{index}" in form.files]
    other_name = " ".join(form.fields.get(OTHER_NAME, "").split())
    if OTHER_FILE in form.files:
        if not other_name:
            errors[OTHER_NAME] = "Cần ghi tên giấy tờ của tệp này."
        elif len(other_name) > MAX_NAME:
            errors[OTHER_NAME] = f"Tên giấy tờ tối đa {MAX_NAME} ký tự."
        else:
            brought.append(Brought(other_name, form.files[OTHER_FILE]))
    elif other_name:
        errors[OTHER_FILE] = f"Chọn tệp bản quét của “{other_name}”."
    if not brought and not errors:
        errors[f"{FILE_PREFIX}0"] = ("Cần chọn ít nhất một tệp: bản quét giấy tờ công dân mang "
                                     "đến bổ sung.")
    return brought, errors


@router.post("/quay/ho-so/{code}/bo-sung")
async def supplement_at_counter(request: Request, code: CODE, ws: WorkspaceDep,
                                who: Who) -> Response:
    form = await desk_form_of(request)
    try:
        return await _supplement(request, ws, who, code, form)
    finally:
        form.close()


async def _supplement(request: Request, ws: Workspace, who: SignedIn, code: str,
                      form: DeskForm) -> Response:
    check_csrf(who.csrf_token, {name: [value] for name, value in form.fields.items()})
    officer = officer_at(who, DESK)
    dossier = await ws.upstream.dossier(officer, code)
    if not dossier.ok:
        raise refused(dossier, "Bộ phận tiếp nhận")
    procedure = ws.catalogue.procedures.get(dossier.body["procedure_code"])
    brought, errors = read_supplement(form, documents_to_bring(dossier.body, procedure))
    given = {OTHER_NAME: form.fields.get(OTHER_NAME, "")}

    async def again(status: int, problem: str, detail: str = "") -> Response:
        return await show_dossier(request, ws, who, officer, code, dossier.body, status=status,
                            supplement={"problem": problem, "detail": detail,
                                        "errors": errors, "given": given})

    if dossier.body["status"]["code"] != WAITING_FOR_SUPPLEMENT:
        return await again(409, "Hồ sơ không ở trạng thái chờ bổ sung, nên không nhận bổ sung "
                                "được. Chưa lưu tệp nào.")
    if errors:
        return await again(422, "Biểu mẫu bổ sung còn thiếu hoặc sai: xem các ô được đánh dấu. "
                                "Các tệp cần được chọn lại.")
    already = sum(int(d.get("size") or 0) for d in dossier.body.get("documents") or [])
    refusal = check_scans([Scan(b.document, b.scan.file_name, b.scan.content_type, b.scan.size,
                                b.scan.head) for b in brought], file_limits(), already=already)
    if refusal is not None:
        errors[brought[refusal.index].scan.field_name] = refusal.message
        return await again(refusal.status, "Có tệp không được chấp nhận, nên chưa lưu tệp nào "
                                           "của phần bổ sung. Hãy chọn lại các tệp.",
                           refusal.detail)
    stored = await desk_upstream.upload(ws.upstream, officer, [
        (b.scan.file_name, b.scan.file, b.scan.content_type or "application/octet-stream")
        for b in brought])
    if not stored.ok:
        return await again(stored.status if 400 <= stored.status < 500 else 502,
                           "Bộ phận tiếp nhận không lưu được tệp bổ sung.", stored.message)
    documents: list[dict[str, Any]] = [
        {"name": b.document, "sha256": file["sha256"]}
        for b, file in zip(brought, stored.body["files"], strict=True)]
    filed = await desk_upstream.supplement(ws.upstream, officer, code, documents)
    if not filed.ok:
        return await again(filed.status if 400 <= filed.status < 500 else 502,
                           "Bộ phận tiếp nhận không nhận phần bổ sung.", filed.message)
    ws.log.info("supplement filed at the counter", officer=who.user_name, agency=who.agency,
                code=code, documents=len(documents))
    return RedirectResponse(f"/quay/ho-so/{code}?bo_sung=1", status_code=303)
