"""Every integer of the contracts and of the HTTP request bodies is a JSON integer: `true` (a
bool, which Python counts as an int, so pydantic's lax mode took it) and `"5"` are refused, as
the JSON Schemas' `"type": "integer"` says; `1.0` is one (motcua_contracts.json_types)."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from motcua_appraisal.handlers import Appraisal
from motcua_approval.handlers import Approval
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import EVENT_TYPES, UnsupportedEvent, parse_event
from motcua_contracts.json_types import JSON_INTEGER
from motcua_delivery.handlers import Delivery
from motcua_signing.handlers import Signing
from tests.contracts.test_events import make, raw


def models_within(model: type[BaseModel], seen: set[type] | None = None) -> Iterator[type]:
    """`model` and every model its fields hold, however nested (lists, unions, Annotated)."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield model
    for info in model.model_fields.values():
        for inner in _types(info.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from models_within(inner, seen)


def _types(annotation: object) -> Iterator[object]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types(argument)


def lax_integers(model: type[BaseModel]) -> list[str]:
    """The fields of `model` that hold an int without the JSON_INTEGER check."""
    found = []
    for name, info in model.model_fields.items():
        annotations = list(_types(info.annotation))
        if int not in annotations:
            continue
        checked = JSON_INTEGER in info.metadata or any(
            JSON_INTEGER in getattr(a, "__metadata__", ()) for a in annotations)
        if not checked:
            found.append(f"{model.__name__}.{name}")
    return found


def request_models() -> Iterator[type[BaseModel]]:
    """The bodies of every HTTP request: intake's routes, each stage's work-queue decisions."""
    from tests.http.apps import _build  # the apps as their composition roots build them

    # An engine that never connects: the routes are only read, never called.
    unused = async_sessionmaker(create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/x"))
    app, _ = _build("intake", unused, "t")
    for route in _routes(app.routes):
        for parameter in getattr(getattr(route, "dependant", None), "body_params", ()):
            if isinstance(parameter.field_info.annotation, type):
                yield parameter.field_info.annotation
    catalogue, calendar = default_catalogue(), WorkingCalendar()
    stages = (Appraisal(catalogue, calendar), Approval(catalogue, calendar),
              Signing(catalogue, calendar, None), Delivery(catalogue))  # type: ignore[arg-type]
    for stage in stages:
        for decision in stage.work_queue().values():
            yield decision.body


def _routes(routes: list) -> Iterator[object]:
    """Every route, those of included routers too (FastAPI includes them lazily)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else [route]


def test_every_integer_of_every_event_refuses_a_bool():
    lax = sorted({field for event in EVENT_TYPES.values() for model in models_within(event)
                  for field in lax_integers(model)})
    assert lax == []


def test_every_integer_of_every_request_body_refuses_a_bool():
    bodies = list(request_models())
    assert {"Submission", "Payment", "RatingIn", "RequestFees"} <= {b.__name__ for b in bodies}
    lax = sorted({field for body in bodies for model in models_within(body)
                  for field in lax_integers(model)})
    assert lax == []


@pytest.mark.parametrize(("where", "value"), [
    (("documents", 0, "size"), True), (("documents", 0, "size"), "1024"),
    (("fees_paid",), False), (("schema_version",), True)])
def test_a_submission_with_a_bool_or_a_string_for_an_integer_is_refused(where, value):
    document = raw(make("DossierSubmitted"))
    target = document
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    with pytest.raises(UnsupportedEvent, match=".".join(map(str, where))):
        parse_event(json.dumps(document).encode())


def test_an_integer_written_as_a_whole_float_is_still_one():
    document = raw(make("FeesPaid"))
    document["amount"] = 200000.0
    assert parse_event(json.dumps(document).encode()).amount == 200_000  # type: ignore[attr-defined]


async def test_a_filing_naming_a_document_size_true_is_a_422(infra):
    from tests.http.apps import build, isolated_databases

    databases, engines = await isolated_databases(infra, "strict")
    sessions, topic = databases["intake"]
    app, _ = build("intake", sessions, topic)
    body = {"procedure_code": "2.000488", "channel": "online",
            "applicant": {"full_name": "Lò Thị Mai", "id_number": "012345678901",
                          "phone": "0987654321", "address": "Sa Pa"},
            "documents": [{"name": "Tờ khai", "sha256": "ab" * 32, "size": True}],
            "delivery": {"channel": "online"}, "data": {"purpose": "Xin việc"}}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as client:
            response = await client.post("/api/dossiers", json=body)
    finally:
        for engine in engines:
            await engine.dispose()
    assert response.status_code == 422
    assert "documents.0.size" in response.json()["message"]

