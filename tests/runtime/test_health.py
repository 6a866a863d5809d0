"""/healthz's check of the database and the broker, against the real ones and against ports
where nothing listens."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from motcua_cli.embedded import free_port
from motcua_runtime.db import create_engine
from motcua_runtime.health import HealthCheck, healthz


def app_with(check: HealthCheck) -> FastAPI:
    app = FastAPI()
    app.add_api_route("/healthz", healthz)
    app.state.health = check
    return app


async def get_health(app: FastAPI) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        return await client.get("/healthz")


async def test_healthz_is_200_when_the_database_and_the_broker_answer(infra):
    engine = create_engine(infra.server_url)
    try:
        response = await get_health(app_with(HealthCheck(engine, infra.bootstrap_servers)))
    finally:
        await engine.dispose()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "down": [], "database": "ok", "broker": "ok"}


async def test_healthz_is_503_and_names_what_is_down(infra):
    nowhere = free_port()
    engine = create_engine(f"postgresql+asyncpg://postgres:@127.0.0.1:{nowhere}/postgres")
    try:
        response = await get_health(app_with(HealthCheck(engine, infra.bootstrap_servers)))
        assert response.status_code == 503
        assert response.json()["down"] == ["database"]
        assert response.json()["broker"] == "ok"
        both = app_with(HealthCheck(engine, f"127.0.0.1:{nowhere}", timeout=1))
        assert (await get_health(both)).json()["down"] == ["broker", "database"]
    finally:
        await engine.dispose()
