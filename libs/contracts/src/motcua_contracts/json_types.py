"""Field types that refuse exactly what their JSON Schema refuses, for the events and the HTTP
request bodies alike (motcua_runtime.request_types re-exports them for the latter).

Pydantic's lax `int` takes `true` and `"5"` (neither is a JSON Schema integer: a bool is an int
to Python) and its `StrictInt` refuses `1.0` (which is one): `JsonInt` takes a JSON integer,
`1.0` included, and refuses booleans and strings, as the schema's `"type": "integer"` says."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _a_json_integer(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    return value  # an int, or a float that lax `int` takes only without a fraction


JSON_INTEGER = BeforeValidator(_a_json_integer)
JsonInt = Annotated[int, JSON_INTEGER]
