"""The wallboard's sign-in through the province's identity provider (OpenID Connect, code flow
with PKCE: motcua_runtime.oidc, the workspace's code), against the small provider run in the
test (tests/oidc_provider.py), on a real Postgres: a provider's user whose workspace account has
role operations gets a wallboard session; one whose account lacks the role, or who has no
account, gets none (403); an ID token for another client (the workspace's) is refused (401);
without a provider configured the page offers none and its routes say so (404). Failed password
sign-ins for one name are stopped (429), as the workspace's are."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_operations.api import create_dashboard
from motcua_operations.scrape import Scraper
from motcua_operations.signin import COOKIE
from motcua_runtime.db import create_engine
from motcua_runtime.oidc import OpenIdConnect
from motcua_workspace.accounts import add_account
from tests.officer_tokens import current_officer
from tests.oidc_provider import ISSUER, SECRET, Provider, through_provider

CLIENT = "motcua-operations"
REDIRECT = "http://operations/dang-nhap/oidc/ve"
PASSWORD = "mật khẩu đủ dài 2026"


@pytest.fixture(scope="module")
async def sessions(infra):
    database_url, _ = await infra.isolated("wallboard_oidc")
    engine = create_engine(database_url)
    made = async_sessionmaker(engine, expire_on_commit=False)
    for name, roles in (("dieuhanh", ["operations"]), ("thamdinh", ["appraisal"])):
        await add_account(made, agency="STP", roles=roles, user_name=name,
                          full_name=f"Cán bộ {name}", password=PASSWORD)
    yield made
    await engine.dispose()


def wallboard(sessions, provider: Provider | None) -> httpx.AsyncClient:
    oidc = None
    if provider is not None:
        idp = httpx.AsyncClient(transport=httpx.ASGITransport(app=provider.app()))
        oidc = OpenIdConnect(issuer=ISSUER, client_id=CLIENT, client_secret=SECRET,
                             redirect_url=REDIRECT, scope="openid profile",
                             username_claim="preferred_username", client=idp)
    app = create_dashboard(sessions, Scraper({}), due_soon_hours=24, agency_names={},
                           current_officer=current_officer("operations"),
                           cookie_secure=False, oidc=oidc)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://operations")


async def test_an_operations_account_signs_in_through_the_provider(sessions):
    provider = Provider(user="dieuhanh", client_id=CLIENT)
    async with wallboard(sessions, provider) as client:
        page = await client.get("/dang-nhap")
        assert 'id="dang-nhap-oidc"' in page.text
        assert (await client.get("/api/wallboard")).status_code == 401
        back = await through_provider(client, provider, "/?agency=STP", redirect=REDIRECT)
        assert back.status_code == 303 and back.headers["location"] == "/?agency=STP"
        assert COOKIE + "=" in back.headers["set-cookie"]
        figures = await client.get("/api/wallboard")
        assert figures.status_code == 200
        assert figures.json()["staff"]["name"] == "Cán bộ dieuhanh"


@pytest.mark.parametrize("user", ["thamdinh", "nguoi.la"])
async def test_an_identity_without_the_operations_role_gets_no_session(sessions, user):
    provider = Provider(user=user, client_id=CLIENT)
    async with wallboard(sessions, provider) as client:
        back = await through_provider(client, provider, redirect=REDIRECT)
        assert back.status_code == 403
        assert f"Tài khoản {user} của tỉnh chưa được cấp quyền" in back.text
        assert COOKIE + "=" not in back.headers.get("set-cookie", "")
        assert (await client.get("/api/wallboard")).status_code == 401


async def test_an_id_token_for_another_client_and_a_forged_state_are_refused(sessions):
    # The provider answers with a token meant for the workspace, not for the wallboard.
    provider = Provider(user="dieuhanh", client_id=CLIENT, audience="motcua-workspace")
    async with wallboard(sessions, provider) as client:
        back = await through_provider(client, provider, redirect=REDIRECT)
        assert back.status_code == 401 and "audience" in back.text.lower()
        assert COOKIE + "=" not in back.headers.get("set-cookie", "")
        forged = await client.get("/dang-nhap/oidc/ve", params={"code": "x", "state": "forged"})
        assert forged.status_code == 401 and "state" in forged.text


async def test_without_a_provider_there_is_no_such_sign_in(sessions):
    async with wallboard(sessions, None) as client:
        assert 'id="dang-nhap-oidc"' not in (await client.get("/dang-nhap")).text
        for path in ("/dang-nhap/oidc", "/dang-nhap/oidc/ve?code=x&state=y"):
            answer = await client.get(path)
            assert answer.status_code == 404 and "OPERATIONS_OIDC_ISSUER" in answer.text


async def test_failed_password_sign_ins_for_one_name_are_stopped(sessions):
    async with wallboard(sessions, None) as client:
        statuses = []
        for _ in range(6):
            form = await client.get("/dang-nhap")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
            answer = await client.post("/dang-nhap", data={
                "csrf_token": csrf, "ten": "dieuhanh", "mat_khau": "sai mật khẩu rồi"})
            statuses.append(answer.status_code)
        assert statuses == [401] * 5 + [429] and "thử lại sau" in answer.text
