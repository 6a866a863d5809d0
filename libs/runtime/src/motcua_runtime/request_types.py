"""Field types for HTTP request bodies that refuse exactly what their JSON Schema refuses: the
contracts' (motcua_contracts.json_types), so an event and a request read an integer alike.

Pydantic's lax `int` takes `false` and `"5"` (neither is a JSON Schema integer) and its
`StrictInt` refuses `1.0` (which is one): `JsonInt` takes a JSON integer, `1.0` included, and
refuses booleans and strings, as the OpenAPI document's `"type": "integer"` says."""

from __future__ import annotations

from motcua_contracts.json_types import JSON_INTEGER, JsonInt

__all__ = ["JSON_INTEGER", "JsonInt"]
# Bounds on a JsonInt inside a container go before JSON_INTEGER, or Pydantic writes them into
# the JSON Schema as `ge`/`le` instead of `minimum`/`maximum`:
# `list[Annotated[int, Interval(ge=0, le=2), JSON_INTEGER]]`. A field's own Field(ge=...) is fine.
