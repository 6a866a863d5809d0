"""Which files are accepted, decided from their first bytes: a file's name and the type its
sender declares are both chosen by the sender, and a renamed executable must not reach an
officer's PDF viewer."""

from __future__ import annotations

from motcua_files.errors import MediaTypeMismatch, UnsupportedMediaType

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

# Signatures from the formats' specifications: ISO 32000 (header "%PDF-"), JPEG's SOI marker
# followed by the first marker's FF, and PNG's eight-byte signature.
_SIGNATURES = ((PDF, b"%PDF-"), (JPEG, b"\xff\xd8\xff"), (PNG, b"\x89PNG\r\n\x1a\n"))
ACCEPTED = frozenset(media_type for media_type, _ in _SIGNATURES)
# The name a download of each accepted type gets after its dot.
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
SNIFF_BYTES = max(len(signature) for _, signature in _SIGNATURES)

# Types a client sends when it does not know: curl's and many browsers' default for a file part.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "application/x-pdf": PDF}


def sniff(data: bytes) -> str | None:
    """The accepted media type the bytes start with, or None."""
    for media_type, signature in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def declared_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type value, lowercased, without parameters; None when the
    sender declared nothing meaningful."""
    if content_type is None:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _UNDECLARED:
        return None
    return _ALIASES.get(media_type, media_type)


def check_media_type(file_name: str, head: bytes, content_type: str | None) -> str:
    """The file's media type from its first bytes (at least SNIFF_BYTES of them unless the file
    is shorter), checked against what the sender declared."""
    declared = declared_type(content_type)
    if declared is not None and declared not in ACCEPTED:
        raise UnsupportedMediaType(
            f"file {file_name!r} is declared as {declared}; only PDF, JPEG and PNG are accepted",
            file_name=file_name)
    found = sniff(head)
    if found is None:
        what = "is empty" if not head else "is not a PDF, JPEG or PNG file (judged by its content)"
        raise UnsupportedMediaType(f"file {file_name!r} {what}", file_name=file_name)
    if declared is not None and declared != found:
        raise MediaTypeMismatch(
            f"file {file_name!r} is declared as {declared} but its content is {found}",
            file_name=file_name)
    return found
