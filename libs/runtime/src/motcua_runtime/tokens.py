"""Bearer tokens: JWTs signed with EdDSA (Ed25519), never with a shared secret, so that holding
what verifies a token never lets anyone mint one.

- An officer's or administrator's token is signed by the **token issuer** (motcua_runtime.
  issuer_keys): `iss` = the issuer's name, `aud` = the installation ("motcua"), a role of
  OFFICER_ROLES. Services hold only the issuer's public key.
- A **service token** is signed by the calling instance's own event-signing key (keys.py): `iss`
  = the instance (`intake`, `appraisal.STP`), `aud` = the service called, at most five minutes
  long. The callee checks it against the key registry: the key must belong to that very `iss`,
  be valid and unrevoked now, and the token carries no role but `service:<its service>`.

Why the event key and not a second key per service: it is already one key per instance,
registered, rotated and revoked with `motcua keys`, and the one private key a service is given;
a second key would double what must be protected and distributed, for nothing. The two uses
cannot be confused: a JWS signs `base64url(header).base64url(claims)` (ASCII, starting `eyJ`),
an event signature covers a canonical JSON object (starting `{`), so no signature made for one
is valid for the other."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from motcua_runtime import issuer_keys
from motcua_runtime.keys import KeyProblem, KeyRegistry, Signer, instance_name
from motcua_runtime.officers import (
    OFFICER_ROLES,
    TOKEN_AUDIENCE,
    TOKEN_ISSUER,
    InvalidToken,
    Officer,
)
from motcua_runtime.settings import ServiceSettings

ALGORITHM = "EdDSA"
ISSUER, AUDIENCE = TOKEN_ISSUER, TOKEN_AUDIENCE
SERVICE_TOKEN_LIFETIME = timedelta(minutes=5)
# Clocks of containers on NTP agree within a second; a few seconds more for a slow request.
LEEWAY = timedelta(seconds=10)
OFFICER_TOKEN_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class IssuerKey:
    """The issuer's private key: what `motcua tokens` mints officers' tokens with."""

    private_key: Ed25519PrivateKey
    issuer: str = ISSUER
    audience: str = AUDIENCE

    @classmethod
    def generate(cls) -> IssuerKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        public = self.private_key.public_key()
        return {issuer_keys.key_id(public): public}

    def issue(self, officer: Officer, *, valid_for: timedelta = OFFICER_TOKEN_LIFETIME,
              now: datetime | None = None) -> str:
        if officer.role not in OFFICER_ROLES:
            # A service role comes only from that service's own key.
            raise ValueError(f"an issuer's token cannot carry role {officer.role!r}; roles: "
                             f"{', '.join(OFFICER_ROLES)}")
        issued = now or datetime.now(timezone.utc)
        claims = {"iss": self.issuer, "aud": self.audience, "sub": officer.name,
                  "agency": officer.agency, "role": officer.role, "iat": issued,
                  "nbf": issued, "exp": issued + valid_for}
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM,
                          headers={"kid": next(iter(self.public_keys))})


class ServiceTokens:
    """Service tokens of one instance, signed with its event key, one per call."""

    def __init__(self, signer: Signer, *, lifetime: timedelta = SERVICE_TOKEN_LIFETIME) -> None:
        self.signer = signer
        self.lifetime = lifetime

    @property
    def instance(self) -> str:
        return instance_name(self.signer.producer.service, self.signer.producer.agency)

    def for_audience(self, audience: str, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(timezone.utc)
        return self.signer.sign_token({
            "iss": self.instance, "sub": self.instance, "aud": audience,
            "role": f"service:{self.signer.producer.service}", "iat": issued, "nbf": issued,
            "exp": issued + self.lifetime, "jti": str(uuid.uuid4())})


class TokenVerifier:
    """Checks the tokens a service accepts: officers' from the issuer, and service tokens
    addressed to `audience` (this service's name) from the instances in the registry."""

    def __init__(self, audience: str, *, issuer_keys: Mapping[str, Ed25519PublicKey],
                 registry: KeyRegistry | None, issuer: str = ISSUER,
                 officer_audience: str = AUDIENCE) -> None:
        self.audience = audience
        self.issuer_keys = dict(issuer_keys)
        self.registry = registry
        self.issuer = issuer
        self.officer_audience = officer_audience

    def read(self, token: str) -> Officer:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from None
        if header.get("alg") != ALGORITHM:
            # HS256 tokens of the old shared secret included: whoever held it could mint any.
            raise InvalidToken(f"tokens are signed with {ALGORITHM}, not {header.get('alg')}")
        if unverified.get("iss") == self.issuer:
            return self._officer(token, header.get("kid"))
        return self._service(token, header.get("kid"), unverified.get("iss"))

    def _officer(self, token: str, kid: object) -> Officer:
        if not self.issuer_keys:
            raise InvalidToken("this service knows no token issuer "
                               "(MOTCUA_TOKEN_ISSUER_PUBLIC_KEY): no officer can sign in")
        key = self.issuer_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken(f"the token issuer's key {kid!r} is not one this service trusts")
        claims = self._decode(token, key, audience=self.officer_audience, issuer=self.issuer)
        agency, role = claims.get("agency"), claims.get("role")
        if not isinstance(agency, str) or role not in OFFICER_ROLES:
            raise InvalidToken("the token lacks an agency or an officer's role")
        return Officer(name=str(claims["sub"]), agency=agency, role=role)

    def _service(self, token: str, kid: object, iss: object) -> Officer:
        if self.registry is not None:
            # A stat() per call: a key revoked in the registry file is refused from the next
            # request on, not from the next restart. A file that does not parse (an
            # administrator's typo) leaves the keys as they were.
            with contextlib.suppress(KeyProblem):
                self.registry.refresh()
        record = self.registry.get(kid) if self.registry and isinstance(kid, str) else None
        if record is None:
            raise InvalidToken(f"token of {iss!r} signed with a key not in the registry")
        if record.instance != iss:
            raise InvalidToken(f"key {record.key_id} belongs to {record.instance}, "
                               f"not to {iss!r}")
        problem = record.problem_at(datetime.now(timezone.utc))
        if problem:
            raise InvalidToken(problem)
        claims = self._decode(token, Ed25519PublicKey.from_public_bytes(record.public_key),
                              audience=self.audience, issuer=record.instance)
        if claims["exp"] - claims["iat"] > (SERVICE_TOKEN_LIFETIME + LEEWAY).total_seconds():
            raise InvalidToken("a service token lives at most "
                               f"{SERVICE_TOKEN_LIFETIME.total_seconds():.0f} seconds")
        role = f"service:{record.service}"
        if claims.get("role") != role or claims.get("sub") != record.instance:
            raise InvalidToken(f"{record.instance}'s key signs only its own role {role}, "
                               f"not {claims.get('role')!r} for {claims.get('sub')!r}")
        return Officer(name=record.instance, agency=record.agency or "*", role=role)

    def _decode(self, token: str, key: Ed25519PublicKey, *, audience: str,
                issuer: str) -> dict[str, Any]:
        try:
            return jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience,
                              issuer=issuer, leeway=LEEWAY,
                              options={"require": ["iss", "aud", "sub", "iat", "exp"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not addressed to {audience}") from None
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from None


def verifier_from_settings(settings: ServiceSettings, audience: str) -> TokenVerifier:
    """What `audience` (this service) accepts: officers' tokens from the issuer whose public key
    is MOTCUA_TOKEN_ISSUER_PUBLIC_KEY (none without it: every officer gets 401), and service
    tokens of the instances in the key registry."""
    path = settings.token_issuer_public_key
    keys = issuer_keys.load_public_keys(path) if path else {}
    try:
        registry: KeyRegistry | None = KeyRegistry.load(settings.registry_path())
    except (ValueError, LookupError):
        registry = None  # no registry: no service token can be checked, so none is accepted
    return TokenVerifier(audience, issuer_keys=keys, registry=registry,
                         issuer=settings.token_issuer, officer_audience=settings.token_audience)
