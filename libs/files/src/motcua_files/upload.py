"""The checks every uploaded file passes before it is stored: its name, its type judged from
its bytes, its size alone and with the dossier's other files. The stream is read once, as it
arrives, and reading stops at the first byte over a limit; the store only ever receives a file
that passed, and a stream that fails part-way leaves nothing stored (see FileStore.put)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from motcua_files.errors import DossierFilesTooLarge, FileTooLarge
from motcua_files.media import SNIFF_BYTES, check_media_type
from motcua_files.names import validate_file_name
from motcua_files.store import FileStore
from motcua_files.streams import ByteSource, chunks_of


@dataclass(frozen=True)
class AcceptedFile:
    """A stored file of a dossier: what events carry as one of its documents' files."""

    name: str
    sha256: str
    size: int
    media_type: str


def describe_bytes(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size:,} bytes"


class UploadCheck:
    """One dossier's uploads in one request (a filing, a supplement): `dossier_bytes` is what
    its files already stored take, and grows with every file accepted here."""

    def __init__(self, *, max_file_bytes: int, max_dossier_bytes: int,
                 dossier_bytes: int = 0) -> None:
        self.max_file_bytes = max_file_bytes
        self.max_dossier_bytes = max_dossier_bytes
        self.dossier_bytes = dossier_bytes

    async def store(self, store: FileStore, name: str, content_type: str | None,
                    data: ByteSource) -> AcceptedFile:
        """Check and store one file; a FileRejected (413, 415, 422) names it otherwise."""
        file_name = validate_file_name(name)
        chunks = aiter(chunks_of(data))
        head_chunks: list[bytes] = []
        head = b""
        async for chunk in chunks:  # just enough of the stream to tell its type
            head_chunks.append(chunk)
            head += chunk[:SNIFF_BYTES]
            if len(head) >= SNIFF_BYTES:
                break
        media_type = check_media_type(file_name, head, content_type)
        stored = await store.put(self._within_limits(file_name, head_chunks, chunks), media_type)
        self.dossier_bytes += stored.size
        return AcceptedFile(file_name, stored.sha256, stored.size, stored.media_type)

    async def _within_limits(self, file_name: str, head_chunks: list[bytes],
                             rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        room = self.max_dossier_bytes - self.dossier_bytes
        size = 0

        async def every_chunk() -> AsyncIterator[bytes]:
            for chunk in head_chunks:
                yield chunk
            async for chunk in rest:
                yield chunk

        async for chunk in every_chunk():
            size += len(chunk)
            if size > self.max_file_bytes:
                raise FileTooLarge(
                    f"file {file_name!r} is larger than {describe_bytes(self.max_file_bytes)}, "
                    "the limit for one file", file_name=file_name)
            if size > room:
                raise DossierFilesTooLarge(
                    f"file {file_name!r} would take the dossier's files past "
                    f"{describe_bytes(self.max_dossier_bytes)} in all (already "
                    f"{describe_bytes(self.dossier_bytes)})", file_name=file_name)
            yield chunk
