"""Where the files are stored and how large they may be, from FILES_* variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from motcua_files.filesystem import FilesystemStore
from motcua_files.s3 import S3Store
from motcua_files.store import FileStore
from motcua_files.upload import UploadCheck

MIB = 1024 * 1024


class FilesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FILES_", extra="ignore", populate_by_name=True)

    store: Literal["filesystem", "s3"] = Field(default="filesystem", description=(
        "filesystem: under FILES_DIR, needing no server (the embedded default); s3: an "
        "S3-compatible object store (production, docker-compose's MinIO)."))
    dir: Path | None = Field(default=None, description=(
        "The filesystem store's folder; default: files/ in the data folder (MOTCUA_DATA_DIR, "
        "else motcua-data)."))
    s3_endpoint_url: str | None = Field(default=None, description=(
        "The S3 service's URL, e.g. http://minio:9000; None: AWS S3 of FILES_S3_REGION."))
    s3_bucket: str | None = None
    s3_region: str | None = Field(default=None, description=(
        "The bucket's region; None: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1."))
    max_file_bytes: int = Field(default=20 * MIB, ge=1)
    max_dossier_bytes: int = Field(default=100 * MIB, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> FilesSettings:
        if self.store == "s3" and not self.s3_bucket:
            raise ValueError("FILES_STORE=s3 needs FILES_S3_BUCKET")
        if self.max_file_bytes > self.max_dossier_bytes:
            raise ValueError("FILES_MAX_FILE_BYTES is larger than FILES_MAX_DOSSIER_BYTES: one "
                             "file could never fit in a dossier")
        return self

    def files_dir(self) -> Path:
        if self.dir is not None:
            return self.dir
        return Path(os.environ.get("MOTCUA_DATA_DIR") or "motcua-data") / "files"

    def upload_check(self, dossier_bytes: int = 0) -> UploadCheck:
        return UploadCheck(max_file_bytes=self.max_file_bytes,
                           max_dossier_bytes=self.max_dossier_bytes, dossier_bytes=dossier_bytes)


def store_from_settings(settings: FilesSettings | None = None) -> FileStore:
    settings = settings or FilesSettings()
    if settings.store == "s3":
        assert settings.s3_bucket is not None  # checked by the settings
        return S3Store(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
                       region=settings.s3_region)
    return FilesystemStore(settings.files_dir())
