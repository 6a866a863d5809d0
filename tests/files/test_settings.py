"""FILES_* settings, and the store they choose."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from motcua_files import (
    FilesSettings,
    FileStoreUnavailable,
    FilesystemStore,
    S3Store,
    store_from_settings,
)

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("FILES_STORE", "FILES_DIR", "FILES_S3_ENDPOINT_URL", "FILES_S3_BUCKET",
                 "FILES_S3_REGION", "FILES_MAX_FILE_BYTES", "FILES_MAX_DOSSIER_BYTES",
                 "MOTCUA_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_is_a_filesystem_store_in_the_data_folder(monkeypatch, tmp_path):
    settings = FilesSettings()
    assert (settings.max_file_bytes, settings.max_dossier_bytes) == (20 * MIB, 100 * MIB)
    store = store_from_settings(settings)
    assert isinstance(store, FilesystemStore)
    assert str(store.root) == "motcua-data/files"
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert store_from_settings().root == tmp_path / "files"
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "elsewhere"))
    assert store_from_settings().root == tmp_path / "elsewhere"


def test_s3_from_the_environment(monkeypatch):
    monkeypatch.setenv("FILES_STORE", "s3")
    monkeypatch.setenv("FILES_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("FILES_S3_BUCKET", "motcua-files")
    monkeypatch.setenv("FILES_S3_REGION", "us-east-1")
    store = store_from_settings()
    assert isinstance(store, S3Store) and store.bucket == "motcua-files"


def test_s3_needs_a_bucket(monkeypatch):
    monkeypatch.setenv("FILES_STORE", "s3")
    with pytest.raises(ValidationError, match="FILES_S3_BUCKET"):
        FilesSettings()


def test_an_unknown_store_is_refused(monkeypatch):
    monkeypatch.setenv("FILES_STORE", "ftp")
    with pytest.raises(ValidationError, match="filesystem"):
        FilesSettings()


def test_a_file_limit_above_the_dossier_limit_is_refused(monkeypatch):
    monkeypatch.setenv("FILES_MAX_FILE_BYTES", str(200 * MIB))
    with pytest.raises(ValidationError, match="FILES_MAX_FILE_BYTES"):
        FilesSettings()


def test_the_upload_check_takes_the_limits(monkeypatch):
    monkeypatch.setenv("FILES_MAX_FILE_BYTES", "1000")
    monkeypatch.setenv("FILES_MAX_DOSSIER_BYTES", "5000")
    uploads = FilesSettings().upload_check(dossier_bytes=1200)
    assert (uploads.max_file_bytes, uploads.max_dossier_bytes, uploads.dossier_bytes) == (
        1000, 5000, 1200)


async def test_an_s3_store_from_the_environment_alone_stores_and_reads(
        monkeypatch, s3_server, s3_credentials):
    # As docker-compose configures intake: FILES_* for the place, AWS_* for the credentials.
    monkeypatch.setenv("FILES_STORE", "s3")
    monkeypatch.setenv("FILES_S3_ENDPOINT_URL", s3_server.url)
    monkeypatch.setenv("FILES_S3_BUCKET", s3_server.new_bucket())
    monkeypatch.setenv("FILES_S3_REGION", "us-east-1")
    store = store_from_settings()
    data = "%PDF-1.7 tờ khai".encode()
    stored = await store.put(data, "application/pdf")
    assert await store.get(stored.sha256) == data




async def test_a_bucket_that_does_not_exist_is_found_by_the_check(s3_server, s3_credentials):
    store = S3Store("no-such-bucket-here", endpoint_url=s3_server.url, region="us-east-1")
    with pytest.raises(FileStoreUnavailable, match="'no-such-bucket-here' cannot be") as down:
        await store.check()
    assert down.value.status == 503


async def test_a_folder_that_cannot_be_written_is_found_by_the_check(tmp_path):
    (tmp_path / "files").write_text("a file where the folder should be")
    with pytest.raises(FileStoreUnavailable, match="cannot be written"):
        await FilesystemStore(tmp_path / "files").check()
