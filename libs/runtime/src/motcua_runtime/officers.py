"""Officers and their tokens. A token (HS256 JWT) says who the officer is, the agency they work
for and their role; the role is the stage whose decisions they take ("appraisal" for a
specialist, "approval" for a leader, "signing" for a clerk, "delivery" for the desk), or "admin"
(calendar overrides) or "manager" (reports). An officer sees and acts on their agency's dossiers
only. Production issues tokens from the province's identity provider with the same claims and
secret; `motcua officer token` issues them for the embedded default."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from fastapi import HTTPException, Request

# A service calling another's internal endpoint (intake fetching a signed result from signing)
# carries a token with a service role: no officer's role opens those endpoints, and a service
# role acts at no stage.
SERVICE_ROLES = ("service:intake",)
ROLES = ("intake", "appraisal", "approval", "signing", "delivery", "admin", "manager",
         *SERVICE_ROLES)
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Officer:
    name: str
    agency: str
    role: str

    @property
    def actor(self) -> str:
        """How events record the officer who decided."""
        return f"officer:{self.name}"


def issue_token(secret: str, officer: Officer, *, valid_for: timedelta = timedelta(hours=12),
                now: datetime | None = None) -> str:
    if officer.role not in ROLES:
        raise ValueError(f"unknown role {officer.role!r}; roles: {', '.join(ROLES)}")
    issued = now or datetime.now(timezone.utc)
    claims = {"sub": officer.name, "agency": officer.agency, "role": officer.role,
              "iat": issued, "exp": issued + valid_for}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class InvalidToken(ValueError):
    pass


def read_token(secret: str, token: str) -> Officer:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"invalid token: {error}") from None
    agency, role = claims.get("agency"), claims.get("role")
    if not isinstance(agency, str) or role not in ROLES:
        raise InvalidToken("the token lacks an agency or a known role")
    return Officer(name=str(claims["sub"]), agency=agency, role=role)


OfficerDependency = Callable[[Request], Awaitable[Officer]]


def officer_from_bearer(secret: str) -> OfficerDependency:
    """A FastAPI dependency: the officer of the request's `Authorization: Bearer` token, or 401."""

    async def current_officer(request: Request) -> Officer:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, detail={"message": "an officer's bearer token is required"},
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            return read_token(secret, token.strip())
        except InvalidToken as error:
            raise HTTPException(401, detail={"message": str(error)},
                                headers={"WWW-Authenticate": "Bearer"}) from None

    return current_officer
