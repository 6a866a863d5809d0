"""An upload's checks: a refused file is refused before it is stored, and the stream is read no
further than the limit."""

from __future__ import annotations

import unicodedata

import pytest

from motcua_files import (
    PDF,
    PNG,
    DossierFilesTooLarge,
    FileTooLarge,
    InvalidFileName,
    MediaTypeMismatch,
    UnsupportedMediaType,
    UploadCheck,
)
from motcua_files.upload import describe_bytes
from tests.files.data import PNG_BYTES, pdf_of, stream_of

KIB = 1024


class CountingSource:
    """A stream that would never end, counting how much of it was read."""

    def __init__(self, first: bytes, chunk: int = KIB) -> None:
        self.first = first
        self.chunk = chunk
        self.read = 0

    async def __aiter__(self):
        self.read += len(self.first)
        yield self.first
        while True:
            self.read += self.chunk
            yield b"\0" * self.chunk


def check(dossier_bytes: int = 0) -> UploadCheck:
    return UploadCheck(max_file_bytes=20 * KIB, max_dossier_bytes=50 * KIB,
                       dossier_bytes=dossier_bytes)


async def test_an_accepted_file_is_stored_and_described(store, held):
    accepted = await check().store(store, unicodedata.normalize("NFD", "Tờ khai.pdf"),
                                   "application/pdf", pdf_of(20 * KIB))
    assert (accepted.name, accepted.size, accepted.media_type) == ("Tờ khai.pdf", 20 * KIB, PDF)
    assert await store.exists(accepted.sha256)
    assert len(held()) == 1


async def test_the_type_is_told_from_the_first_bytes_however_thinly_they_arrive(store):
    accepted = await check().store(store, "ảnh.png", None, stream_of(PNG_BYTES, chunk=1))
    assert accepted.media_type == PNG
    assert await store.get(accepted.sha256) == PNG_BYTES


async def test_one_byte_over_the_file_limit_is_a_413_naming_the_file_and_nothing_is_stored(
        store, held):
    with pytest.raises(FileTooLarge) as refused:
        await check().store(store, "bản vẽ.pdf", PDF, stream_of(pdf_of(20 * KIB + 1), chunk=999))
    assert refused.value.status == 413
    assert refused.value.file_name == "bản vẽ.pdf"
    assert str(refused.value) == ("file 'bản vẽ.pdf' is larger than 20,480 bytes, the limit "
                                  "for one file")
    assert held() == []


async def test_reading_stops_at_the_limit(filesystem_store):
    source = CountingSource(pdf_of(KIB))
    with pytest.raises(FileTooLarge):
        await check().store(filesystem_store, "vô tận.pdf", None, source)
    assert 20 * KIB < source.read <= 20 * KIB + KIB


async def test_the_dossier_limit_counts_what_it_already_holds(store, held):
    uploads = check(dossier_bytes=15 * KIB)
    first = await uploads.store(store, "một.pdf", PDF, pdf_of(20 * KIB))
    assert uploads.dossier_bytes == 35 * KIB
    with pytest.raises(DossierFilesTooLarge) as refused:
        await uploads.store(store, "hai.pdf", PDF, pdf_of(15 * KIB + 1))
    assert refused.value.status == 413
    assert "'hai.pdf' would take the dossier's files past 51,200 bytes in all (already " \
           "35,840 bytes)" in str(refused.value)
    assert uploads.dossier_bytes == 35 * KIB
    (only,) = held()
    assert first.sha256 in only
    await uploads.store(store, "hai.pdf", PDF, pdf_of(15 * KIB))  # exactly full is fine


async def test_a_renamed_file_is_refused_before_the_rest_of_it_is_read(filesystem_store, held):
    source = CountingSource(PNG_BYTES)
    with pytest.raises(MediaTypeMismatch, match="'đơn.pdf' is declared as application/pdf"):
        await check().store(filesystem_store, "đơn.pdf", "application/pdf", source)
    assert source.read == len(PNG_BYTES)
    assert held() == []


async def test_an_executable_is_refused_whatever_it_is_called(store, held):
    with pytest.raises(UnsupportedMediaType) as refused:
        await check().store(store, "hoadon.pdf", None, b"MZ\x90\x00" + b"\0" * 100)
    assert refused.value.status == 415
    assert held() == []


async def test_a_bad_name_is_refused_before_anything_is_read(filesystem_store, held):
    source = CountingSource(pdf_of(KIB))
    with pytest.raises(InvalidFileName):
        await check().store(filesystem_store, "../tờ khai.pdf", PDF, source)
    assert source.read == 0
    assert held() == []


@pytest.mark.parametrize(("size", "text"), [
    (20 * 1024 * 1024, "20 MiB"), (100 * 1024 * 1024, "100 MiB"), (1_500_000, "1,500,000 bytes")])
def test_limits_are_told_in_the_unit_they_were_set_in(size, text):
    assert describe_bytes(size) == text
