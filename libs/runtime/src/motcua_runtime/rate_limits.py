"""Rate limits on the unauthenticated HTTP endpoints (the `limits` library as ASGI middleware):
per client for lookups, other reads and writes, and per dossier code for guesses of the
applicant's ID number, so a code's ID number cannot be brute-forced. 429 with Retry-After."""

from __future__ import annotations

import ipaddress
import math
import re
import time
import uuid
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from pydantic import Field
from pydantic_settings import BaseSettings

from motcua_runtime.officers import InvalidToken, TokenReader
from motcua_runtime.openapi import TOO_MANY, declare_everywhere
from motcua_runtime.problems import PROBLEM_JSON, problem_bytes

# Probes and scrapes are never limited: a limited probe would restart a healthy service.
UNLIMITED_PATHS = ("/healthz", "/metrics")
# A dossier addressed by its code (anything but a UUID) in the path, with or without an action
# or one of its things (a file, a form: /api/dossiers/{code}/forms/01).
_BY_CODE = re.compile(r"^/api/dossiers/([^/]+)(?:/[^/]+){0,2}/?$")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RateLimitSettings(BaseSettings):
    """Mixed into a service's settings, so they read with its env prefix (INTAKE_RATE_LIMIT_...).
    Limits are `limits` strings: "30/minute", "5 per 10 minutes"."""

    rate_limit_storage_uri: str = Field(default="async+memory://", description=(
        "Where counters are kept. Memory is right for one process; several replicas behind a "
        "load balancer must share them: async+redis://redis:6379/0 (needs the redis package)."))
    rate_limit_lookups: str = Field(default="30/minute", description=(
        "Lookups of a dossier (by id, by code and ID number, the /tra-cuu page, the result "
        "download) per client."))
    rate_limit_guesses_per_code: str = Field(default="5 per 10 minutes", description=(
        "Requests naming one dossier code, from all clients together; a request whose ID "
        "number matched clears the code's count, so only failed guesses add up."))
    rate_limit_writes: str = Field(default="60/minute", description=(
        "Filings and other public writes per client (a front desk behind one address files "
        "a dossier every few minutes)."))
    rate_limit_reads: str = Field(default="300/minute", description=(
        "Every other unauthenticated request per client (catalogue, pages, static files)."))
    rate_limit_exempt: str = Field(default="", description=(
        "Comma-separated client networks never limited per client (the province's portal "
        "server, a test harness on 127.0.0.1); per-code limits still apply to them."))


class _Limits:
    def __init__(self, settings: RateLimitSettings) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(
            settings.rate_limit_storage_uri))
        self.lookups = parse(settings.rate_limit_lookups)
        self.per_code = parse(settings.rate_limit_guesses_per_code)
        self.writes = parse(settings.rate_limit_writes)
        self.reads = parse(settings.rate_limit_reads)
        self.exempt = [ipaddress.ip_network(n.strip(), strict=False)
                       for n in settings.rate_limit_exempt.split(",") if n.strip()]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _code_of(method: str, path: str, query: dict[str, str]) -> str | None:
    """The dossier code a request names with the applicant's ID number, if any."""
    if path.rstrip("/") == "/tra-cuu" and method == "GET":
        return query.get("code", "").strip().upper() or None
    match = _BY_CODE.match(path)
    if match is None or _is_uuid(match.group(1)):
        return None
    return match.group(1).strip().upper()


def _query(scope: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import parse_qsl
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


def _bearer(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class RateLimitMiddleware:
    """Unauthenticated requests only: a request with a valid officer or service token is not
    limited per client (the per-code limit protects the applicant from everyone)."""

    def __init__(self, app: Any, *, settings: RateLimitSettings,
                 verifier: TokenReader | None) -> None:
        self.app = app
        self.limits = _Limits(settings)
        self.verifier = verifier

    def _authenticated(self, scope: dict[str, Any]) -> bool:
        token = _bearer(scope)
        if not token or self.verifier is None:
            return False
        try:
            self.verifier.read(token)
        except InvalidToken:
            return False
        return True

    def _exempt(self, host: str | None) -> bool:
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.limits.exempt)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        code = _code_of(method, path, _query(scope))
        limiter = self.limits.limiter
        # The client as the server sees it: behind a reverse proxy run uvicorn with
        # --forwarded-allow-ips set to the proxy, or every citizen shares the proxy's bucket.
        host = (scope.get("client") or (None, None))[0]
        if not self._exempt(host) and not self._authenticated(scope):
            if code is not None or (method in SAFE_METHODS and path.startswith("/api/dossiers/")):
                item = self.limits.lookups
            elif method not in SAFE_METHODS:
                item = self.limits.writes
            else:
                item = self.limits.reads
            if not await limiter.hit(item, "client", str(item), host or "unknown"):
                await self._refuse(send, item, ("client", str(item), host or "unknown"), path)
                return
        if code is None:
            await self.app(scope, receive, send)
            return
        if not await limiter.hit(self.limits.per_code, "code", code):
            await self._refuse(send, self.limits.per_code, ("code", code), path)
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        # A success or a 409/502 came after the ID number matched: the applicant, not a guess.
        if status and (status[0] < 300 or status[0] in (409, 502)):
            await limiter.clear(self.limits.per_code, "code", code)

    async def _refuse(self, send: Any, item: RateLimitItem, key: tuple[str, ...],
                      path: str) -> None:
        stats = await self.limits.limiter.get_window_stats(item, *key)
        retry_after = str(max(1, math.ceil(stats.reset_time - time.time())))
        english = f"too many requests ({item}); retry after {retry_after} s"
        vietnamese = (f"Quá nhiều lượt truy cập; xin vui lòng thử lại sau {retry_after} giây.")
        if path.startswith("/tra-cuu"):  # the page and its rating form answer in HTML
            body = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>Thử lại sau'
                    f'</title><p role="alert">{vietnamese}</p></html>').encode()
            media = b"text/html; charset=utf-8"
        else:
            body = problem_bytes(429, english, message_vi=vietnamese)
            media = PROBLEM_JSON.encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", media), (b"retry-after", retry_after.encode()),
            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


def install_rate_limits(app: Any, settings: RateLimitSettings,
                        verifier: TokenReader | None) -> None:
    """Before the app starts (Starlette builds its middleware stack on the first request).
    `verifier` recognises the tokens that lift the per-client limits (the service's own)."""
    app.add_middleware(RateLimitMiddleware, settings=settings, verifier=verifier)
    declare_everywhere(app, 429, TOO_MANY)
