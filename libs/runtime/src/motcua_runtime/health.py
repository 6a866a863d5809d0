"""Readiness of a service's dependencies for `/healthz`: the database (`SELECT 1`) and the broker
(a metadata request), each with a short timeout, the answer cached for a moment so that a load
balancer polling every few hundred milliseconds costs nothing. 503 names the part that is down."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaClient
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_runtime.transport import kafka_client_options

TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 1.5


class HealthCheck:
    def __init__(self, engine: AsyncEngine, bootstrap_servers: str, *,
                 timeout: float = TIMEOUT_SECONDS, cache_seconds: float = CACHE_SECONDS) -> None:
        self._engine = engine
        self._bootstrap = bootstrap_servers
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, dict[str, str]] | None = None
        self._lock = asyncio.Lock()

    async def parts(self) -> dict[str, str]:
        """{"database": "ok" | reason, "broker": "ok" | reason}."""
        async with self._lock:  # concurrent probes share one check
            if self._cached and time.monotonic() - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            database, broker = await asyncio.gather(self._database(), self._broker())
            self._cached = (time.monotonic(), {"database": database, "broker": broker})
            return self._cached[1]

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            return "ok"
        except Exception as error:  # any failure is the answer, not an error of the probe
            return _reason(error)

    async def _broker(self) -> str:
        # A fresh client each time: a long-lived one would report the health of its own
        # connection state, and the embedded broker's restarts leave such clients confused.
        client = AIOKafkaClient(bootstrap_servers=self._bootstrap,
                                request_timeout_ms=int(self._timeout * 1000),
                                client_id="motcua-healthz",
                                **kafka_client_options(self._bootstrap))
        try:
            async with asyncio.timeout(self._timeout):
                await client.bootstrap()
            return "ok"
        except Exception as error:
            return _reason(error)
        finally:
            await client.close()


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:.0f}s"
    return f"{type(error).__name__}: {error}"[:200]


async def healthz(request: Request) -> JSONResponse:
    """The `/healthz` route: 200 when every part answers, else 503 with the parts' state. An app
    built without a check (a unit test's) reports the process alone."""
    check: HealthCheck | None = getattr(request.app.state, "health", None)
    if check is None:
        return JSONResponse({"status": "ok"})
    parts = await check.parts()
    down = sorted(name for name, state in parts.items() if state != "ok")
    body = {"status": "ok" if not down else "down", "down": down, **parts}
    return JSONResponse(body, status_code=503 if down else 200)
