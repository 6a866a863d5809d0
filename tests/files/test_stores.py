"""The contract of every FileStore, run on the filesystem store and on the S3 store against a
real S3 server process (moto); then what is particular to each."""

from __future__ import annotations

import hashlib
import os

import pytest

from motcua_files import (
    PDF,
    PNG,
    FileStore,
    FilesystemStore,
    InvalidDigest,
    StoredFile,
    StoredFileCorrupt,
    StoredFileMissing,
)
from motcua_files.s3 import PART_BYTES
from tests.files.data import PNG_BYTES, pdf_of, stream_of


def corrupt(store, sha256: str, request: pytest.FixtureRequest) -> None:
    """Damage the stored object behind the store's back, as a disk or an operator would."""
    if isinstance(store, FilesystemStore):
        path = store.path_of(sha256)
        damaged = bytearray(path.read_bytes())
        damaged[-1] ^= 0x01
        path.write_bytes(bytes(damaged))
    else:
        request.getfixturevalue("s3_server").client().put_object(
            Bucket=store.bucket, Key=store.key_of(sha256), Body=b"%PDF-1.7 something else")


def test_both_stores_are_file_stores(filesystem_store, s3_store):
    assert isinstance(filesystem_store, FileStore) and isinstance(s3_store, FileStore)


async def test_a_usable_store_passes_its_check(store):
    await store.check()


async def test_put_bytes_stores_them_under_their_sha256(store, held):
    data = pdf_of(10_000)
    stored = await store.put(data, PDF)
    assert stored == StoredFile(hashlib.sha256(data).hexdigest(), 10_000, PDF)
    assert await store.exists(stored.sha256)
    assert await store.get(stored.sha256) == data
    assert len(held()) == 1


@pytest.mark.parametrize("size", [1, 300_000, PART_BYTES + 1])
async def test_put_a_stream_stores_what_it_yields(store, size):
    data = pdf_of(size)
    stored = await store.put(stream_of(data), PDF)
    assert (stored.sha256, stored.size) == (hashlib.sha256(data).hexdigest(), size)
    assert await store.get(stored.sha256) == data


async def test_the_same_bytes_twice_are_stored_once(store, held):
    data = pdf_of(50_000)
    first = await store.put(data, PDF)
    before = held()
    second = await store.put(stream_of(data, chunk=999), PDF)
    assert first == second
    assert held() == before and len(before) == 1


async def test_open_streams_the_verified_file(store):
    data = pdf_of(700_000)
    stored = await store.put(data, PDF)
    opened = await store.open(stored.sha256)
    assert (opened.size, opened.media_type) == (700_000, PDF)
    chunks = [chunk async for chunk in opened]
    assert b"".join(chunks) == data
    assert len(chunks) > 1  # streamed, not one block


async def test_open_tells_the_media_type_from_the_bytes(store):
    stored = await store.put(PNG_BYTES, PNG)
    async with await store.open(stored.sha256) as opened:
        assert opened.media_type == PNG
        assert await opened.read() == PNG_BYTES


async def test_a_corrupted_object_is_never_served(store, request):
    stored = await store.put(pdf_of(20_000), PDF)
    corrupt(store, stored.sha256, request)
    with pytest.raises(StoredFileCorrupt, match=f"stored file {stored.sha256}") as failed:
        await store.get(stored.sha256)
    assert failed.value.status == 500
    with pytest.raises(StoredFileCorrupt):
        await store.open(stored.sha256)  # before the first byte, so no response has begun


async def test_a_missing_file_is_an_error_of_its_own(store):
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not await store.exists(absent)
    for read in (store.get, store.open):
        with pytest.raises(StoredFileMissing) as missing:
            await read(absent)
        assert missing.value.status == 404


async def test_delete_removes_the_file_and_may_be_repeated(store, held):
    kept = await store.put(pdf_of(1000), PDF)
    erased = await store.put(pdf_of(1000), PDF)
    await store.delete(erased.sha256)
    await store.delete(erased.sha256)
    assert not await store.exists(erased.sha256)
    assert await store.exists(kept.sha256)
    assert len(held()) == 1


