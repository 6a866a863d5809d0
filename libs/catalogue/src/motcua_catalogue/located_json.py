"""JSON parsed with the line each object starts on, so that a catalogue file's errors can name
the line as a CSV file's do (the standard library's parser forgets positions once it is done).

Scalars are decoded by the standard parser itself (`raw_decode`); only objects and arrays are
walked here, iteratively enough for a catalogue (nesting is shallow: a few levels)."""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


class LocatedDict(dict[str, Any]):
    """A JSON object that knows the line (1-based) its opening brace is on."""

    line: int = 0


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def loads(text: str) -> Any:
    """Parse `text`; every object in the result is a LocatedDict."""
    value, end = _value(text, _skip(text, 0))
    end = _skip(text, end)
    if end != len(text):
        raise JsonSyntaxError("extra data after the JSON value", _line(text, end))
    return value


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def _expect(text: str, index: int, char: str) -> int:
    if index >= len(text) or text[index] != char:
        found = repr(text[index]) if index < len(text) else "the end of the file"
        raise JsonSyntaxError(f"expected {char!r}, found {found}", _line(text, index))
    return index + 1


def _value(text: str, index: int) -> tuple[Any, int]:
    if index < len(text) and text[index] == "{":
        return _object(text, index)
    if index < len(text) and text[index] == "[":
        return _array(text, index)
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError as error:
        raise JsonSyntaxError(error.msg, error.lineno) from None


def _object(text: str, index: int) -> tuple[LocatedDict, int]:
    result = LocatedDict()
    result.line = _line(text, index)
    index = _skip(text, index + 1)
    if index < len(text) and text[index] == "}":
        return result, index + 1
    while True:
        key_at = index
        key, index = _value(text, index)
        if not isinstance(key, str):
            raise JsonSyntaxError("an object's keys are strings", _line(text, key_at))
        if key in result:
            raise JsonSyntaxError(f"key {key!r} appears twice in one object", _line(text, key_at))
        index = _skip(text, _expect(text, _skip(text, index), ":"))
        result[key], index = _value(text, index)
        index = _skip(text, index)
        if index < len(text) and text[index] == "}":
            return result, index + 1
        index = _skip(text, _expect(text, index, ","))


def _array(text: str, index: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    index = _skip(text, index + 1)
    if index < len(text) and text[index] == "]":
        return items, index + 1
    while True:
        item, index = _value(text, index)
        items.append(item)
        index = _skip(text, index)
        if index < len(text) and text[index] == "]":
            return items, index + 1
        index = _skip(text, _expect(text, index, ","))
