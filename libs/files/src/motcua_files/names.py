"""The rule for the name a file is uploaded under. The name is only ever shown and put in a
Content-Disposition header: files are stored under their SHA-256, so this is about what an
officer sees and downloads, not about paths on our disk."""

from __future__ import annotations

import unicodedata

from motcua_files.errors import InvalidFileName

MAX_NAME_BYTES = 255  # what most filesystems allow for the name when the officer saves it

# Bidirectional overrides and isolates turn "hoadon‮fdp.exe" into what reads as "hoadonexe.pdf".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_file_name(name: str) -> str:
    """The name in NFC (one code point per Vietnamese letter, however the sender's system
    composed it: macOS sends "ệ" decomposed), without surrounding spaces; or InvalidFileName."""
    normalised = unicodedata.normalize("NFC", name).strip()
    if not normalised:
        raise InvalidFileName("a file has an empty name", file_name=name)
    for char in normalised:
        if char in "/\\":
            raise InvalidFileName(
                f"file name {normalised!r} contains a path separator ({char!r}); send the "
                "file's own name, without folders", file_name=name)
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise InvalidFileName(
                f"file name {normalised!r} contains the control character U+{ord(char):04X}",
                file_name=name)
    if ".." in normalised:
        raise InvalidFileName(f"file name {normalised!r} contains '..'", file_name=name)
    if len(normalised.encode()) > MAX_NAME_BYTES:
        raise InvalidFileName(
            f"file name {normalised[:40]!r}… is longer than {MAX_NAME_BYTES} bytes in UTF-8 "
            "(a Vietnamese letter takes 2 or 3)", file_name=name)
    return normalised
