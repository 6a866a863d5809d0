"""The workspace's pages, each a small route function: sign-in and sign-out, my queue, one work
item with its dossier and the decisions the officer may take now, and a dossier's file streamed
into the page. Every page but sign-in needs a session (else a redirect to sign-in); every POST
needs the form's CSRF token (else 403). What a stage or intake refuses is shown in the page with
their message and their status."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from motcua_runtime.officers import Officer
from motcua_runtime.oidc import SignInRefused
from motcua_runtime.passwords import needs_rehash, verify_password
from motcua_workspace.context import PageError, SignInRequired, Workspace, page, workspace_of
from motcua_workspace.forms import decision_forms, read_form
from motcua_workspace.item_panels import ItemOnPage, panels_for
from motcua_workspace.orm import Account
from motcua_workspace.sessions import (
    COOKIE,
    CSRF_FIELD,
    OIDC_COOKIE,
    SIGN_IN_COOKIE,
    SignedIn,
    account_named,
    new_token,
    tokens_match,
)
from motcua_workspace.upstream import Answer
from motcua_workspace.words import QUEUE_STAGES, STAGES, STATES, folded, label

router = APIRouter()
WorkspaceDep = Annotated[Workspace, Depends(workspace_of)]
ItemId = Annotated[uuid.UUID, Path(description="The work item")]
SHA256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
CODE = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.\-]+$")]
FORM_BYTES = 64 * 1024


async def signed_in(request: Request, ws: WorkspaceDep) -> SignedIn:
    found = await ws.store.find(request.cookies.get(COOKIE), ws.now())
    if found is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else ""))
    request.state.who = found  # the header of an error page names the officer too
    return found


Who = Annotated[SignedIn, Depends(signed_in)]


async def form_of(request: Request) -> dict[str, list[str]]:
    """The urlencoded form of a POST (the pages' forms send nothing else)."""
    body = await request.body()
    if len(body) > FORM_BYTES:
        raise PageError(413, "Biểu mẫu quá lớn", f"Biểu mẫu dài quá {FORM_BYTES // 1024} KiB.")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "Biểu mẫu không đọc được",
                        "Nội dung gửi lên không phải biểu mẫu hợp lệ.") from None


Form = Annotated[dict[str, list[str]], Depends(form_of)]


def last(form: dict[str, list[str]], name: str) -> str:
    """A form field's value (the last one, if sent twice); empty when not sent."""
    values = form.get(name)
    return values[-1] if values else ""


def check_csrf(expected: str | None, form: dict[str, list[str]]) -> None:
    given = last(form, CSRF_FIELD) or None
    if not tokens_match(expected, given):
        raise PageError(403, "Biểu mẫu không hợp lệ",
                        "Biểu mẫu thiếu mã chống giả mạo (CSRF) hoặc mã đã hết hiệu lực. "
                        "Hãy tải lại trang rồi gửi lại.")


def account_of(who: SignedIn) -> dict[str, str]:
    """What a decision's body takes from the signed-in account (forms.FROM_ACCOUNT)."""
    return {"officer_full_name": who.full_name}


def officer_at(who: SignedIn, stage: str) -> Officer:
    """The officer acting at `stage`, which must be one of their roles."""
    if stage not in QUEUE_STAGES:
        raise PageError(404, "Không có trang này", f"Không có bước xử lý {stage!r}.")
    if stage not in who.roles:
        raise PageError(403, "Không có quyền truy cập",
                        f"Tài khoản {who.user_name} không có vai trò "
                        f"{label(STAGES, stage).lower()} ({stage}).")
    return Officer(who.user_name, who.agency, stage)


MANAGER = "manager"


def reader_at(who: SignedIn, stage: str) -> Officer:
    """Who reads an item at `stage`: its officer, or else the agency's manager, who reads every
    stage's items (the overdue list links to them) and decides nothing."""
    if stage in QUEUE_STAGES and stage not in who.roles and MANAGER in who.roles:
        return Officer(who.user_name, who.agency, MANAGER)
    return officer_at(who, stage)


REFUSALS = {
    403: ("Không có quyền truy cập", "Hồ sơ hoặc việc này không thuộc cơ quan của bạn, hoặc "
                                     "cơ quan của bạn không tham gia giải quyết hồ sơ."),
    404: ("Không tìm thấy", "Không có hồ sơ hoặc việc này ở bước xử lý của cơ quan bạn."),
    409: ("Không thực hiện được lúc này", "Việc đã được xử lý, đang chờ phản hồi hoặc do "
                                          "người khác nhận."),
}


def stage_name(stage: str) -> str:
    return f"Bước {label(STAGES, stage).lower()}"


