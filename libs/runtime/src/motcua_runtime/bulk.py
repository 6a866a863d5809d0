"""A batch's rows written in one statement, whatever their number: the rows travel as one JSON
document that Postgres turns back into the table's own row type (`json_populate_recordset`),
so every column keeps its type (timestamps, JSONB, booleans) without a parameter per value.

Why not an executemany: asyncpg sends a Bind and an Execute message per row, and a statement
per kind of write is a round trip each; building and writing those messages was most of what a
view's writes cost per event (issue 15). One orjson document is serialised in C and sent as one
parameter; the statements are built once per table and compiled once, and several of them can
go in one round trip as the CTEs of one statement (`Insert.add_cte`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import JSON, Table, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import Insert, insert


def rows_document(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as the JSON the statements take: datetimes in ISO 8601 with their offset (a
    naive one as UTC), UUIDs as text, dicts and lists (JSONB columns) as they are."""
    return orjson.dumps(list(rows), default=_uuid_text, option=orjson.OPT_NAIVE_UTC).decode()


def _uuid_text(value: object) -> str:
    """What orjson does not take itself: asyncpg's own UUID class (rows read back), as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a value of a column")


def inserting(table: Table, parameter: str) -> Insert:
    """INSERT of the rows given as the JSON document `parameter` (rows_document), each with
    every column of the table (a key the document lacks is null)."""
    # Sent as text and cast by Postgres: a JSON-typed parameter would be serialised again.
    document = cast(bindparam(parameter, type_=Text), JSON)
    # The table's own composite type gives every column its type.
    given = func.json_populate_recordset(
        literal_column(f"NULL::{table.fullname}"), document,
    ).table_valued(*(column.name for column in table.columns)).alias(f"given_{table.name}")
    names = [column.name for column in table.columns]
    return insert(table).from_select(names, select(*(given.c[name] for name in names)))


def upserting(table: Table, key: str, parameter: str) -> Insert:
    """INSERT of the rows given as `parameter`, a row whose key is already in the table
    replacing every column of it."""
    statement = inserting(table, parameter)
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={column.name: statement.excluded[column.name] for column in table.columns
              if column.name != key})
