"""Signing in through the province's identity provider, for the officers' workspace and the
operations centre's wallboard alike (OpenID Connect, authorization code flow with PKCE): the
provider's endpoints from its discovery document, the ID token checked with its
published keys (RS256 only, from the JWKS), its issuer, audience (our client id), expiry and the
nonce this sign-in sent. The provider says who the officer is; the workspace's account of that
user name says their agency and roles, so an identity nobody made an account for gets nothing
(each app checks the account and the role it asks for itself).

The state, nonce and PKCE verifier of a sign-in in progress are kept in a short-lived HttpOnly
cookie (SameSite=Lax: the provider's redirect back is a top-level GET from another site); each
app names its cookie. Its settings (`OidcSettings`) are mixed into the app's, so they read with
its env prefix (WORKSPACE_OIDC_ISSUER, OPERATIONS_OIDC_ISSUER)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from motcua_runtime.browser_sessions import tokens_match

DISCOVERY_SECONDS = 3600.0
ALGORITHMS = ["RS256"]


class SignInRefused(Exception):
    """The provider's answer does not sign anyone in; the message says why (for the log and
    the page)."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and the cookie that remembers this sign-in."""

    url: str
    cookie: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OidcSettings(BaseSettings):
    """The provider and this app's client there; an app sets its own defaults of
    `oidc_client_id` and `oidc_redirect_url` (its address + /dang-nhap/oidc/ve)."""

    oidc_issuer: str | None = Field(default=None, description=(
        "The province's OpenID Connect provider (its issuer URL; the discovery document is "
        "read from it). Set: the sign-in page also offers signing in there."))
    oidc_client_id: str = Field(default="motcua", description=(
        "This app's client id at the provider: the ID tokens' audience."))
    oidc_client_secret: SecretStr | None = Field(default=None, description=(
        "The client's secret, if the provider gave one (a confidential client)."))
    oidc_redirect_url: str = Field(
        default="http://127.0.0.1/dang-nhap/oidc/ve", description=(
            "Where the provider sends the browser back: the app's public address + "
            "/dang-nhap/oidc/ve, as registered at the provider."))
    oidc_scope: str = "openid profile"
    oidc_username_claim: str = Field(default="preferred_username", description=(
        "The ID token's claim holding the user name of the officer's account."))


class OpenIdConnect:
    def __init__(self, *, issuer: str, client_id: str, client_secret: str | None,
                 redirect_url: str, scope: str, username_claim: str,
                 client: httpx.AsyncClient) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_url = redirect_url
        self.scope = scope
        self.username_claim = username_claim
        self.client = client
        self._provider: tuple[float, Provider] | None = None

    @classmethod
    def configured(cls, settings: OidcSettings,
                   client: httpx.AsyncClient) -> OpenIdConnect | None:
        """The provider `settings` name (through `client`), or None when none is set."""
        if not settings.oidc_issuer:
            return None
        secret = settings.oidc_client_secret
        return cls(issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
                   client_secret=secret.get_secret_value() if secret else None,
                   redirect_url=settings.oidc_redirect_url, scope=settings.oidc_scope,
                   username_claim=settings.oidc_username_claim, client=client)

    async def provider(self) -> Provider:
        if self._provider and time.monotonic() - self._provider[0] < DISCOVERY_SECONDS:
            return self._provider[1]
        document = await self._json("GET", f"{self.issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            raise SignInRefused(f"the provider's discovery document names issuer "
                                f"{document.get('issuer')!r}, not {self.issuer!r}")
        try:
            found = Provider(self.issuer, document["authorization_endpoint"],
                             document["token_endpoint"], document["jwks_uri"])
        except KeyError as missing:
            raise SignInRefused(f"the provider's discovery document lacks {missing}") from None
        self._provider = (time.monotonic(), found)
        return found

    async def start(self, next_path: str) -> Started:
        provider = await self.provider()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        query = urlencode({"response_type": "code", "client_id": self.client_id,
                           "redirect_uri": self.redirect_url, "scope": self.scope,
                           "state": state, "nonce": nonce, "code_challenge_method": "S256",
                           "code_challenge": _challenge(verifier)})
        remembered = json.dumps([state, nonce, verifier, next_path]).encode()
        return Started(f"{provider.authorization_endpoint}?{query}",
                       base64.urlsafe_b64encode(remembered).decode())

    async def finish(self, code: str, state: str, cookie: str | None) -> tuple[str, str]:
        """The user name the provider vouches for, and where to go next."""
        try:
            parts = json.loads(base64.urlsafe_b64decode((cookie or "").encode()))
        except ValueError:
            parts = []
        if not (isinstance(parts, list) and len(parts) == 4
                and all(isinstance(p, str) for p in parts)) or not tokens_match(parts[0], state):
            raise SignInRefused("this sign-in was not started here, or it is too old (state)")
        _, nonce, verifier, next_path = parts
        provider = await self.provider()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_url, "client_id": self.client_id,
                "code_verifier": verifier}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        tokens = await self._json("POST", provider.token_endpoint, data=form)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("the provider's token answer has no ID token")
        claims = await self._verified(provider, id_token)
        if not tokens_match(nonce, claims.get("nonce")):
            raise SignInRefused("the ID token's nonce is not this sign-in's")
        user = claims.get(self.username_claim)
        if not isinstance(user, str) or not user:
            raise SignInRefused(f"the ID token has no {self.username_claim}")
        return user.strip().lower(), next_path

    async def _verified(self, provider: Provider, id_token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise SignInRefused(f"the ID token does not read: {error}") from None
        if header.get("alg") not in ALGORITHMS:
            raise SignInRefused(f"ID tokens are RS256, not {header.get('alg')}")
        keys = (await self._json("GET", provider.jwks_uri)).get("keys", [])
        match = [k for k in keys if k.get("kid") == header.get("kid")] if header.get("kid") \
            else keys
        if len(match) != 1:
            raise SignInRefused(f"no single key {header.get('kid')!r} in the provider's JWKS")
        try:
            key = jwt.PyJWK(match[0], algorithm="RS256")
            return jwt.decode(id_token, key, algorithms=ALGORITHMS, audience=self.client_id,
                              issuer=provider.issuer, leeway=10,
                              options={"require": ["iss", "aud", "sub", "exp", "iat"]})
        except jwt.PyJWTError as error:
            raise SignInRefused(f"the ID token is refused: {error}") from None

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise SignInRefused(f"the identity provider did not answer "
                                f"({type(error).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            raise SignInRefused(f"the identity provider answered {response.status_code} at "
                                f"{url.split('?')[0]}")
        return body
