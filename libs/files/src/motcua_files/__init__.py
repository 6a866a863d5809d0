"""The dossier's files: a content-addressed store (by SHA-256) on the filesystem or on an
S3-compatible object store behind one interface, and the checks an upload passes before it is
stored (name, type from the bytes, size limits). Files never travel on the topic: events carry
`{name, sha256, size, media_type}`, and whoever reads a file gets it verified against the digest."""

from motcua_files.errors import (
    DossierFilesTooLarge,
    FileError,
    FileRejected,
    FileStoreUnavailable,
    FileTooLarge,
    InvalidDigest,
    InvalidFileName,
    MediaTypeMismatch,
    StoredFileCorrupt,
    StoredFileMissing,
    UnsupportedMediaType,
)
from motcua_files.filesystem import FilesystemStore
from motcua_files.media import ACCEPTED, EXTENSIONS, JPEG, PDF, PNG, check_media_type, sniff
from motcua_files.names import validate_file_name
from motcua_files.s3 import S3Store
from motcua_files.settings import FilesSettings, store_from_settings
from motcua_files.store import FileStore
from motcua_files.streams import ByteSource, StoredFile, VerifiedFile
from motcua_files.upload import AcceptedFile, UploadCheck

__all__ = [
    "ACCEPTED", "EXTENSIONS", "JPEG", "PDF", "PNG", "AcceptedFile", "ByteSource",
    "DossierFilesTooLarge",
    "FileError", "FileRejected", "FileStore", "FileStoreUnavailable", "FileTooLarge",
    "FilesSettings", "FilesystemStore",
    "InvalidDigest", "InvalidFileName", "MediaTypeMismatch", "S3Store", "StoredFile",
    "StoredFileCorrupt", "StoredFileMissing", "UnsupportedMediaType", "UploadCheck",
    "VerifiedFile", "check_media_type", "sniff", "store_from_settings", "validate_file_name",
]
