"""Every HTTP API's errors against its own OpenAPI document, route by route: each service's app
is built as its composition root builds it, on a real Postgres (and once on a Postgres that is
not there), and every operation is called without a token, with a wrong body, with an unknown
id, with an oversized body and with the database down. Whatever error comes back must be one
the operation declares, as `application/problem+json` valid against the document's own
`Problem` schema (RFC 9457); and each kind of error must really happen where it is declared."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_runtime.db import create_engine
from motcua_runtime.problems import PROBLEM_JSON
from motcua_runtime.rate_limits import RateLimitSettings
from tests.http.apps import LIMIT, NAMES, build, isolated_databases

METHODS = ("get", "post", "put", "patch", "delete")
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/nothing"  # a port nothing listens on


@dataclass
class Api:
    name: str
    app: FastAPI
    token: str  # an officer who may use most of its routes
    seen: dict[str, set[int]] = field(default_factory=dict)  # operation -> error statuses


@pytest.fixture(scope="module")
async def databases(infra) -> AsyncIterator[dict[str, tuple[async_sessionmaker, str]]]:
    made, engines = await isolated_databases(infra, "errors")
    yield made
    for engine in engines:
        await engine.dispose()


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, item[method]) for path, item in document["paths"].items()
            for method in METHODS if method in item]


def fill(path: str, operation: dict, *, unknown: bool = True) -> str:
    """The path with every parameter given a well-formed value nobody holds."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        kind = parameter.get("schema", {}).get("type")
        fmt = parameter.get("schema", {}).get("format")
        value = ("999999" if kind == "integer" else str(uuid.uuid4()) if fmt == "uuid"
                 else "000.00.15.H38-251124-9999")
        path = path.replace("{" + parameter["name"] + "}", value)
    return path


def problem_validator(document: dict) -> Draft202012Validator:
    return Draft202012Validator({"$ref": "#/components/schemas/Problem",
                                 "components": document["components"]})


def check(api: Api, document: dict, method: str, path: str, operation: dict,
          response: httpx.Response) -> None:
    """An error answer is declared by the operation and is a valid problem detail."""
    if response.status_code < 400:
        return
    where = f"{api.name} {method.upper()} {path} answered {response.status_code}"
    assert str(response.status_code) in operation["responses"], \
        f"{where}, which it does not declare: {response.text[:300]}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), where
    body = response.json()
    errors = [e.message for e in problem_validator(document).iter_errors(body)]
    assert not errors, (where, errors, body)
    assert body["status"] == response.status_code and body["detail"] == body["message"], where
    api.seen.setdefault(f"{method} {path}", set()).add(response.status_code)


async def walk(api: Api, client: httpx.AsyncClient, document: dict) -> None:
    authorised = {"Authorization": f"Bearer {api.token}"}
    for method, path, operation in operations(document):
        url = fill(path, operation)
        secured = bool(operation.get("security"))
        takes_body = "requestBody" in operation
        # Without a token.
        response = await client.request(method, url, json={} if takes_body else None)
        check(api, document, method, path, operation, response)
        if secured:
            assert response.status_code == 401, f"{api.name} {method} {path} without a token"
        # With a token and the wrong body, or none where one is required.
        response = await client.request(method, url, headers=authorised,
                                        json=[] if takes_body else None)
        check(api, document, method, path, operation, response)
        if takes_body:
            assert response.status_code in (403, 404, 422), (api.name, method, path,
                                                             response.text[:300])
        # A body over the limit (uploads stream theirs, limited by the files' own limits:
        # tests/intake/test_files_api.py).
        if takes_body and path != "/api/files":
            response = await client.request(method, url, headers={
                **authorised, "content-type": "application/json"}, content=b" " * (LIMIT + 1))
            check(api, document, method, path, operation, response)
            assert response.status_code == 413, (api.name, method, path)
        # A malformed id, where the path names one by a typed value.
        typed = [p for p in operation.get("parameters", []) if p["in"] == "path"
                 and (p.get("schema", {}).get("type") == "integer"
                      or p.get("schema", {}).get("format") == "uuid")]
        if typed:
            malformed = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    malformed = malformed.replace("{" + parameter["name"] + "}", "not-an-id")
            response = await client.request(method, malformed, headers=authorised,
                                            json={} if takes_body else None)
            check(api, document, method, path, operation, response)
            assert response.status_code == 422, (api.name, method, path, response.text[:200])
        # An unknown id, where the path names one.
        if "{" in path:
            response = await client.request(method, url, headers=authorised,
                                            params=_required_query(operation))
            check(api, document, method, path, operation, response)


def _required_query(operation: dict) -> dict[str, str]:
    values = {"string": "1", "integer": "1"}
    return {p["name"]: values.get(p.get("schema", {}).get("type", "string"), "1")
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p.get("required")}


@pytest.mark.parametrize("name", NAMES)
async def test_every_error_of_every_route_is_a_declared_problem(databases, name):
    sessions, topic = databases[name]
    app, token = build(name, sessions, topic)
    api = Api(name, app, token)
    document = app.openapi()
    validate_openapi(document)
    assert document["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearerToken"]["description"]}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in operations(document):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"][PROBLEM_JSON]["schema"] == {
                    "$ref": "#/components/schemas/Problem"}, (name, method, path, code)
                example = response["content"][PROBLEM_JSON]["example"]
                assert not list(problem_validator(document).iter_errors(example))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url=f"http://{name}") as client:
        await walk(api, client, document)
    statuses = set().union(*api.seen.values())
    assert {401, 404, 422} <= statuses, statuses


@pytest.mark.parametrize("name", NAMES)
async def test_with_the_database_down_every_route_answers_a_declared_503(name):
    engine = create_engine(NOWHERE)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        app, token = build(name, sessions, "nowhere")
        document = app.openapi()
        api = Api(name, app, token)
        authorised = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=f"http://{name}") as client:
            for method, path, operation in operations(document):
                response = await client.request(method, fill(path, operation),
                                                headers=authorised,
                                                params=_required_query(operation))
                assert response.status_code != 500, (name, method, path, response.text)
                check(api, document, method, path, operation, response)
                if response.status_code == 503:
                    assert response.headers["retry-after"] == "5"
    finally:
        await engine.dispose()
    assert any(503 in seen for seen in api.seen.values()), api.seen


async def test_the_rate_limits_answer_a_declared_problem(databases):
    sessions, topic = databases["intake"]
    app, _ = build("intake", sessions, topic, rate_limits=RateLimitSettings(
        rate_limit_reads="2/minute", rate_limit_lookups="2/minute"))
    document = app.openapi()
    api = Api("intake", app, "")
    path = "/api/dossiers/{id_or_code}"
    operation = document["paths"][path]["get"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        for _ in range(4):
            response = await client.get(fill(path, operation))
            check(api, document, "get", path, operation, response)
    assert 429 in api.seen[f"get {path}"]
    assert "message_vi" in response.json()


async def test_the_docs_pages_load_nothing_from_elsewhere(databases):
    sessions, topic = databases["intake"]
    app, _ = build("intake", sessions, topic)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        for page, assets in (("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
                             ("/redoc", ("redoc.standalone.js",))):
            html = (await client.get(page)).raise_for_status().text
            assert "http://" not in html and "https://" not in html, (page, html)
            for asset in assets:
                assert f"/docs-assets/{asset}" in html
                served = await client.get(f"/docs-assets/{asset}")
                assert served.status_code == 200 and len(served.content) > 10_000
