"""A streaming reader of `multipart/form-data` (RFC 7578): each part's headers, then its bytes
as they arrive, so an upload goes to the file store chunk by chunk and is refused at its limit
without ever being held whole (Starlette's form parser reads the whole body first). Intake's
upload (`POST /api/files`) and the workspace's desk filing read their bodies with it.

Only what a file upload needs: `Content-Disposition: form-data; name=...; filename=...` (also
`filename*=UTF-8''...`, RFC 8187) and `Content-Type`. Headers are bounded; a body that ends
before its closing delimiter is an error, and so is anything malformed."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass

MAX_HEADER_BYTES = 8 * 1024  # one part's headers
MAX_PREAMBLE_BYTES = 8 * 1024  # what may come before the first delimiter (nothing, usually)
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data (a 422 naming what is wrong)."""


@dataclass
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    data: AsyncIterator[bytes]


def boundary_of(content_type: str | None) -> bytes:
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise MultipartError("the body must be multipart/form-data (one part per file)")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise MultipartError("the multipart/form-data Content-Type has no boundary")
    return (match.group(1) or match.group(2)).encode("latin-1")


def _disposition(value: str) -> tuple[str | None, str | None]:
    if not value.lower().startswith("form-data"):
        raise MultipartError(f"a part's Content-Disposition is {value[:40]!r}, not form-data")
    params: dict[str, str] = {}
    for key, quoted, bare in _PARAM.findall(value):
        params[key.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted else bare
    filename = params.get("filename")
    extended = params.get("filename*")
    if extended and extended.lower().startswith("utf-8''"):
        filename = urllib.parse.unquote(extended[7:], errors="strict")
    return params.get("name"), filename


def _headers(block: bytes) -> tuple[str | None, str | None, str | None]:
    try:  # browsers and httpx send a file's name in UTF-8 inside the quotes
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    name = filename = content_type = None
    for line in text.split("\r\n"):
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"a part's header line {line[:40]!r} has no ':'")
        key, value = key.strip().lower(), value.strip()
        if key == "content-disposition":
            name, filename = _disposition(value)
        elif key == "content-type":
            content_type = value
    return name, filename, content_type


class _Stream:
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.buffer = b""
        self.ended = False

    async def fill(self) -> bool:
        if self.ended:
            return False
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self.ended = True
            return False
        self.buffer += chunk
        return True

    async def until(self, marker: bytes, limit: int, what: str) -> bytes:
        """Everything before `marker` (consumed with it), at most `limit` bytes."""
        while (index := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit + len(marker):
                raise MultipartError(f"{what} is longer than {limit} bytes")
            if not await self.fill():
                raise MultipartError(f"the body ended inside {what}")
        found, self.buffer = self.buffer[:index], self.buffer[index + len(marker):]
        return found

    async def exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            if not await self.fill():
                raise MultipartError("the body ended before its closing delimiter")
        found, self.buffer = self.buffer[:count], self.buffer[count:]
        return found


async def parts(chunks: AsyncIterator[bytes], boundary: bytes) -> AsyncIterator[Part]:
    """The parts in order. Read (or leave) each part's `data` before asking for the next: what
    is left of it is skipped."""
    stream = _Stream(chunks)
    delimiter = b"\r\n--" + boundary
    await stream.until(b"--" + boundary, MAX_PREAMBLE_BYTES, "the preamble")
    while True:
        after = await stream.exactly(2)
        if after == b"--":
            return  # the closing delimiter; an epilogue is ignored
        if after != b"\r\n":
            raise MultipartError("a multipart delimiter is not followed by a line break")
        name, filename, content_type = _headers(
            await stream.until(b"\r\n\r\n", MAX_HEADER_BYTES, "a part's headers"))
        finished = False

        async def data() -> AsyncIterator[bytes]:
            nonlocal finished
            while not finished:
                index = stream.buffer.find(delimiter)
                if index >= 0:
                    chunk, stream.buffer = stream.buffer[:index], stream.buffer[index + len(
                        delimiter):]
                    finished = True
                    if chunk:
                        yield chunk
                    return
                # Keep what could be the start of the delimiter; hand on the rest.
                keep = len(delimiter) - 1
                if len(stream.buffer) > keep:
                    chunk, stream.buffer = stream.buffer[:-keep], stream.buffer[-keep:]
                    yield chunk
                if not await stream.fill():
                    raise MultipartError("the body ended inside a part, before its delimiter")

        part_data = data()
        yield Part(name, filename, content_type, part_data)
        async for _ in part_data:  # the rest of a part its reader left
            pass
        if not finished:
            raise MultipartError("a part was not read to its end")