def refused(answer: Answer, what: str) -> PageError:
    """A stage's or intake's refusal as a page: what it means, then their own message."""
    title, meaning = REFUSALS.get(answer.status, ("Yêu cầu bị từ chối", f"{what} từ chối."))
    status = answer.status if 400 <= answer.status < 500 else 502
    said = answer.message or f"HTTP {answer.status}"
    return PageError(status, title, meaning, f"{what}: {said}")


def local_path(target: str | None) -> str:
    """Where to go after sign-in: a path of this site only (never `//host` or a URL)."""
    if target and target.startswith("/") and not target.startswith("//") and \
            "\\" not in target and not any(ord(c) < 32 for c in target):
        return target
    return "/hang-doi"


# ---- sign-in and sign-out ------------------------------------------------------------------------

@router.get("/dang-nhap")
async def sign_in_page(request: Request, ws: WorkspaceDep,
                       tiep: Annotated[str | None, Query(max_length=2000)] = None,
                       da_dang_xuat: Annotated[bool, Query()] = False) -> Response:
    return sign_in_form(request, ws, next_path=local_path(tiep),
                        notice="Bạn đã đăng xuất." if da_dang_xuat else None)


def sign_in_form(request: Request, ws: WorkspaceDep, *, next_path: str, status: int = 200,
                 error: str | None = None, notice: str | None = None,
                 user_name: str = "") -> Response:
    token = new_token()
    response = page(request, "sign_in.html", status=status, csrf=token, next_path=next_path,
                    error=error, notice=notice, user_name=user_name,
                    oidc=ws.oidc is not None)
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=1800, httponly=True, samesite="strict",
                        secure=ws.settings.cookie_secure, path="/dang-nhap")
    return response


@router.post("/dang-nhap")
async def sign_in(request: Request, ws: WorkspaceDep, form: Form) -> Response:
    check_csrf(request.cookies.get(SIGN_IN_COOKIE), form)
    user_name = last(form, "ten").strip().lower()[:64]
    password = last(form, "mat_khau")
    next_path = local_path(last(form, "tiep"))
    client = request.client.host if request.client else "unknown"
    wait = await ws.sign_in_limits.refusal(client, user_name)
    if wait is not None:
        return sign_in_form(request, ws, next_path=next_path, status=429, user_name=user_name,
                            error=f"Đăng nhập sai quá nhiều lần. Xin thử lại sau {wait} giây.")
    async with ws.sessions() as db:
        account = await account_named(db, user_name) if user_name else None
    matched = verify_password(account.password_hash if account else None, password)
    if account is None or not matched or not account.active:
        await ws.sign_in_limits.failed(user_name)
        return sign_in_form(request, ws, next_path=next_path, status=401, user_name=user_name,
                            error="Tên đăng nhập hoặc mật khẩu không đúng.")
    await ws.sign_in_limits.succeeded(user_name)
    if needs_rehash(account.password_hash):
        await ws.rehash(account.id, password)
    return await session_for(ws, account, next_path, how="password")


async def session_for(ws: Workspace, account: Account, next_path: str, *,
                      how: str) -> Response:
    """A new session for `account`, and the browser sent on to `next_path` with its cookie."""
    token = await ws.store.open(account, ws.now())
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                        secure=ws.settings.cookie_secure, path="/",
                        max_age=int(ws.store.limits.absolute.total_seconds()))
    response.delete_cookie(SIGN_IN_COOKIE, path="/dang-nhap")
    response.delete_cookie(OIDC_COOKIE, path="/dang-nhap/oidc")
    ws.log.info("officer signed in", officer=account.user_name, agency=account.agency, how=how)
    return response


@router.get("/dang-nhap/oidc")
async def sign_in_with_provider(ws: WorkspaceDep,
                                tiep: Annotated[str | None, Query(max_length=2000)] = None
                                ) -> Response:
    """To the province's identity provider (OpenID Connect, code flow with PKCE)."""
    if ws.oidc is None:
        raise PageError(404, "Không có trang này", "Chưa cấu hình đăng nhập qua tài khoản "
                                                   "của tỉnh (WORKSPACE_OIDC_ISSUER).")
    try:
        started = await ws.oidc.start(local_path(tiep))
    except SignInRefused as refusal:
        raise PageError(502, "Chưa đăng nhập được", "Hệ thống xác thực của tỉnh chưa trả lời "
                                                    "đúng.", str(refusal)) from None
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(OIDC_COOKIE, started.cookie, max_age=600, httponly=True,
                        samesite="lax", secure=ws.settings.cookie_secure,
                        path="/dang-nhap/oidc")
    return response


