"""What can go wrong with a file, each error carrying the HTTP status an API answers with and a
message that names the file, so the person who sent it knows which one to fix."""

from __future__ import annotations


class FileError(Exception):
    """Base of every error of this library; `status` is the HTTP status it maps to."""

    status: int = 500

    def __init__(self, message: str, *, file_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file_name = file_name


class FileRejected(FileError):
    """The sender's file is refused (a 4xx); nothing of it was stored."""

    status = 422


class InvalidFileName(FileRejected):
    status = 422


class FileTooLarge(FileRejected):
    """The file alone is over FILES_MAX_FILE_BYTES."""

    status = 413


class DossierFilesTooLarge(FileRejected):
    """The file fits alone, but the dossier's files together would pass FILES_MAX_DOSSIER_BYTES."""

    status = 413


class UnsupportedMediaType(FileRejected):
    """The bytes are none of the accepted types (PDF, JPEG, PNG), or the declared type is none."""

    status = 415


class MediaTypeMismatch(UnsupportedMediaType):
    """The declared type is accepted, but the bytes are of another type: a renamed file."""


class InvalidDigest(FileError, ValueError):
    """A SHA-256 that is not 64 lowercase hex digits; never turned into a path or a key."""

    status = 422


class StoredFileMissing(FileError):
    status = 404


class StoredFileCorrupt(FileError):
    """What the store returned does not hash to the digest it was stored under. Never served:
    the object was damaged (disk, bucket, operator), and the copy must be restored."""

    status = 500


class FileStoreUnavailable(FileError):
    """The store cannot be reached or written (no such bucket, wrong credentials, a read-only
    folder): the service's configuration, not the file, is at fault."""

    status = 503
