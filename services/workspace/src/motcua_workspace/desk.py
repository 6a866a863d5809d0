"""The desk's pages (intake at the centre, role `intake`): file a dossier for a citizen who
stands at the counter, then the dossier with its forms 01, 02 and 03 to print.

    GET  /quay?thu_tuc=CODE          choose the procedure (its documents, form fields and fees
                                     listed), then the filing form
    POST /quay/nop                   the filing (multipart: the fields and the scanned files)
    GET  /quay/ho-so?ma=CODE         open a dossier by its code
    GET  /quay/ho-so/{code}          the dossier as filed, its check at the desk, its forms;
                                     while it waits for a supplement, the form to file the
                                     papers the citizen brings (motcua_workspace.desk_supplement)
    GET  /ho-so/{code}/mau/{form}    a form's PDF from intake (01 to 05)

Filing goes through intake's own API with the officer's token: the files to `POST /api/files`
(all in one request), then `POST /api/officer/dossiers` naming them, with the form's own
Idempotency-Key. The completeness check is then intake's: automatic, or an item in the desk's
queue (/hang-doi?vai_tro=intake) where the catalogue puts officers in charge."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

import uuid
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from motcua_catalogue import Procedure
from motcua_catalogue.communes import commune_choices, commune_of, unit_name
from motcua_contracts.intake import MAX_DOCUMENTS
from motcua_files.upload import describe_bytes
from motcua_runtime.officers import Officer
from motcua_workspace import desk_upstream
from motcua_workspace.context import PageError, Workspace, page
from motcua_workspace.desk_filing import (
    APPLICANT_FIELDS,
    COMMUNE_FIELD,
    DATA_PREFIX,
    FILE_PREFIX,
    FileLimits,
    Scan,
    check_scans,
    read_filing,
)
from motcua_workspace.desk_upload import DeskForm, FormRefused, SpooledFile, read_desk_form
from motcua_workspace.pages import (
    CODE,
    Who,
    WorkspaceDep,
    check_csrf,
    officer_at,
    refused,
)
from motcua_workspace.sessions import SignedIn
from motcua_workspace.upstream import Unreachable

router = APIRouter()
DESK = "intake"
FORM_NUMBER = Annotated[str, Path(pattern=r"^0[1-5]$")]
PRINTED = ("01", "02", "03")  # what the desk hands the citizen: receipt, supplement, refusal
# Room in a filing's body for its fields and the parts' headers, beside the files themselves.
FIELDS_BYTES = 1024 * 1024


@cache
def file_limits() -> FileLimits:
    return FileLimits()


def procedure_named(ws: Workspace, code: str) -> Procedure:
    procedure = ws.catalogue.procedures.get(code)
    if procedure is None:
        raise PageError(404, "Không có thủ tục này",
                        f"Thủ tục {code!r} không có trong danh mục thủ tục hành chính.")
    return procedure


def procedures_by_agency(ws: Workspace) -> list[tuple[str, list[Procedure]]]:
    """The catalogue's procedures under their competent agency, for the choice; commune-level
    ones under the kind of commune unit that handles them (the applicant's commune's)."""
    grouped: dict[str, list[Procedure]] = {}
    for procedure in ws.catalogue.procedures.values():
        if commune_choices(ws.catalogue, procedure):
            label = f"Cấp xã: {unit_name(ws.catalogue, procedure)} xã, phường"
        else:
            label = ws.agency_name(procedure.agency)
        grouped.setdefault(label, []).append(procedure)
    return [(label, sorted(items, key=lambda p: p.name))
            for label, items in sorted(grouped.items())]


def desk_page(request: Request, ws: Workspace, who: SignedIn, procedure: Procedure | None, *,
              status: int = 200, problem: str | None = None, detail: str = "",
              errors: dict[str, str] | None = None, given: dict[str, str] | None = None,
              key: str | None = None) -> Response:
    # A commune-level procedure: the applicant's commune, by default the desk's own.
    communes = commune_choices(ws.catalogue, procedure) if procedure is not None else []
    given = dict(given or {})
    desk_unit = ws.catalogue.agencies.get(who.agency)
    if communes and COMMUNE_FIELD not in given and desk_unit is not None:
        given[COMMUNE_FIELD] = commune_of(desk_unit) or ""
    return page(request, "desk.html", status=status, who=who, procedure=procedure,
                groups=procedures_by_agency(ws), agency_name=ws.agency_name,
                communes=communes, commune_field=COMMUNE_FIELD,
                commune_unit_name=unit_name(ws.catalogue, procedure)
                if procedure is not None and communes else "",
                problem=problem, detail=detail, errors=errors or {}, given=given,
                filing_key=key or str(uuid.uuid4()), limits=file_limits(),
                applicant_fields=APPLICANT_FIELDS, data_prefix=DATA_PREFIX,
                file_prefix=FILE_PREFIX, max_documents=MAX_DOCUMENTS)


@router.get("/quay")
async def desk(request: Request, ws: WorkspaceDep, who: Who,
               thu_tuc: Annotated[str, Query(max_length=16)] = "") -> Response:
    officer_at(who, DESK)
    procedure = procedure_named(ws, thu_tuc) if thu_tuc else None
    if procedure is not None:
        given = {"le_phi": str(procedure.fee_counter), "nhan_ket_qua": "counter"}
    else:
        given = {}
    return desk_page(request, ws, who, procedure, given=given)


async def desk_form_of(request: Request) -> DeskForm:
    """The filing's multipart body, bounded before it is read: the dossier's files at most, and
    room for the fields (a browser always says how long its form is)."""
    limits = file_limits()
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise PageError(411, "Thiếu độ dài nội dung",
                        "Trình duyệt cần gửi độ dài của biểu mẫu (Content-Length).")
    if int(length) > limits.max_dossier_bytes + FIELDS_BYTES:
        raise PageError(413, "Hồ sơ quá lớn",
                        f"Các tệp của hồ sơ cộng lại vượt quá "
                        f"{describe_bytes(limits.max_dossier_bytes)}. Chưa lưu tệp nào.")
    try:
        return await read_desk_form(request.headers.get("content-type"), request.stream(),
                                    max_file_bytes=limits.max_file_bytes,
                                    max_files=MAX_DOCUMENTS)
    except FormRefused as refusal:
        raise PageError(refusal.status, "Biểu mẫu không đọc được",
                        "Nội dung gửi lên không phải biểu mẫu tiếp nhận hồ sơ hợp lệ. Chưa lưu "
                        "tệp nào.", str(refusal)) from None


@router.post("/quay/nop")
async def file_dossier(request: Request, ws: WorkspaceDep, who: Who) -> Response:
    form = await desk_form_of(request)
    try:
        return await _file(request, ws, who, form)
    finally:
        form.close()


async def _file(request: Request, ws: Workspace, who: SignedIn, form: DeskForm) -> Response:
    fields = form.fields
    check_csrf(who.csrf_token, {name: [value] for name, value in fields.items()})
    officer = officer_at(who, DESK)
    procedure = procedure_named(ws, fields.get("thu_tuc", ""))
    key = fields.get("ma_nop", "")
    try:
        key = str(uuid.UUID(key))
    except ValueError:
        key = str(uuid.uuid4())
    uploads: list[tuple[str, SpooledFile]] = [
        (document, form.files[f"{FILE_PREFIX}{index}"])
        for index, document in enumerate(procedure.required_documents)
        if f"{FILE_PREFIX}{index}" in form.files]
    body, errors = read_filing(fields, procedure, len(uploads))

    def again(status: int, problem: str, detail: str = "") -> Response:
        return desk_page(request, ws, who, procedure, status=status, problem=problem,
                         detail=detail, errors=errors, given=fields, key=key)

    if errors:
        return again(422, "Biểu mẫu còn thiếu hoặc sai: xem các ô được đánh dấu. Các tệp cần "
                          "được chọn lại.")
    refusal = check_scans([Scan(document, spooled.file_name, spooled.content_type,
                                spooled.size, spooled.head) for document, spooled in uploads],
                          file_limits())
    if refusal is not None:
        errors[uploads[refusal.index][1].field_name] = refusal.message
        return again(refusal.status, "Có tệp không được chấp nhận, nên chưa lưu tệp nào của "
                                     "hồ sơ. Hãy chọn lại các tệp.", refusal.detail)
    stored = await desk_upstream.upload(ws.upstream, officer, [
        (spooled.file_name, spooled.file, spooled.content_type or "application/octet-stream")
        for _, spooled in uploads])
    if not stored.ok:
        return again(stored.status if 400 <= stored.status < 500 else 502,
                     "Bộ phận tiếp nhận không lưu được tệp của hồ sơ.", stored.message)
    body["documents"] = [{"name": document, "sha256": file["sha256"]}
                         for (document, _), file in zip(uploads, stored.body["files"],
                                                        strict=True)]
    filed = await desk_upstream.file_at_counter(ws.upstream, officer, body, key)
    if not filed.ok:
        return again(filed.status if 400 <= filed.status < 500 else 502,
                     "Bộ phận tiếp nhận không nhận hồ sơ.", filed.message)
    code = filed.body["code"]
    ws.log.info("dossier filed at the counter", officer=who.user_name, agency=who.agency,
                procedure=procedure.code, code=code)
    return RedirectResponse(f"/quay/ho-so/{code}?" + urlencode({"moi": "1"}), status_code=303)


@router.get("/quay/ho-so")
async def open_by_code(who: Who, ws: WorkspaceDep,
                       ma: Annotated[str, Query(max_length=40)] = "") -> Response:
    officer_at(who, DESK)
    code = ma.strip()
    if not code or not all(c.isalnum() or c in ".-" for c in code):
        # The example is of this installation's codes: the desk's own agency's e-ID.
        agency = ws.catalogue.agencies.get(who.agency)
        example = f"{agency.electronic_id if agency else '000.00.00.X00'}-251124-0001"
        raise PageError(422, "Mã hồ sơ không hợp lệ",
                        "Mã hồ sơ gồm chữ số, chữ cái, dấu chấm và dấu gạch ngang, ví dụ "
                        f"{example}.")
    return RedirectResponse(f"/quay/ho-so/{code}", status_code=303)


@router.get("/quay/ho-so/{code}")
async def dossier_page(request: Request, code: CODE, ws: WorkspaceDep, who: Who,
                       moi: Annotated[bool, Query()] = False,
                       bo_sung: Annotated[bool, Query()] = False) -> Response:
    officer = officer_at(who, DESK)
    dossier = await ws.upstream.dossier(officer, code)
    if not dossier.ok:
        raise refused(dossier, "Bộ phận tiếp nhận")
    return await show_dossier(request, ws, who, officer, code, dossier.body, new=moi,
                              supplemented=bo_sung)


async def show_dossier(request: Request, ws: Workspace, who: SignedIn, officer: Officer,
                       code: str, dossier: dict[str, Any], *, status: int = 200,
                       new: bool = False, supplemented: bool = False,
                       supplement: dict[str, Any] | None = None) -> Response:
    """The dossier's page at the desk; `supplement`: the counter supplement's form sent back
    with its problem, errors and typed values (motcua_workspace.desk_supplement)."""
    listed = await desk_upstream.forms(ws.upstream, officer, code)
    issued: dict[str, Any] = {}
    for stored in (listed.body or {}).get("forms", []) if listed.ok else []:
        issued[stored["form"]] = stored  # the newest of a kind last, as intake lists them
    procedure = ws.catalogue.procedures.get(dossier.get("procedure_code", ""))
    asked = next((s for s in reversed(dossier.get("supplements") or [])
                  if s.get("kind") == "requested"), None)
    asked_for = list(dossier.get("supplement_documents") or [])
    return page(request, "desk_dossier.html", status=status, who=who, dossier=dossier,
                code=code, issued=issued, printed=PRINTED,
                item=await desk_item(ws, officer, code), new=new, supplemented=supplemented,
                procedure=procedure, asked=asked, asked_for=asked_for,
                to_bring=documents_to_bring(dossier, procedure), supplement=supplement or {},
                limits=file_limits(), file_prefix=FILE_PREFIX)


def documents_to_bring(dossier: dict[str, Any], procedure: Procedure | None) -> list[str]:
    """The counter supplement's file fields, one per document: those the request waited for
    asks for, as intake lists them; a request that names none (a correction asked in words)
    falls back to the procedure's required documents. Both the page and the filing read it,
    so field `tep_i` is the same document in each."""
    asked_for = [str(name) for name in dossier.get("supplement_documents") or []]
    if asked_for:
        return asked_for
    return list(procedure.required_documents) if procedure else []


async def desk_item(ws: Workspace, officer: Officer, code: str) -> dict[str, Any] | None:
    """The dossier's item in the desk's queue, if officers check it here (else None: intake
    checks it by itself, or the desk's queue is not reachable, which the queue page says)."""
    try:
        items = await ws.upstream.items(officer, "all")
    except Unreachable:
        return None
    item = next((i for i in (items.body or []) if i.get("code") == code), None) \
        if items.ok else None
    return ws.item_view(item) if item else None




@router.get("/ho-so/{code}/mau/{form}")
async def form_pdf(code: CODE, form: FORM_NUMBER, ws: WorkspaceDep, who: Who,
                   vai_tro: Annotated[str, Query(max_length=16)] = DESK,
                   tai: Annotated[bool, Query()] = False) -> Response:
    """A dossier's form 01 to 05 from intake's officer download (intake decides whether this
    officer's agency may read it, and records the read)."""
    officer = officer_at(who, vai_tro)
    answer, pdf = await desk_upstream.form_pdf(ws.upstream, officer, code, form)
    if not answer.ok:
        if answer.status == 409:
            raise PageError(409, "Chưa có phiếu này",
                            f"Hồ sơ {code} chưa có phiếu mẫu số {form}: phiếu được lập khi hồ "
                            "sơ được tiếp nhận (01), yêu cầu bổ sung (02) hoặc từ chối (03); "
                            "phiếu vừa lập có ngay sau vài giây.", answer.message)
        raise refused(answer, "Bộ phận tiếp nhận")
    disposition = "attachment" if tai else "inline"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="mau-{form}-{code}.pdf"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox allow-same-origin; default-src 'none'; "
                                   "object-src 'self'; frame-ancestors 'self'"})