@router.get("/dang-nhap/oidc/ve")
async def back_from_provider(request: Request, ws: WorkspaceDep,
                             code: Annotated[str, Query(min_length=1, max_length=4000)],
                             state: Annotated[str, Query(min_length=1, max_length=200)]
                             ) -> Response:
    """The provider's redirect back: the ID token checked, the account of its user name
    signed in (an identity with no account here is refused)."""
    if ws.oidc is None:
        raise PageError(404, "Không có trang này", "Chưa cấu hình đăng nhập qua tài khoản "
                                                   "của tỉnh (WORKSPACE_OIDC_ISSUER).")
    try:
        user_name, next_path = await ws.oidc.finish(code, state, request.cookies.get(OIDC_COOKIE))
    except SignInRefused as refusal:
        ws.log.warning("identity provider sign-in refused", reason=str(refusal))
        return sign_in_form(request, ws, next_path="/hang-doi", status=401,
                            error=f"Không đăng nhập được qua tài khoản của tỉnh: {refusal}.")
    async with ws.sessions() as db:
        account = await account_named(db, user_name)
    if account is None or not account.active:
        return sign_in_form(request, ws, next_path="/hang-doi", status=403,
                            error=f"Tài khoản {user_name} của tỉnh chưa được cấp quyền trong "
                                  "không gian làm việc: xin liên hệ quản trị của cơ quan.")
    return await session_for(ws, account, local_path(next_path), how="oidc")


@router.post("/dang-xuat")
async def sign_out(request: Request, ws: WorkspaceDep, who: Who, form: Form) -> Response:
    check_csrf(who.csrf_token, form)
    await ws.store.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/dang-nhap?da_dang_xuat=true", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# ---- my queue ------------------------------------------------------------------------------------

@router.get("/")
async def home(who: Who) -> Response:
    return RedirectResponse("/hang-doi", status_code=303)


