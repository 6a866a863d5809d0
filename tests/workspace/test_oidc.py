"""Signing in through an OpenID Connect provider (code flow with PKCE), against a small provider
of the protocol run in-process (discovery, authorize, token, JWKS; its ID tokens RS256-signed):
the provider's user becomes a session of the account of that name; a forged state, an ID token
for another audience, from another issuer, with another nonce, or signed HS256 is refused with a
message; an identity with no account here gets none."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from motcua_workspace.sessions import COOKIE
from tests.oidc_provider import CLIENT, ISSUER, REDIRECT, SECRET, Provider, through_provider
from tests.workspace.test_pages import workspace as pages_workspace


@pytest.fixture(scope="module")
async def sessions(infra):
    database_url, _ = await infra.isolated("workspace_oidc")
    engine = create_engine(database_url)
    made = async_sessionmaker(engine, expire_on_commit=False)
    await add_account(made, agency="STNMT", roles=["appraisal"], user_name="hoa",
                      full_name="Nguyễn Thị Hoa", password="mật khẩu đủ dài 2026")
    yield made
    await engine.dispose()


def workspace(sessions, provider: Provider) -> httpx.AsyncClient:
    idp = httpx.AsyncClient(transport=httpx.ASGITransport(app=provider.app()))
    return pages_workspace(sessions, oidc_client=idp, oidc_issuer=ISSUER,
                           oidc_client_id=CLIENT, oidc_client_secret=SECRET,
                           oidc_redirect_url=REDIRECT)


async def test_the_provider_signs_in_the_account_of_its_user(sessions):
    provider = Provider()
    async with workspace(sessions, provider) as client:
        page = await client.get("/dang-nhap")
        assert 'id="dang-nhap-oidc"' in page.text
        back = await through_provider(client, provider, "/hang-doi?trang_thai=all")
        assert back.status_code == 303 and back.headers["location"] == "/hang-doi?trang_thai=all"
        assert COOKIE + "=" in back.headers["set-cookie"]
        # Signed in as the account's officer: a page of another stage is theirs to be refused.
        other = await client.get("/viec/approval/0190a4b2-0000-7000-8000-000000000001")
        assert other.status_code == 403 and "Nguyễn Thị Hoa" in other.text
        assert "hoa không có vai trò" in other.text


@pytest.mark.parametrize(("misbehaviour", "message"), [
    ({"audience": "another-client"}, "audience"),
    ({"issuer": "http://evil.example/realms/laocai"}, "issuer"),
    ({"nonce": "not-this-one"}, "nonce"),
    ({"algorithm": "HS256"}, "RS256"),
])
async def test_an_id_token_that_does_not_hold_is_refused(sessions, misbehaviour, message):
    provider = Provider(**misbehaviour)
    async with workspace(sessions, provider) as client:
        back = await through_provider(client, provider)
        assert back.status_code == 401
        assert "Không đăng nhập được qua tài khoản của tỉnh" in back.text
        assert message.lower() in back.text.lower()
        assert COOKIE + "=" not in back.headers.get("set-cookie", "")


async def test_a_forged_state_and_an_identity_without_an_account_are_refused(sessions):
    provider = Provider()
    async with workspace(sessions, provider) as client:
        await client.get("/dang-nhap/oidc")
        forged = await client.get("/dang-nhap/oidc/ve", params={"code": "x", "state": "forged"})
        assert forged.status_code == 401 and "state" in forged.text
    stranger = Provider(user="nguoi.la")
    async with workspace(sessions, stranger) as client:
        back = await through_provider(client, stranger)
        assert back.status_code == 403 and "chưa được cấp quyền" in back.text
