"""Signing in through an OpenID Connect provider (code flow with PKCE), against a small provider
of the protocol run in-process (discovery, authorize, token, JWKS; its ID tokens RS256-signed):
the provider's user becomes a session of the account of that name; a forged state, an ID token
for another audience, from another issuer, with another nonce, or signed HS256 is refused with a
message; an identity with no account here gets none."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_runtime.db import create_engine
from motcua_workspace.accounts import add_account
from motcua_workspace.sessions import COOKIE
from tests.workspace.test_pages import workspace as pages_workspace

ISSUER = "http://idp.example/realms/laocai"
CLIENT = "motcua-workspace"
REDIRECT = "http://workspace/dang-nhap/oidc/ve"


@dataclass
class Provider:
    """The identity provider's side of the code flow, and how it may misbehave."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict] = field(default_factory=dict)
    user: str = "hoa"
    audience: str = CLIENT
    issuer: str = ISSUER
    nonce: str | None = None  # None: the one the request sent
    algorithm: str = "RS256"

    def app(self) -> FastAPI:
        app = FastAPI()
        jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key())),
               "kid": "k1", "use": "sig", "alg": "RS256"}

        @app.get("/realms/laocai/.well-known/openid-configuration")
        async def discovery() -> dict:
            base = ISSUER
            return {"issuer": ISSUER, "authorization_endpoint": f"{base}/auth",
                    "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/certs"}

        @app.get("/realms/laocai/certs")
        async def certs() -> dict:
            return {"keys": [jwk]}

        @app.get("/realms/laocai/auth")
        async def authorize(response_type: str, client_id: str, redirect_uri: str, state: str,
                            nonce: str, code_challenge: str, code_challenge_method: str,
                            scope: str) -> RedirectResponse:
            assert (response_type, client_id, code_challenge_method) == ("code", CLIENT, "S256")
            assert "openid" in scope.split()
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": nonce, "challenge": code_challenge,
                                "redirect_uri": redirect_uri}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}",
                                    status_code=302)

        @app.post("/realms/laocai/token")
        async def token(request: Request) -> dict:
            form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
            code, code_verifier = form.get("code", ""), form.get("code_verifier", "")
            client_secret, redirect_uri = form.get("client_secret"), form.get("redirect_uri")
            assert (form.get("grant_type"), form.get("client_id")) == ("authorization_code",
                                                                      CLIENT)
            issued = self.codes.pop(code, None)
            verified = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()
                                                ).rstrip(b"=").decode()
            if issued is None or verified != issued["challenge"] or client_secret != "bi-mat" \
                    or redirect_uri != issued["redirect_uri"]:
                raise HTTPException(400, "invalid_grant")
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": self.audience, "sub": "f:1234",
                      "preferred_username": self.user, "iat": now, "exp": now + 300,
                      "nonce": self.nonce or issued["nonce"]}
            if self.algorithm == "HS256":
                signed = jwt.encode(claims, "a shared secret", algorithm="HS256",
                                    headers={"kid": "k1"})
            else:
                signed = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return {"access_token": "opaque", "token_type": "Bearer", "id_token": signed}

        return app


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
                           oidc_client_id=CLIENT, oidc_client_secret="bi-mat",
                           oidc_redirect_url=REDIRECT)


async def through_provider(client: httpx.AsyncClient, provider: Provider,
                           target: str = "/hang-doi") -> httpx.Response:
    """The browser's round trip: to the provider, signed in there, back with a code."""
    started = await client.get("/dang-nhap/oidc", params={"tiep": target})
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert location.startswith(f"{ISSUER}/auth?")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=provider.app()),
                                 base_url="http://idp.example") as browser_at_idp:
        provider_app_answer = await browser_at_idp.get(urlsplit(location).path + "?"
                                                       + urlsplit(location).query)
    assert provider_app_answer.status_code == 302
    back = urlsplit(provider_app_answer.headers["location"])
    assert f"http://workspace{back.path}" == REDIRECT
    return await client.get(back.path, params={k: v[0] for k, v in parse_qs(back.query).items()})


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
