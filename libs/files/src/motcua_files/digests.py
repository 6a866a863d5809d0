"""SHA-256 digests: the only part of a path or an object key that comes from outside."""

from __future__ import annotations

import hashlib
import re

from motcua_files.errors import InvalidDigest, StoredFileCorrupt

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def validate_digest(value: str) -> str:
    """`value` if it is a SHA-256 in 64 lowercase hex digits (as events carry it), else
    InvalidDigest; this is what keeps "../" and friends out of paths and keys."""
    if not isinstance(value, str) or not _HEX_DIGEST.fullmatch(value):
        raise InvalidDigest(f"{value!r} is not a SHA-256 (64 lowercase hex digits)")
    return value


def check_digest(expected: str, hasher: "hashlib._Hash", where: str) -> None:
    """StoredFileCorrupt unless what was read hashes to `expected`."""
    actual = hasher.hexdigest()
    if actual != expected:
        raise StoredFileCorrupt(
            f"stored file {expected} ({where}) reads back with SHA-256 {actual}: it is damaged "
            "and is not served; restore it from a backup")
