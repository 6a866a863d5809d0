"""A small OpenID Connect provider run in-process for the tests of the workspace's and the
wallboard's sign-in (discovery, authorize, token, JWKS; its ID tokens RS256-signed), with the
ways it may misbehave, and the browser's round trip through it."""

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
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

ISSUER = "http://idp.example/realms/laocai"
CLIENT = "motcua-workspace"
REDIRECT = "http://workspace/dang-nhap/oidc/ve"
SECRET = "bi-mat"


@dataclass
class Provider:
    """The identity provider's side of the code flow, and how it may misbehave."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict] = field(default_factory=dict)
    user: str = "hoa"
    client_id: str = CLIENT  # the client the provider knows (the app's id there)
    audience: str | None = None  # None: the client's id
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
            assert (response_type, client_id, code_challenge_method) == ("code", self.client_id,
                                                                         "S256")
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
                                                                      self.client_id)
            issued = self.codes.pop(code, None)
            verified = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()
                                                ).rstrip(b"=").decode()
            if issued is None or verified != issued["challenge"] or client_secret != SECRET \
                    or redirect_uri != issued["redirect_uri"]:
                raise HTTPException(400, "invalid_grant")
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": self.audience or self.client_id, "sub": "f:1234",
                      "preferred_username": self.user, "iat": now, "exp": now + 300,
                      "nonce": self.nonce or issued["nonce"]}
            if self.algorithm == "HS256":
                signed = jwt.encode(claims, "a shared secret", algorithm="HS256",
                                    headers={"kid": "k1"})
            else:
                signed = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return {"access_token": "opaque", "token_type": "Bearer", "id_token": signed}

        return app


async def through_provider(client: httpx.AsyncClient, provider: Provider,
                           target: str = "/hang-doi", redirect: str = REDIRECT) -> httpx.Response:
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
    assert f"{redirect.rsplit('/dang-nhap', 1)[0]}{back.path}" == redirect
    return await client.get(back.path, params={k: v[0] for k, v in parse_qs(back.query).items()})
