"""The workspace's pages in-process on a real Postgres: a signed-out request to any page is sent
to sign in (and back after), a POST without the form's CSRF token is refused with 403, a wrong
password gets a clear message and repeated failures are rate-limited, the session cookie is
HttpOnly and SameSite, sign-out ends the session, and only local paths are followed after
sign-in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_catalogue.catalogue import Catalogue, default_catalogue
from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from motcua_workspace.app import create_workspace, open_id_connect
from motcua_workspace.context import SignInLimits, Workspace
from motcua_workspace.sessions import COOKIE, Limits, SessionStore
from motcua_workspace.settings import WorkspaceSettings
from motcua_workspace.upstream import Directory, Upstream

PASSWORD = "mật khẩu đủ dài 2026"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
async def database(infra):
    database_url, _ = await infra.isolated("workspace_pages")
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    await add_account(sessions, agency="STP", roles=["manager"], user_name="lan",
                      full_name="Trần Thị Lan", password=PASSWORD)
    await add_account(sessions, agency="STP", roles=["appraisal"], user_name="an",
                      full_name="Nguyễn Văn An", password=PASSWORD)
    yield sessions
    await engine.dispose()


def workspace(sessions, clock: Clock | None = None, *, upstream: Upstream | None = None,
              oidc_client: httpx.AsyncClient | None = None, catalogue: Catalogue | None = None,
              **settings) -> httpx.AsyncClient:
    """The workspace's app in-process on `sessions`, with `upstream` (default: no stage and no
    intake anywhere), an identity provider reached through `oidc_client` when the settings
    name one, and `clock` for the sessions' time."""
    config = WorkspaceSettings(database_url="postgresql+asyncpg://unused/x",
                               **{"cookie_secure": False, **settings})
    upstream = upstream or Upstream(Directory({}), "http://127.0.0.1:9", None,
                                    token_lifetime=timedelta(minutes=5))
    ws = Workspace(sessions, SessionStore(sessions, Limits(timedelta(minutes=30),
                                                           timedelta(hours=10))),
                   upstream, SignInLimits("async+memory://", config.sign_in_limit_per_client,
                                          config.sign_in_limit_per_name),
                   catalogue or default_catalogue(), config,
                   oidc=open_id_connect(config, oidc_client) if oidc_client else None,
                   **({"clock": clock} if clock else {}))
    app = create_workspace(ws)
    # A Secure cookie comes back over HTTPS only (the client, like a browser, keeps to that).
    scheme = "https" if config.cookie_secure else "http"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url=f"{scheme}://workspace")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD,
                  next_path: str = "/hang-doi") -> httpx.Response:
    form = await client.get("/dang-nhap")
    return await client.post("/dang-nhap", data={"csrf_token": csrf_of(form.text), "ten": name,
                                                 "mat_khau": password, "tiep": next_path})


async def test_a_signed_out_request_is_sent_to_sign_in_and_back_after(database):
    async with workspace(database, Clock()) as client:
        for path in ("/", "/hang-doi?trang_thai=done",
                     "/viec/appraisal/0190a4b2-0000-7000-8000-000000000001",
                     "/ho-so/X/tep/" + "a" * 64):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/dang-nhap?tiep=")
        target = "/hang-doi?trang_thai=done"
        page = await client.get("/dang-nhap", params={"tiep": target})
        assert 'value="/hang-doi?trang_thai=done"' in page.text
        signed = await sign_in(client, "lan", next_path=target)
        assert signed.status_code == 303 and signed.headers["location"] == target


