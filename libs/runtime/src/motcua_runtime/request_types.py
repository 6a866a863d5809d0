"""Field types for HTTP request bodies that refuse exactly what their JSON Schema refuses.

Pydantic's lax `int` takes `false` and `"5"` (neither is a JSON Schema integer) and its
`StrictInt` refuses `1.0` (which is one): `JsonInt` takes a JSON integer, `1.0` included, and
refuses booleans and strings, as the OpenAPI document's `"type": "integer"` says."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _a_json_integer(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    return value  # an int, or a float that lax `int` takes only without a fraction


JSON_INTEGER = BeforeValidator(_a_json_integer)
JsonInt = Annotated[int, JSON_INTEGER]
# Bounds on a JsonInt inside a container go before JSON_INTEGER, or Pydantic writes them into
# the JSON Schema as `ge`/`le` instead of `minimum`/`maximum`:
# `list[Annotated[int, Interval(ge=0, le=2), JSON_INTEGER]]`. A field's own Field(ge=...) is fine.
