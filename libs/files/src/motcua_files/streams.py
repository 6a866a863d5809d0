"""Bytes in, bytes out: the shapes a file travels in between an upload, a store and a response."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 256 * 1024

# What a store accepts: the whole file, or a stream of it (an upload read as it arrives).
ByteSource = bytes | AsyncIterable[bytes]


async def chunks_of(source: ByteSource) -> AsyncIterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if source:
            yield bytes(source)
        return
    async for chunk in source:
        if chunk:
            yield bytes(chunk)


@dataclass
class Written:
    sha256: str
    size: int


async def write_hashing(source: ByteSource, file: BinaryIO) -> Written:
    """Copy `source` into `file`, hashing as it goes. If the source raises (an upload over its
    limit, a dropped connection) the error propagates and the caller discards the file."""
    hasher = hashlib.sha256()
    size = 0
    async for chunk in chunks_of(source):
        hasher.update(chunk)
        size += len(chunk)
        # Off the event loop: a slow disk must not stall the other requests.
        await asyncio.to_thread(file.write, chunk)
    await asyncio.to_thread(file.flush)
    return Written(hasher.hexdigest(), size)


@dataclass(frozen=True)
class StoredFile:
    """A file as a store holds it, and as events describe it (with the name the dossier gives)."""

    sha256: str
    size: int
    media_type: str


class VerifiedFile:
    """An open stored file whose SHA-256 was checked before its first byte is handed out: an
    HTTP response that has begun cannot be taken back, so a damaged file must fail before.
    Iterate it once (it closes itself at the end), or use it as an async context manager."""

    def __init__(self, stored: StoredFile, file: BinaryIO) -> None:
        self.stored = stored
        self._file = file

    @property
    def size(self) -> int:
        return self.stored.size

    @property
    def media_type(self) -> str:
        return self.stored.media_type

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self._file.read, CHUNK_BYTES):
                yield chunk
        finally:
            self._file.close()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    def close(self) -> None:
        self._file.close()

    async def __aenter__(self) -> VerifiedFile:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