async def test_the_session_cookie_is_http_only_and_same_site_and_secure_when_set(database):
    async with workspace(database, Clock(), cookie_secure=True) as client:
        signed = await sign_in(client, "lan")
        cookie = next(value for name, value in signed.headers.multi_items()
                      if name == "set-cookie" and value.startswith(COOKIE + "="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    async with workspace(database, Clock()) as client:
        signed = await sign_in(client, "lan")
        cookie = next(value for name, value in signed.headers.multi_items()
                      if name == "set-cookie" and value.startswith(COOKIE + "="))
        assert "Secure" not in cookie


async def test_a_wrong_password_gets_a_message_and_failures_are_rate_limited(database):
    async with workspace(database, Clock(), sign_in_limit_per_name="3 per 5 minutes") as client:
        for _ in range(3):
            wrong = await sign_in(client, "an", "sai mật khẩu rồi")
            assert wrong.status_code == 401
            assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.text
            assert COOKIE + "=" not in wrong.headers.get("set-cookie", "")
        limited = await sign_in(client, "an")  # even the right password, for now
        assert limited.status_code == 429 and "thử lại sau" in limited.text
        unknown = await sign_in(client, "khong.co.ai", "sai mật khẩu rồi")
        assert unknown.status_code == 401  # the same answer as for a wrong password


async def test_a_post_without_its_csrf_token_is_refused_with_403(database):
    async with workspace(database, Clock()) as client:
        await client.get("/dang-nhap")
        refused = await client.post("/dang-nhap", data={"ten": "lan", "mat_khau": PASSWORD})
        assert refused.status_code == 403 and "CSRF" in refused.text
        forged = await client.post("/dang-nhap", data={"csrf_token": "doan-bua", "ten": "lan",
                                                       "mat_khau": PASSWORD})
        assert forged.status_code == 403
        assert (await sign_in(client, "lan")).status_code == 303
        queue = await client.get("/hang-doi")
        assert queue.status_code == 200
        no_token = await client.post("/dang-xuat")
        assert no_token.status_code == 403 and "CSRF" in no_token.text
        other = await client.post("/dang-xuat", data={"csrf_token": "a" + csrf_of(queue.text)})
        assert other.status_code == 403
        assert (await client.get("/hang-doi")).status_code == 200  # still signed in


async def test_sign_out_ends_the_session_and_an_idle_one_ends_alone(database):
    clock = Clock()
    async with workspace(database, clock) as client:
        await sign_in(client, "lan")
        queue = await client.get("/hang-doi")
        assert "Trần Thị Lan" in queue.text
        out = await client.post("/dang-xuat", data={"csrf_token": csrf_of(queue.text)})
        assert out.status_code == 303 and out.headers["location"].startswith("/dang-nhap")
        assert (await client.get("/hang-doi")).status_code == 303
        await sign_in(client, "lan")
        clock.now += timedelta(minutes=29)
        assert (await client.get("/hang-doi")).status_code == 200
        clock.now += timedelta(minutes=30)
        assert (await client.get("/hang-doi")).status_code == 303


async def test_only_a_local_path_is_followed_after_sign_in(database):
    async with workspace(database, Clock()) as client:
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            signed = await sign_in(client, "lan", next_path=target)
            assert signed.headers["location"] == "/hang-doi", target


async def test_a_stage_the_officer_has_no_role_at_is_403_and_a_missing_queue_503(database):
    async with workspace(database, Clock()) as client:
        await sign_in(client, "an")
        other = await client.get("/hang-doi", params={"vai_tro": "approval"})
        assert other.status_code == 403 and "không có vai trò" in other.text
        item = await client.get("/viec/approval/0190a4b2-0000-7000-8000-000000000001")
        assert item.status_code == 403
        bad = await client.get("/viec/appraisal/not-a-uuid")
        assert bad.status_code == 422 and "Địa chỉ không hợp lệ" in bad.text
        down = await client.get("/hang-doi")  # no appraisal queue configured in this test
        assert down.status_code == 503 and "không trả lời" in down.text


async def test_the_probe_answers_without_a_session_and_an_unknown_path_is_a_404_page(database):
    async with workspace(database) as client:
        probe = await client.get("/healthz")
        assert probe.status_code == 200 and probe.json() == {"database": "ok"}
        missing = await client.get("/khong-co")
        assert missing.status_code == 404 and "Không có trang này" in missing.text
        assert missing.headers["content-security-policy"].startswith("default-src 'self'")
        assert missing.headers["x-frame-options"] == "SAMEORIGIN"