@router.get("/hang-doi")
async def queue(request: Request, ws: WorkspaceDep, who: Who,
                vai_tro: Annotated[str | None, Query(max_length=16)] = None,
                thu_tuc: Annotated[str, Query(max_length=16)] = "",
                trang_thai: Annotated[str, Query(pattern="^(open|waiting|done|all)$")] = "open",
                tim: Annotated[str, Query(max_length=100)] = "",
                da_xong: Annotated[str | None, Query(max_length=40)] = None,
                ma: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    stages = [s for s in QUEUE_STAGES if s in who.roles]
    if not stages:
        return page(request, "queue.html", who=who, stages=[], stage=None, items=[])
    stage = vai_tro or stages[0]
    officer = officer_at(who, stage)
    answer = await ws.upstream.items(officer, trang_thai)
    if not answer.ok:
        raise refused(answer, stage_name(stage))
    items = [ws.queue_row(item) for item in answer.body]
    procedures = sorted({(row["procedure_code"], row["procedure_name"]) for row in items})
    wanted = folded(tim.strip())
    shown = [row for row in items
             if (not thu_tuc or row["procedure_code"] == thu_tuc)
             and (not wanted or wanted in row["search"])]
    return page(request, "queue.html", who=who, stages=stages, stage=stage, items=shown,
                total=len(items), procedures=procedures, states=STATES,
                filters={"thu_tuc": thu_tuc, "trang_thai": trang_thai, "tim": tim},
                done=(da_xong, ma) if da_xong else None)


@router.post("/viec/{stage}/{item_id}/nhan")
async def claim(stage: str, item_id: ItemId, ws: WorkspaceDep, who: Who,
                form: Form) -> Response:
    check_csrf(who.csrf_token, form)
    answer = await ws.upstream.claim(officer_at(who, stage), str(item_id))
    if not answer.ok:
        raise refused(answer, stage_name(stage))
    return RedirectResponse(f"/viec/{stage}/{item_id}", status_code=303)


# ---- one item and its dossier --------------------------------------------------------------------

@router.get("/viec/{stage}/{item_id}")
async def item_page(request: Request, stage: str, item_id: ItemId, ws: WorkspaceDep, who: Who,
                    tep: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None
                    ) -> Response:
    return await render_item(request, ws, who, stage, item_id, viewing=tep)


async def render_item(request: Request, ws: Workspace, who: SignedIn, stage: str,
                      item_id: uuid.UUID, *, viewing: str | None = None, status: int = 200,
                      problem: str | None = None, chosen: str | None = None,
                      errors: dict[str, str] | None = None,
                      submitted: dict[str, list[str]] | None = None) -> Response:
    officer = reader_at(who, stage)
    answer = await ws.upstream.item(officer, str(item_id), stage=stage)
    if not answer.ok:
        raise refused(answer, stage_name(stage))
    item = answer.body
    dossier = await ws.upstream.dossier(officer, item["code"])
    acting = officer.role == stage  # a manager reads only
    forms = []
    if item["decisions"] and acting:
        forms = decision_forms(await ws.upstream.openapi(officer), item["decisions"])
    documents = (dossier.body or {}).get("documents") or [] if dossier.ok else []
    shown = next((d for d in documents if d.get("sha256") == viewing), None) or \
        next(iter(documents), None)
    values: dict[str, Any] = {
        "who": who, "stage": stage, "item": ws.item_view(item),
        "dossier": dossier.body if dossier.ok else None,
        "dossier_problem": None if dossier.ok else (dossier.message or f"HTTP {dossier.status}"),
        "documents": documents, "viewing": shown, "forms": forms, "problem": problem,
        "chosen": chosen, "errors": errors or {}, "submitted": submitted or {},
        "mine": item.get("claimed_by") in (None, who.user_name), "acting": acting}
    # The stage's own screens (the draft result, the delivery desk): item_panels.
    values.update(await panels_for(ItemOnPage(ws, who, officer, stage, item, values["dossier"],
                                              forms)))
    return page(request, "item.html", status=status, **values)


@router.post("/viec/{stage}/{item_id}/quyet-dinh/{decision}")
async def decide(request: Request, stage: str, item_id: ItemId,
                 decision: Annotated[str, Path(pattern=r"^[a-z][a-z-]{1,39}$")],
                 ws: WorkspaceDep, who: Who, form: Form) -> Response:
    check_csrf(who.csrf_token, form)
    officer = officer_at(who, stage)
    forms = {f.name: f for f in decision_forms(await ws.upstream.openapi(officer), [decision])}
    body, errors = read_form(forms[decision], form, account_of(who))
    if errors:
        return await render_item(request, ws, who, stage, item_id, status=422, chosen=decision,
                                 problem="Biểu mẫu còn thiếu hoặc sai: xem các ô được đánh dấu.",
                                 errors=errors, submitted=form)
    answer = await ws.upstream.decide(officer, str(item_id), decision, body)
    if not answer.ok:
        if answer.status in (403, 404):
            raise refused(answer, stage_name(stage))
        return await render_item(request, ws, who, stage, item_id, status=answer.status,
                                 chosen=decision, submitted=form,
                                 problem=f"Bước xử lý không chấp nhận quyết định: "
                                         f"{answer.message}")
    code = answer.body["item"]["code"]
    ws.log.info("officer decided", officer=who.user_name, agency=who.agency, stage=stage,
                decision=decision, item=str(item_id))
    return RedirectResponse("/hang-doi?" + urlencode({"vai_tro": stage, "da_xong": decision,
                                                      "ma": code}), status_code=303)


@router.get("/ho-so/{code}/tep/{sha256}")
async def dossier_file(code: CODE, sha256: SHA256, ws: WorkspaceDep, who: Who,
                       vai_tro: Annotated[str | None, Query(max_length=16)] = None,
                       tai: Annotated[bool, Query()] = False) -> Response:
    """A dossier's file from intake's officer download, streamed; intake decides whether this
    officer's agency may read it, and records the read."""
    stage = vai_tro or next((s for s in who.roles if s in QUEUE_STAGES),
                            QUEUE_STAGES[0] if MANAGER in who.roles else None)
    if stage is None:
        raise PageError(403, "Không có quyền truy cập",
                        "Tài khoản không có vai trò xử lý hồ sơ.")
    officer = reader_at(who, stage)
    upstream = await ws.upstream.open_file(officer, code, sha256)
    if upstream.status_code >= 400:
        await upstream.aread()
        await upstream.aclose()
        try:
            body = upstream.json()
        except ValueError:
            body = None
        raise refused(Answer(upstream.status_code, body), "Bộ phận tiếp nhận")
    media_type = upstream.headers.get("content-type", "application/octet-stream")
    name = f"{code}-{sha256[:12]}"
    headers = {"Content-Disposition": f"{'attachment' if tai else 'inline'}; "
                                      f"filename=\"{quote(name)}\"",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
               # Shown in the page's frame only; a PDF or image runs no script of its own here.
               "Content-Security-Policy": "sandbox allow-same-origin; default-src 'none'; "
                                          "img-src 'self'; object-src 'self'; "
                                          "frame-ancestors 'self'"}
    if "content-length" in upstream.headers:
        headers["Content-Length"] = upstream.headers["content-length"]
    return StreamingResponse(upstream.aiter_raw(), media_type=media_type, headers=headers,
                             background=BackgroundTask(upstream.aclose))


@router.get("/healthz", include_in_schema=False)
async def healthz(ws: WorkspaceDep) -> Response:
    problem = await ws.database_problem()
    return JSONResponse({"database": problem or "ok"}, status_code=503 if problem else 200)
