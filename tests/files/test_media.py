"""The accepted types, judged from the bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua_files import (
    JPEG,
    PDF,
    PNG,
    MediaTypeMismatch,
    UnsupportedMediaType,
    check_media_type,
    sniff,
)
from tests.files.data import JPEG_BYTES, PDF_BYTES, PNG_BYTES


@pytest.mark.parametrize(("data", "expected"), [
    (PDF_BYTES, PDF), (JPEG_BYTES, JPEG), (PNG_BYTES, PNG),
    (b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG),
])
def test_sniff_knows_the_three_formats_by_their_signature(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize("data", [
    b"", b"%PDF", b"%pdf-1.7", b" %PDF-1.7", b"\xff\xd8", b"\x89PNG\r\n\x1a", b"GIF89a",
    b"PK\x03\x04word/document.xml", b"MZ\x90\x00", b"<html><body>%PDF-</body></html>",
])
def test_sniff_refuses_everything_else(data):
    assert sniff(data) is None


@given(st.binary(max_size=64))
def test_sniff_answers_only_for_a_signature_at_the_very_start(data):
    found = sniff(data)
    signatures = {PDF: b"%PDF-", JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}
    assert found is None or data.startswith(signatures[found])
    assert sniff(b" " + data) is None  # a signature counts only at byte 0


@pytest.mark.parametrize("declared", [
    None, "application/pdf", "APPLICATION/PDF; charset=binary", "application/octet-stream", "",
    "application/x-pdf",
])
def test_a_pdf_declared_as_pdf_or_as_nothing_is_a_pdf(declared):
    assert check_media_type("Tờ khai.pdf", PDF_BYTES, declared) == PDF


def test_image_jpg_is_what_some_clients_call_jpeg():
    assert check_media_type("ảnh.jpg", JPEG_BYTES, "image/jpg") == JPEG


def test_bytes_of_another_accepted_type_than_declared_are_a_mismatch_naming_the_file():
    with pytest.raises(MediaTypeMismatch) as refused:
        check_media_type("Giấy khai sinh.pdf", PNG_BYTES, "application/pdf")
    assert refused.value.status == 415
    assert refused.value.file_name == "Giấy khai sinh.pdf"
    assert "'Giấy khai sinh.pdf' is declared as application/pdf but its content is image/png" \
        in str(refused.value)


def test_a_declared_type_outside_the_three_is_refused_before_the_bytes_are_looked_at():
    with pytest.raises(UnsupportedMediaType, match="'bản vẽ.docx' is declared as application/"
                       "vnd.openxmlformats-officedocument.wordprocessingml.document") as refused:
        check_media_type("bản vẽ.docx", PDF_BYTES,
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert refused.value.status == 415


@pytest.mark.parametrize(("head", "complaint"), [
    (b"MZ\x90\x00\x03\x00\x00\x00", "is not a PDF, JPEG or PNG file"),
    (b"", "is empty"),
])
def test_undeclared_bytes_of_no_accepted_type_are_refused(head, complaint):
    with pytest.raises(UnsupportedMediaType, match=complaint) as refused:
        check_media_type("hoadon.pdf", head, None)
    assert refused.value.status == 415
    assert not isinstance(refused.value, MediaTypeMismatch)
    assert "'hoadon.pdf'" in str(refused.value)
