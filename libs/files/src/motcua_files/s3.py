"""Files on any S3-compatible object store (AWS S3, MinIO, Ceph, a cloud provider's), under the
keys `sha256/<digest>`, through obstore (Rust's object_store: native async, no dependencies).
Credentials come from the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN), which obstore reads itself; the endpoint, bucket and region are passed."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import obstore
from obstore.store import S3Store as _ObstoreS3

from motcua_files.digests import check_digest, validate_digest
from motcua_files.errors import FileStoreUnavailable, StoredFileMissing
from motcua_files.media import sniff
from motcua_files.streams import CHUNK_BYTES, ByteSource, StoredFile, VerifiedFile, write_hashing

KEY_PREFIX = "sha256/"
# S3's smallest multipart part (except the last) is 5 MiB: a file up to one part goes in a
# single PUT, a larger one in parts of this size, so a lost connection re-sends one part.
PART_BYTES = 5 * 1024 * 1024
_SPOOL_IN_MEMORY_BYTES = 1024 * 1024


class S3Store:
    def __init__(self, bucket: str, *, endpoint_url: str | None = None,
                 region: str | None = None, spool_dir: Path | None = None) -> None:
        # Each request's body is already checked by the server: SigV4 signs its SHA-256
        # (x-amz-content-sha256). No `checksum_algorithm`: object_store's multipart completion
        # leaves out the parts' checksums, which AWS S3 refuses (moto lets it pass).
        options: dict = {}
        if endpoint_url:
            options["endpoint"] = endpoint_url
            # MinIO inside the compose network speaks plain HTTP; everywhere else use https.
            options["client_options"] = {"allow_http": endpoint_url.startswith("http://")}
        if region:
            options["region"] = region
        self.bucket = bucket
        self._store = _ObstoreS3(bucket, **options)
        # str, not Path: typeshed types SpooledTemporaryFile's dir as str alone.
        self._spool_dir = str(spool_dir) if spool_dir else None

    @staticmethod
    def key_of(sha256: str) -> str:
        return KEY_PREFIX + validate_digest(sha256)

    async def put(self, data: ByteSource, media_type: str) -> StoredFile:
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
            stored = StoredFile(hashlib.sha256(data).hexdigest(), len(data), media_type)
            if not await self.exists(stored.sha256):
                await self._upload(stored, data)
            return stored
        # The key is the digest, known only at the end of the stream: spool it first (to
        # memory, then to disk past 1 MiB), so a refused or broken upload never reaches S3.
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY_BYTES, dir=self._spool_dir) as spool:
            written = await write_hashing(data, spool)  # type: ignore[arg-type]
            stored = StoredFile(written.sha256, written.size, media_type)
            if await self.exists(stored.sha256):
                return stored  # the same bytes are there already: store nothing new
            spool.seek(0)
            if written.size <= PART_BYTES:
                await self._upload(stored, await asyncio.to_thread(spool.read))
            else:
                await self._upload(stored, _parts(spool))  # type: ignore[arg-type]
        return stored

    async def _upload(self, stored: StoredFile, body: bytes | AsyncIterator[bytes]) -> None:
        # Overwrite, not create-if-absent: obstore does conditional puts in one request only,
        # and two racing uploads of one digest carry the same bytes anyway.
        await obstore.put_async(
            self._store, self.key_of(stored.sha256), body,
            attributes={"Content-Type": stored.media_type},
            use_multipart=not isinstance(body, bytes), chunk_size=PART_BYTES)

    async def get(self, sha256: str) -> bytes:
        key = self.key_of(sha256)
        try:
            result = await obstore.get_async(self._store, key)
            data = bytes(await result.bytes_async())
        except FileNotFoundError:
            raise StoredFileMissing(f"no stored file {sha256}") from None
        check_digest(sha256, hashlib.sha256(data), f"s3://{self.bucket}/{key}")
        return data

    async def open(self, sha256: str) -> VerifiedFile:
        key = self.key_of(sha256)
        spool = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY_BYTES, dir=self._spool_dir)
        try:
            try:
                result = await obstore.get_async(self._store, key)
                hasher = hashlib.sha256()
                head = b""
                async for chunk in result.stream(min_chunk_size=CHUNK_BYTES):
                    chunk = bytes(chunk)
                    head = head or chunk[:16]
                    hasher.update(chunk)
                    await asyncio.to_thread(spool.write, chunk)
            except FileNotFoundError:
                raise StoredFileMissing(f"no stored file {sha256}") from None
            check_digest(sha256, hasher, f"s3://{self.bucket}/{key}")
            size = spool.tell()
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        stored = StoredFile(sha256, size, sniff(head) or "application/octet-stream")
        return VerifiedFile(stored, spool)  # type: ignore[arg-type]

    async def exists(self, sha256: str) -> bool:
        try:
            await obstore.head_async(self._store, self.key_of(sha256))
        except FileNotFoundError:
            return False
        return True

    async def delete(self, sha256: str) -> None:
        await obstore.delete_async(self._store, self.key_of(sha256))

    async def check(self) -> None:
        # Listing one key needs the bucket, the credentials and the list right; a HEAD of a
        # missing key would answer 404 for a missing bucket too.
        try:
            await anext(aiter(obstore.list(self._store, KEY_PREFIX, chunk_size=1)), None)
        except Exception as error:
            raise FileStoreUnavailable(
                f"the file store's bucket {self.bucket!r} cannot be listed: {error}") from error


async def _parts(spool: BinaryIO) -> AsyncIterator[bytes]:
    while part := await asyncio.to_thread(spool.read, PART_BYTES):
        yield part
