"""Officers and the bearer tokens that say who is calling. A token says who the officer is, the
agency they work for and their role; the role is the stage whose decisions they take
("appraisal" for a specialist, "approval" for a leader, "signing" for a clerk, "delivery" for the
desk), "intake" for the one-stop desk that files dossiers at the counter, or "admin" (calendar
overrides), "manager" (reports) or "auditor" (the access log of officers' reads of personal
data). An officer sees and acts on their
agency's dossiers only. A service calling another's internal endpoint carries a token with a
service role instead (`service:<its service>`), which acts at no stage.

How tokens are signed and checked (EdDSA, the issuer's key for officers, each service's own key
for services) is motcua_runtime.tokens; this module is what the HTTP APIs see of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# `operations`: the operations centre's staff, who watch the wallboard of every agency.
OFFICER_ROLES = ("intake", "appraisal", "approval", "signing", "delivery", "admin", "manager",
                 "auditor", "operations")
ROLES = OFFICER_ROLES  # what an officer's token may carry (`motcua tokens officer --role`)
# Every service that may call another: the role its own key's tokens carry, and nothing else.
SERVICES = ("intake", "appraisal", "approval", "signing", "delivery", "audit", "operations")
SERVICE_ROLES = tuple(f"service:{service}" for service in SERVICES)
# `iss` and `aud` of officers' tokens unless MOTCUA_TOKEN_ISSUER / MOTCUA_TOKEN_AUDIENCE differ
# (an identity provider names itself and its client).
TOKEN_ISSUER = "motcua-tokens"
TOKEN_AUDIENCE = "motcua"


@dataclass(frozen=True)
class Officer:
    """The caller of a request: an officer, or a service (name = its instance, role
    `service:<service>`, agency `*` unless the instance serves one agency)."""

    name: str
    agency: str
    role: str

    @property
    def actor(self) -> str:
        """How events record the officer who decided."""
        return f"officer:{self.name}"

    @property
    def is_service(self) -> bool:
        return self.role in SERVICE_ROLES


class InvalidToken(ValueError):
    pass


class TokenReader(Protocol):
    """Checks a bearer token and says who it names (motcua_runtime.tokens.TokenVerifier)."""

    def read(self, token: str) -> Officer: ...


OfficerDependency = Callable[..., Awaitable[Officer]]

# FastAPI's scheme, so every OpenAPI document declares the Bearer token on the routes that need
# it. auto_error=False: a missing or non-Bearer header is our 401 (with WWW-Authenticate), not
# FastAPI's 403.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearerToken", bearerFormat="JWT",
    description="An officer's token (`motcua tokens officer`) or a service's (signed by its "
                "event key, five minutes, addressed to this service).")


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def officer_from_bearer(verifier: TokenReader) -> OfficerDependency:
    """A FastAPI dependency: the caller of the request's `Authorization: Bearer` token, or 401."""

    async def current_officer(credentials: BearerCredentials) -> Officer:
        if credentials is None or not credentials.credentials.strip():
            raise HTTPException(401, detail={"message": "an officer's bearer token is required"},
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            return verifier.read(credentials.credentials.strip())
        except InvalidToken as error:
            raise HTTPException(401, detail={"message": str(error)},
                                headers={"WWW-Authenticate": "Bearer"}) from None

    return current_officer
