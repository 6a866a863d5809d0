"""The embedded default's store: files under the data folder, `<root>/ab/cd/<sha256>`, needing no
server. Two levels of 256 folders keep any one folder small for a province's millions of files."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from motcua_files.digests import check_digest, validate_digest
from motcua_files.errors import FileStoreUnavailable, StoredFileMissing
from motcua_files.media import sniff
from motcua_files.streams import CHUNK_BYTES, ByteSource, StoredFile, VerifiedFile, write_hashing

INCOMING = ".incoming"  # uploads being written; on the same filesystem, so renames are atomic


class FilesystemStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        digest = validate_digest(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, data: ByteSource, media_type: str) -> StoredFile:
        incoming = self.root / INCOMING
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=incoming, prefix="upload-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                written = await write_hashing(data, file)
                # On disk before it gets its name: after a power cut a file under its digest
                # is whole, never a name pointing at missing blocks.
                await asyncio.to_thread(os.fsync, file.fileno())
            stored = StoredFile(written.sha256, written.size, media_type)
            final = self.path_of(written.sha256)
            if not await asyncio.to_thread(final.is_file):
                await asyncio.to_thread(self._rename, Path(temporary), final)
            # Already there: the same bytes by definition, so nothing new is stored. Two
            # uploads of the same bytes at once may both rename; either result is the same file.
            return stored
        finally:
            Path(temporary).unlink(missing_ok=True)

    @staticmethod
    def _rename(temporary: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        # The rename itself is durable only once the folder holding the new name is synced.
        folder = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def _open_verified(self, sha256: str) -> tuple[BinaryIO, StoredFile]:
        path = self.path_of(sha256)
        try:
            file = path.open("rb")
        except FileNotFoundError:
            raise StoredFileMissing(f"no stored file {sha256}") from None
        try:
            hasher = hashlib.sha256()
            head = b""
            size = 0
            while chunk := file.read(CHUNK_BYTES):
                head = head or chunk[:16]
                hasher.update(chunk)
                size += len(chunk)
            check_digest(sha256, hasher, str(path))
            file.seek(0)  # serve from the very descriptor that was verified
        except BaseException:
            file.close()
            raise
        return file, StoredFile(sha256, size, sniff(head) or "application/octet-stream")

    async def get(self, sha256: str) -> bytes:
        path = self.path_of(sha256)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise StoredFileMissing(f"no stored file {sha256}") from None
        check_digest(sha256, hashlib.sha256(data), str(path))
        return data

    async def open(self, sha256: str) -> VerifiedFile:
        file, stored = await asyncio.to_thread(self._open_verified, sha256)
        return VerifiedFile(stored, file)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, missing_ok=True)

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        incoming = self.root / INCOMING
        try:
            incoming.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=incoming).close()
        except OSError as error:
            raise FileStoreUnavailable(
                f"the file store's folder {self.root} cannot be written: {error}") from error

    async def discard_incoming(self, older_than_seconds: float = 3600) -> int:
        """Remove uploads a crashed process left half-written (a put in progress removes its own
        on any error); returns how many. Older than an hour: no upload of 20 MiB takes that."""
        return await asyncio.to_thread(self._discard_incoming, older_than_seconds)

    def _discard_incoming(self, older_than_seconds: float) -> int:
        incoming = self.root / INCOMING
        if not incoming.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        discarded = 0
        for leftover in incoming.iterdir():
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
                discarded += 1
        return discarded
