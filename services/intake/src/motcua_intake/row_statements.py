"""Rows written as one statement of arrays: `INSERT ... SELECT FROM unnest(...)` and
`UPDATE ... FROM unnest(...)`, one array per column, whatever the number of rows. An
executemany sends and binds a message per row and SQLAlchemy processes every value of every row
before it (issue 15: the dossiers' UPDATE was 13% of the tracking view's CPU per event). Each
statement is built once per table and set of columns.

A JSON column travels as text (serialised by orjson, in C: the standard library's encoder was a
fifth of what the writes cost, issue 15) and is cast in the statement; a None is SQL NULL in
every column (for a JSON column too, which the readers see as None all the same)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Column, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import JSON

_DIALECT = postgresql.dialect()
_QUOTE = _DIALECT.identifier_preparer.quote
# As the standard library's encoder took them: dict keys that are numbers written as text.
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _unnest(table: Table, columns: Sequence[str]) -> str:
    """`unnest(CAST(:p0 AS UUID[]), ...) AS v(id, ...)`: the arrays as rows."""
    arrays = ", ".join(
        f"CAST(:p{i} AS {'TEXT' if _is_json(table.c[name]) else table.c[name].type.compile(_DIALECT)}[])"  # noqa: E501
        for i, name in enumerate(columns))
    return f"unnest({arrays}) AS v({', '.join(_QUOTE(name) for name in columns)})"


def _value(table: Table, name: str) -> str:
    return f"CAST(v.{_QUOTE(name)} AS JSONB)" if _is_json(table.c[name]) else f"v.{_QUOTE(name)}"


def _name(table: Table) -> str:
    return f"{_QUOTE(table.schema)}.{_QUOTE(table.name)}" if table.schema else _QUOTE(table.name)


@cache
def inserting(table: Table, columns: tuple[str, ...]) -> TextClause:
    """Insert rows of `columns`, the arrays in that order."""
    return text(f"INSERT INTO {_name(table)} ({', '.join(_QUOTE(name) for name in columns)}) "
                f"SELECT {', '.join(_value(table, name) for name in columns)} "
                f"FROM {_unnest(table, columns)}")


@cache
def updating(table: Table, columns: tuple[str, ...], key: str = "id") -> TextClause:
    """Set `columns` of the rows whose `key` is given: the arrays are the keys, then `columns`."""
    assignments = ", ".join(f"{_QUOTE(name)} = {_value(table, name)}" for name in columns)
    return text(f"UPDATE {_name(table)} AS t SET {assignments} "
                f"FROM {_unnest(table, (key, *columns))} "
                f"WHERE t.{_QUOTE(key)} = v.{_QUOTE(key)}")


def arrays(table: Table, columns: Sequence[str], rows: Sequence[Any],
           value: Callable[[Any, str], Any] = getattr) -> dict[str, list[Any]]:
    """The statement's parameters: each column's values over `rows` (`value(row, name)`)."""
    parameters = {}
    for i, (name, is_json) in enumerate(_kinds(table, tuple(columns))):
        values = [value(row, name) for row in rows]
        if is_json:
            values = [None if v is None else orjson.dumps(v, option=_JSON_OPTIONS).decode()
                      for v in values]
        parameters[f"p{i}"] = values
    return parameters


@cache
def _kinds(table: Table, columns: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """Each column's name and whether it holds JSON, looked up once per table and columns (the
    lookup and its isinstance on SQLAlchemy's types were 8% of the writes)."""
    return tuple((name, _is_json(table.c[name])) for name in columns)
