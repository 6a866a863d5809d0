"""A query parameter an operation does not take is a 422 naming it, on the app's own routes and
on an included router's (FastAPI 0.16x keeps an included router whole, which once let every
included route ignore unknown parameters silently)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends, FastAPI

from motcua_runtime.http import install_error_handlers


def paging(limit: int = 50, offset: int = 0) -> tuple[int, int]:
    return limit, offset


def app_with_a_router() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, "test store")
    router = APIRouter()
    inner = APIRouter()

    @router.get("/api/reads")
    async def reads(code: str | None = None, page: tuple[int, int] = Depends(paging)) -> dict:
        return {"code": code, "page": list(page)}

    @inner.get("/api/deep/{item}")
    async def deep(item: int, since: str | None = None) -> dict:
        return {"item": item}

    @app.get("/api/own")
    async def own(state: str = "open") -> dict:
        return {"state": state}

    router.include_router(inner)
    app.include_router(router, prefix="/v1")
    return app


async def test_unknown_parameters_are_refused_on_included_and_own_routes_alike():
    transport = httpx.ASGITransport(app=app_with_a_router())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        fine = await client.get("/v1/api/reads", params={"code": "X", "limit": 5})
        assert fine.status_code == 200 and fine.json() == {"code": "X", "page": [5, 0]}
        for url, params, named in (("/v1/api/reads", {"colour": "x"}, "'colour'"),
                                   ("/v1/api/deep/3", {"sinse": "2026"}, "'sinse'"),
                                   ("/api/own", {"stat": "open"}, "'stat'")):
            refused = await client.get(url, params=params)
            assert refused.status_code == 422, (url, refused.text)
            assert named in refused.json()["message"]
        taken = (await client.get("/v1/api/reads", params={"colour": "x"})).json()["message"]
        assert "code, limit, offset" in taken  # a dependency's parameters are the operation's
        assert (await client.get("/v1/api/deep/3", params={"since": "x"})).status_code == 200
