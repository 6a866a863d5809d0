"""The interface every file store offers: content-addressed by SHA-256, so the same bytes are
stored once whoever sends them, and every read checks that the bytes still are what was stored."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from motcua_files.streams import ByteSource, StoredFile, VerifiedFile


@runtime_checkable
class FileStore(Protocol):
    async def put(self, data: ByteSource, media_type: str) -> StoredFile:
        """Store the bytes under their SHA-256 and describe them. Bytes already stored are not
        written again. A source that raises part-way (an upload refused at its limit) leaves
        nothing behind: the file appears whole or not at all."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The whole file, verified; StoredFileMissing or StoredFileCorrupt otherwise."""
        ...

    async def open(self, sha256: str) -> VerifiedFile:
        """The file to stream, verified before its first byte; the same errors as `get`."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> None:
        """Remove the file (erasure); deleting a file that is not there is not an error."""
        ...

    async def check(self) -> None:
        """FileStoreUnavailable unless the store can be used: for a service's start, so a
        missing bucket is found then and not as "no stored file" on a citizen's download."""
        ...
