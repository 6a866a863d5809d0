"""JSON parsed with the line each object starts on, so that a catalogue file's errors can name
the line as a CSV file's do (the standard library's parser forgets positions once it is done).

Scalars are decoded by the standard parser itself (`raw_decode`); only objects and arrays are
walked here, recursively (a catalogue nests a few levels)."""

from __future__ import annotations

import bisect
import json
import re
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
    return _Parser(text).document()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def document(self) -> Any:
        value, end = self.value(self.skip(0))
        end = self.skip(end)
        if end != len(self.text):
            raise JsonSyntaxError("extra data after the JSON value", self.line(end))
        return value

    def line(self, index: int) -> int:
        return bisect.bisect_left(self.newlines, index) + 1

    def skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _SPACE:
            index += 1
        return index

    def at(self, index: int, char: str) -> bool:
        return index < len(self.text) and self.text[index] == char

    def expect(self, index: int, char: str) -> int:
        if not self.at(index, char):
            found = repr(self.text[index]) if index < len(self.text) else "the end of the file"
            raise JsonSyntaxError(f"expected {char!r}, found {found}", self.line(index))
        return index + 1

    def value(self, index: int) -> tuple[Any, int]:
        if self.at(index, "{"):
            return self.object(index)
        if self.at(index, "["):
            return self.array(index)
        try:
            return _DECODER.raw_decode(self.text, index)
        except json.JSONDecodeError as error:
            raise JsonSyntaxError(error.msg, error.lineno) from None

    def object(self, index: int) -> tuple[LocatedDict, int]:
        result = LocatedDict()
        result.line = self.line(index)
        index = self.skip(index + 1)
        if self.at(index, "}"):
            return result, index + 1
        while True:
            key_at = index
            key, index = self.value(index)
            if not isinstance(key, str):
                raise JsonSyntaxError("an object's keys are strings", self.line(key_at))
            if key in result:
                raise JsonSyntaxError(f"key {key!r} appears twice in one object",
                                      self.line(key_at))
            index = self.skip(self.expect(self.skip(index), ":"))
            result[key], index = self.value(index)
            index = self.skip(index)
            if self.at(index, "}"):
                return result, index + 1
            index = self.skip(self.expect(index, ","))

    def array(self, index: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        index = self.skip(index + 1)
        if self.at(index, "]"):
            return items, index + 1
        while True:
            item, index = self.value(index)
            items.append(item)
            index = self.skip(index)
            if self.at(index, "]"):
                return items, index + 1
            index = self.skip(self.expect(index, ","))
