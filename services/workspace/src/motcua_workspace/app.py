"""The workspace's composition root: the pages (motcua_workspace.pages) on WORKSPACE_HTTP_PORT
with their sessions in the workspace schema, the token issuer's key to call the stages and
intake as the signed-in officer, and /metrics. It consumes no event and emits none."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from motcua_catalogue.catalogue import default_catalogue
from motcua_runtime import issuer_keys
from motcua_runtime.db import create_engine
from motcua_runtime.oidc import OpenIdConnect
from motcua_runtime.service import stop_on_signals
from motcua_runtime.tokens import IssuerKey
from motcua_workspace.context import (
    PageError,
    SignInLimits,
    SignInRequired,
    Workspace,
    page,
)
from motcua_workspace.delivery_desk import router as delivery_desk_router
from motcua_workspace.desk import router as desk_router
from motcua_workspace.desk_supplement import router as desk_supplement_router
from motcua_workspace.draft import router as draft_router
from motcua_workspace.managers import router as managers_router
from motcua_workspace.pages import router
from motcua_workspace.sessions import Limits, SessionStore
from motcua_workspace.settings import WorkspaceSettings
from motcua_workspace.upstream import Directory, Unreachable, Upstream

SWEEP_SECONDS = 300.0

# Pages, styles and files come from this site only; the one inline thing is none: no script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-src 'self'; object-src 'self'; "
                               "frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN"}


def issuer_of(settings: WorkspaceSettings) -> IssuerKey | None:
    path = settings.token_issuer_private_key
    if path is None:
        return None
    return IssuerKey(issuer_keys.load_private_key(path), issuer=settings.token_issuer,
                     audience=settings.token_audience)


def open_id_connect(settings: WorkspaceSettings,
                    client: httpx.AsyncClient) -> OpenIdConnect | None:
    """The province's identity provider, when WORKSPACE_OIDC_ISSUER names one."""
    return OpenIdConnect.configured(settings, client)


def create_workspace(workspace: Workspace) -> FastAPI:
    app = FastAPI(title="motcua: không gian làm việc của cán bộ", docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.workspace = workspace
    app.mount("/static", StaticFiles(packages=[("motcua_workspace", "static")]), name="static")
    app.include_router(router)
    app.include_router(desk_router)  # the desk's pages (intake at the centre)
    app.include_router(desk_supplement_router)  # its supplement at the counter
    for screen in (draft_router, delivery_desk_router, managers_router):
        app.include_router(screen)
    install_page_errors(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def install_page_errors(app: FastAPI) -> None:
    """Every refusal as a page in Vietnamese with its status (never a 500 for bad input)."""

    def error_page(request: Request, status: int, title: str, message: str,
                   detail: str = "") -> Response:
        return page(request, "error.html", status=status, title=title, message=message,
                    detail=detail)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, error: SignInRequired) -> Response:
        return RedirectResponse("/dang-nhap?" + _query({"tiep": error.path}), status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        return error_page(request, error.status, error.title, error.message, error.detail)

    @app.exception_handler(Unreachable)
    async def unreachable(request: Request, error: Unreachable) -> Response:
        return error_page(request, 503, "Dịch vụ tạm thời không trả lời",
                          f"{error}. Xin thử lại sau ít phút.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        title = {404: "Không có trang này", 405: "Không thực hiện được"}.get(
            error.status_code, "Yêu cầu không hợp lệ")
        return error_page(request, error.status_code, title, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return error_page(request, 422, "Địa chỉ không hợp lệ",
                          f"{where}: {first.get('msg', 'giá trị không hợp lệ')}")


def _query(values: dict[str, str]) -> str:
    from urllib.parse import urlencode
    return urlencode(values)


async def run(settings: WorkspaceSettings, stop: asyncio.Event | None = None) -> None:
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    engine = create_engine(settings.database_url.get_secret_value())
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    store = SessionStore(sessions, Limits(timedelta(minutes=settings.session_idle_minutes),
                                          timedelta(hours=settings.session_absolute_hours)))
    upstream = Upstream(Directory(settings.stage_urls), settings.intake_url, issuer_of(settings),
                        token_lifetime=timedelta(minutes=settings.officer_token_minutes))
    workspace = Workspace(sessions, store, upstream, SignInLimits.configured(
        settings.rate_limit_storage_uri, settings), default_catalogue(), settings,
        oidc=open_id_connect(settings, upstream.client))
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    server = uvicorn.Server(uvicorn.Config(
        create_workspace(workspace), host=settings.http_host, port=settings.http_port or 8100,
        log_config=None, access_log=False, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    sweeping = asyncio.create_task(_sweep(store, workspace, stop))
    workspace.log.info("workspace started", port=settings.http_port)
    try:
        await asyncio.wait({serving, asyncio.create_task(stop.wait())},
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping
        await upstream.close()
        await engine.dispose()


async def _sweep(store: SessionStore, workspace: Workspace, stop: asyncio.Event) -> None:
    """Delete the sessions that are over, now and then (each is refused when used anyway)."""
    while not stop.is_set():
        with contextlib.suppress(Exception):
            await store.sweep(workspace.now())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_SECONDS)