async def test_a_stream_that_fails_part_way_leaves_nothing(store, held):
    async def broken():
        yield pdf_of(PART_BYTES)
        yield os.urandom(PART_BYTES)  # past one part: an S3 store must not have begun uploading
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(broken(), PDF)
    assert held() == []


@pytest.mark.parametrize("digest", [
    "../../etc/passwd", "A" * 64, "0" * 63, "0" * 65, hashlib.sha256(b"x").hexdigest() + "/..",
    "sha256/" + "0" * 64, "",
])
async def test_only_a_hex_sha256_reaches_a_path_or_a_key(store, digest):
    for call in (store.get, store.open, store.exists, store.delete):
        with pytest.raises(InvalidDigest) as refused:
            await call(digest)
        assert refused.value.status == 422


# ---- the filesystem store ---------------------------------------------------------------------

async def test_files_lie_under_two_levels_of_their_digest(filesystem_store):
    stored = await filesystem_store.put(pdf_of(100), PDF)
    digest = stored.sha256
    path = filesystem_store.root / digest[:2] / digest[2:4] / digest
    assert filesystem_store.path_of(digest) == path and path.is_file()
    assert not list((filesystem_store.root / ".incoming").iterdir())


async def test_a_second_put_leaves_the_first_file_untouched(filesystem_store):
    data = pdf_of(100)
    stored = await filesystem_store.put(data, PDF)
    before = filesystem_store.path_of(stored.sha256).stat()
    await filesystem_store.put(data, PDF)
    after = filesystem_store.path_of(stored.sha256).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


async def test_uploads_a_crash_left_behind_are_discarded_once_old(filesystem_store):
    stored = await filesystem_store.put(pdf_of(100), PDF)
    incoming = filesystem_store.root / ".incoming"
    old, fresh = incoming / "upload-crashed", incoming / "upload-in-progress"
    old.write_bytes(b"%PDF-half")
    fresh.write_bytes(b"%PDF-half")
    os.utime(old, (0, 0))
    assert await filesystem_store.discard_incoming(older_than_seconds=3600) == 1
    assert not old.exists() and fresh.exists()
    assert await filesystem_store.exists(stored.sha256)


# ---- the S3 store -----------------------------------------------------------------------------

async def test_objects_are_keyed_by_digest_with_their_media_type(s3_store, s3_server):
    stored = await s3_store.put(PNG_BYTES, PNG)
    head = s3_server.client().head_object(Bucket=s3_store.bucket, Key=f"sha256/{stored.sha256}")
    assert head["ContentType"] == PNG
    assert head["ContentLength"] == len(PNG_BYTES)


async def test_a_large_file_goes_up_in_parts(s3_store, s3_server):
    data = pdf_of(2 * PART_BYTES + 123)
    stored = await s3_store.put(stream_of(data), PDF)
    head = s3_server.client().head_object(Bucket=s3_store.bucket,
                                          Key=s3_store.key_of(stored.sha256))
    assert head["ETag"].strip('"').endswith("-3")  # S3's ETag of a multipart object: <md5>-<parts>
    assert await s3_store.get(stored.sha256) == data


async def test_a_small_file_goes_up_in_one_request(s3_store, s3_server):
    data = pdf_of(1000)
    stored = await s3_store.put(stream_of(data, chunk=100), PDF)
    head = s3_server.client().head_object(Bucket=s3_store.bucket,
                                          Key=s3_store.key_of(stored.sha256))
    assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()


async def test_the_same_bytes_twice_make_no_second_write(s3_store, s3_server):
    # A versioned bucket keeps every write: an overwrite with the same bytes would show as a
    # second version, which an object listing cannot tell from the first.
    client = s3_server.client()
    client.put_bucket_versioning(Bucket=s3_store.bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
    data = pdf_of(PART_BYTES + 10)
    stored = await s3_store.put(data, PDF)
    await s3_store.put(stream_of(data), PDF)
    versions = client.list_object_versions(Bucket=s3_store.bucket)["Versions"]
    assert [version["Key"] for version in versions] == [s3_store.key_of(stored.sha256)]
