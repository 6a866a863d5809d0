"""What every service's HTTP API shares: bad input is a 4xx with a message naming the field and
the reason, a database outage is a 503 with Retry-After, never a 500 for either; every error,
whoever raised it, is an RFC 9457 problem detail (motcua_runtime.problems), and the OpenAPI
document declares them (motcua_runtime.openapi)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from motcua_runtime.openapi import install_problem_docs
from motcua_runtime.problems import from_http_detail, problem_response
from motcua_runtime.query_parameters import refuse_unknown_query_parameters

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
    """`store` names what is unavailable when the database is, in the 503's message. Also
    declares the problem responses in the app's OpenAPI document."""
    install_problem_docs(app)
    refuse_unknown_query_parameters(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail, extensions = from_http_detail(error.detail)
        return problem_response(error.status_code, detail,
                                headers=error.headers, **extensions)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(
            422, first_error_message(error),
            errors=[{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                    for e in error.errors()])

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, DBAPIError) and _is_bad_value(error):
            # The request's data, not the database: e.g. a NUL character (\u0000), which JSON
            # allows and Postgres text cannot hold. Nothing was written (the transaction rolled
            # back); the applicant can send it again without the character.
            # The statement without its parameters: they are the applicant's data (masked as
            # well, but a value that is not recognisably personal would pass).
            log.warning("request value refused by the database", statement=error.statement,
                        sqlstate=_sqlstate(error), error=str(error.orig))
            return problem_response(
                422, "a value in the request cannot be stored (control characters such "
                     "as \\u0000 are not allowed in text)")
        log.error("database unavailable", error=str(error))
        return problem_response(503, f"the {store} is unavailable; retry shortly",
                                headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A defect of ours: the client learns no more than that (the log has the traceback).
        log.exception("unexpected error", path=request.url.path,
                      error=f"{type(error).__name__}")
        return problem_response(500, "an unexpected error; it has been logged")


def _is_bad_value(error: DBAPIError) -> bool:
    """SQLSTATE class 22 (data exception): the value was wrong, the database was fine."""
    sqlstate = _sqlstate(error)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


def _sqlstate(error: DBAPIError) -> str | None:
    cause = error.orig
    if cause is None:  # no driver error to read a SQLSTATE from
        return None
    return getattr(cause, "sqlstate", None) or getattr(cause.__cause__, "sqlstate", None)


async def session_from(request: Request) -> AsyncIterator[AsyncSession]:
    """A session from `app.state.sessions`, for one request."""
    async with request.app.state.sessions() as session:
        yield session
