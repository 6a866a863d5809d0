"""What every service's OpenAPI document says about errors, and where its docs pages come from.

FastAPI declares the responses a route names and its own 422 (as `HTTPValidationError`, a shape
we never send). This rewrites the generated document once, the first time it is asked for:

- every error response of every operation is `application/problem+json` with the `Problem`
  schema (motcua_runtime.problems) and an example;
- every operation that reads a bearer token (motcua_runtime.officers.BEARER) declares 401;
- every operation whose path names something (a dossier, a work item, a procedure) declares
  404 unless its route says more precisely what a 404 means there;
- every operation with a request body declares 400 (a body that is not UTF-8 text: FastAPI
  cannot parse it, before any validation);
- every operation declares 503 (its database unavailable, with Retry-After);
- the edge limits installed on the app declare theirs: 413 on every operation with a body
  (motcua_runtime.http_limits), 429 on every operation (motcua_runtime.rate_limits).

Swagger UI and ReDoc are served from the `fastapi-offline-docs` package's copies, never a CDN:
a closed government network cannot reach one. Neither page loads web fonts or a favicon from
elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fastapi_offline_docs
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from motcua_runtime.problems import PROBLEM_JSON, Problem, problem_body

DOCS_ASSETS = "/docs-assets"
_ASSETS_DIR = Path(fastapi_offline_docs.__file__).parent / "static"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Errors every operation may answer, beyond those its route declares.
UNAVAILABLE = "The service's database is unavailable; retry after the Retry-After seconds"
UNAUTHORISED = "No bearer token, or one that is expired, revoked or not addressed here"
NOT_FOUND = "Nothing with this identifier (or nothing this caller may see)"
TOO_LARGE = "The request body is larger than this API accepts"
UNREADABLE = "The request body cannot be read (not UTF-8 text)"
TOO_MANY = "Too many requests from this client (or guesses for this code); see Retry-After"


def declare_everywhere(app: FastAPI, status: int, description: str, *,
                       with_body_only: bool = False) -> None:
    """An edge limit's answer, declared on every operation (or every one that takes a body)."""
    extra: list[tuple[int, str, bool]] = getattr(app.state, "problem_responses", [])
    extra.append((status, description, with_body_only))
    app.state.problem_responses = extra


def install_problem_docs(app: FastAPI) -> None:
    """Before the app serves: the rewritten OpenAPI document and the offline docs pages."""
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    _serve_docs_offline(app)


def _document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)  # builds and caches app.openapi_schema
        declare_problems(schema, getattr(app.state, "problem_responses", []))
    return app.openapi_schema  # type: ignore[return-value]


def declare_problems(schema: dict[str, Any],
                     extra: Sequence[tuple[int, str, bool]] = ()) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for item in schema.get("paths", {}).values():
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {"description": UNAUTHORISED})
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                responses.setdefault("404", {"description": NOT_FOUND})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": UNREADABLE})
            responses.setdefault("503", {"description": UNAVAILABLE})
            for status, description, with_body_only in extra:
                if not with_body_only or "requestBody" in operation:
                    responses.setdefault(str(status), {"description": description})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    example = problem_body(int(code), response.get("description", ""))
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF,
                                                          "example": example}}
                    if code == "503" or code == "429":
                        response.setdefault("headers", {})["Retry-After"] = {
                            "description": "Seconds to wait before trying again",
                            "schema": {"type": "integer"}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def _serve_docs_offline(app: FastAPI) -> None:
    docs_url, redoc_url = app.docs_url, app.redoc_url
    app.docs_url = app.redoc_url = None  # FastAPI adds its CDN pages at startup otherwise
    app.router.routes = [route for route in app.router.routes
                         if getattr(route, "path", None) not in (docs_url, redoc_url)]
    app.mount(DOCS_ASSETS, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    # Swagger UI's and ReDoc's own icon would come from fastapi.tiangolo.com: none instead.
    no_icon = "data:,"

    if docs_url:
        @app.get(docs_url, include_in_schema=False)
        async def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_swagger_ui_html(
                openapi_url=root + openapi_url, title=f"{app.title}: Swagger UI",
                swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
                swagger_favicon_url=no_icon)

    if redoc_url:
        @app.get(redoc_url, include_in_schema=False)
        async def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_redoc_html(
                openapi_url=root + openapi_url, title=f"{app.title}: ReDoc",
                redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
                redoc_favicon_url=no_icon, with_google_fonts=False)
