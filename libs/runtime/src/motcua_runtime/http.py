"""What every service's HTTP API shares: bad input is a 4xx with a message naming the field and
the reason, a database outage is a 503 with Retry-After, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)


def first_error_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        if item["type"] == "json_invalid":
            return "the request body is not valid JSON"
        location = ".".join(str(p) for p in item["loc"] if p not in ("body",))
        parts.append(f"{location or 'body'}: {item['msg']}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI, store: str) -> None:
    """`store` names what is unavailable when the database is, in the 503's message."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={
            "message": first_error_message(error),
            "detail": [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                       for e in error.errors()]})

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def unavailable(_request: Request, error: Exception) -> JSONResponse:
        if _is_bad_value(error):
            # The request's data, not the database: e.g. a NUL character (\u0000), which JSON
            # allows and Postgres text cannot hold. Nothing was written (the transaction rolled
            # back); the applicant can send it again without the character.
            log.warning("request value refused by the database", error=str(error))
            return JSONResponse(status_code=422, content={
                "message": "a value in the request cannot be stored (control characters such "
                           "as \\u0000 are not allowed in text)"})
        log.error("database unavailable", error=str(error))
        return JSONResponse(status_code=503, content={
            "message": f"the {store} is unavailable; retry shortly"},
            headers={"Retry-After": "5"})


def _is_bad_value(error: Exception) -> bool:
    """SQLSTATE class 22 (data exception): the value was wrong, the database was fine."""
    if not isinstance(error, DBAPIError):
        return False
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause.__cause__, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


async def session_from(request: Request) -> AsyncIterator[AsyncSession]:
    """A session from `app.state.sessions`, for one request."""
    async with request.app.state.sessions() as session:
        yield session
