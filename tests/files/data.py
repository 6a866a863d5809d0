"""Small real-looking files: each starts with its format's signature."""

from __future__ import annotations

import os

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def pdf_of(size: int) -> bytes:
    """A PDF-signed file of exactly `size` bytes, different on every call."""
    return (PDF_BYTES + os.urandom(max(0, size - len(PDF_BYTES))))[:size]


async def stream_of(data: bytes, chunk: int = 64 * 1024):
    for start in range(0, len(data), chunk):
        yield data[start:start + chunk]
