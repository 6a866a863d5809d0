"""The wallboard's sign-in routes: the form (a workspace account of role operations or admin,
its password checked with the shared limits per client and per user name), the province's
identity provider when configured (motcua_runtime.oidc, the workspace's code), and sign-out.
Every answer is a page in Vietnamese with its status; after sign-in, a path of this site only.

No `from __future__ import annotations`: FastAPI evaluates the routes' annotations."""

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from motcua_operations.signin import COOKIE, OIDC_COOKIE, SIGN_IN_COOKIE
from motcua_runtime.browser_sessions import new_token
from motcua_runtime.browser_sessions import tokens_match as same_token
from motcua_runtime.oidc import SignInRefused

if TYPE_CHECKING:
    from motcua_operations.wallboard_api import WallboardContext

MAX_FORM_BYTES = 4096
log = structlog.get_logger("motcua_operations")


def add_sign_in_routes(app: Any, ctx: "WallboardContext") -> None:
    router = APIRouter()

    def sign_in_page(next_path: str, *, status: int = 200, error: str | None = None,
                     notice: str | None = None) -> HTMLResponse:
        token = new_token()
        page = ctx.templates.get_template("sign_in.html").render(
            centre=ctx.centre, csrf=token, next_path=next_path, error=error, notice=notice,
            oidc=ctx.oidc is not None)
        response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
        response.set_cookie(SIGN_IN_COOKIE, token, max_age=1800, httponly=True,
                            samesite="strict", secure=ctx.cookie_secure, path="/dang-nhap")
        return response

    @router.get("/dang-nhap", response_class=HTMLResponse, include_in_schema=False)
    async def sign_in_form(tiep: Annotated[str, Query(max_length=500)] = "/",
                           da_dang_xuat: bool = False) -> HTMLResponse:
        return sign_in_page(_local(tiep), notice="Đã đăng xuất." if da_dang_xuat else None)

    def signed_in_as(token: str, next_path: str) -> Response:
        response = RedirectResponse(next_path, 303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                            secure=ctx.cookie_secure, path="/",
                            max_age=int(ctx.staff_sessions.limits.absolute.total_seconds()))
        response.delete_cookie(SIGN_IN_COOKIE, path="/dang-nhap")
        response.delete_cookie(OIDC_COOKIE, path="/dang-nhap/oidc")
        return response

    @router.post("/dang-nhap", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = await _form(request)
        if not same_token(request.cookies.get(SIGN_IN_COOKIE), form.get("csrf_token")):
            raise HTTPException(403, detail={"message": "the sign-in form's token is missing "
                                                        "or stale: reload the page"})
        user_name = form.get("ten", "").strip().lower()[:64]
        next_path = _local(form.get("tiep", "/"))
        client = request.client.host if request.client else "unknown"
        wait = await ctx.sign_in_limits.refusal(client, user_name)
        if wait is not None:
            return sign_in_page(next_path, status=429, error=(
                f"Đăng nhập sai quá nhiều lần. Xin thử lại sau {wait} giây."))
        token = await ctx.staff_sessions.sign_in(user_name, form.get("mat_khau", ""),
                                                 ctx.clock())
        if token is None:
            await ctx.sign_in_limits.failed(user_name)
            return sign_in_page(next_path, status=401, error=(
                "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản không có quyền của trung tâm "
                "điều hành (vai trò operations)."))
        await ctx.sign_in_limits.succeeded(user_name)
        return signed_in_as(token, next_path)

    @router.get("/dang-nhap/oidc", include_in_schema=False)
    async def sign_in_with_provider(
            tiep: Annotated[str, Query(max_length=500)] = "/") -> Response:
        """To the province's identity provider (OpenID Connect, code flow with PKCE)."""
        if ctx.oidc is None:
            return sign_in_page(_local(tiep), status=404, error=(
                "Chưa cấu hình đăng nhập qua tài khoản của tỉnh (OPERATIONS_OIDC_ISSUER)."))
        try:
            started = await ctx.oidc.start(_local(tiep))
        except SignInRefused as refusal:
            return sign_in_page(_local(tiep), status=502, error=(
                f"Hệ thống xác thực của tỉnh chưa trả lời đúng: {refusal}."))
        response = RedirectResponse(started.url, 303)
        response.set_cookie(OIDC_COOKIE, started.cookie, max_age=600, httponly=True,
                            samesite="lax", secure=ctx.cookie_secure, path="/dang-nhap/oidc")
        return response

    @router.get("/dang-nhap/oidc/ve", include_in_schema=False)
    async def back_from_provider(
            request: Request, code: Annotated[str, Query(min_length=1, max_length=4000)],
            state: Annotated[str, Query(min_length=1, max_length=200)]) -> Response:
        """The provider's redirect back: the ID token checked, then the workspace account of
        its user name, which must be one of the centre's staff (role operations or admin)."""
        if ctx.oidc is None:
            return sign_in_page("/", status=404, error=(
                "Chưa cấu hình đăng nhập qua tài khoản của tỉnh (OPERATIONS_OIDC_ISSUER)."))
        try:
            user_name, next_path = await ctx.oidc.finish(code, state,
                                                         request.cookies.get(OIDC_COOKIE))
        except SignInRefused as refusal:
            log.warning("identity provider sign-in refused", reason=str(refusal))
            return sign_in_page("/", status=401, error=(
                f"Không đăng nhập được qua tài khoản của tỉnh: {refusal}."))
        staff = await ctx.staff_sessions.staff_account(user_name)
        if not staff:
            return sign_in_page("/", status=403, error=(
                f"Tài khoản {user_name} của tỉnh chưa được cấp quyền của trung tâm điều hành "
                "(cần tài khoản cán bộ có vai trò operations): xin liên hệ quản trị hệ thống."))
        token = await ctx.staff_sessions.open(user_name, ctx.clock())
        log.info("operations staff signed in", officer=user_name, how="oidc")
        return signed_in_as(token, _local(next_path))

    @router.post("/dang-xuat", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        who = await ctx.staff_sessions.find(request.cookies.get(COOKIE), ctx.clock())
        if who is None:
            raise HTTPException(401, detail={"message": "not signed in"})
        form = await _form(request)
        if not same_token(who.csrf_token, form.get("csrf_token")):
            raise HTTPException(403, detail={"message": "the form's CSRF token does not match"})
        await ctx.staff_sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/dang-nhap?da_dang_xuat=true", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    app.include_router(router)


def _local(path: str) -> str:
    """Only a path of this site after sign-in: never another host."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path \
        else "/"


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, detail={"message": "the form is too large"})
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise HTTPException(422, detail={"message": "the form is not UTF-8"}) from None
