"""The stores under test: the filesystem store in a temporary folder, and the S3 store against
moto's S3 server, started here as its own process on a free loopback port (moto answers S3's
REST protocol over HTTP with multipart uploads, conditional writes and S3's XML errors; see the
README's "Files" section for why moto rather than s3rver)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua_cli.embedded import free_port
from motcua_files import FilesystemStore, S3Store

REGION = "us-east-1"


class S3Server:
    def __init__(self, url: str) -> None:
        self.url = url

    def client(self):
        import boto3  # moto's own dependency: the test's view of the bucket, not the store's

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def new_bucket(self) -> str:
        bucket = f"motcua-files-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert executable, "no moto_server: pip install -e '.[test]' (moto[server])"
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start (see {log.name})") from None
                time.sleep(0.1)
        yield S3Server(url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # The standard variables, read by obstore itself, as in production.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def s3_store(s3_server: S3Server, s3_credentials: None) -> S3Store:
    return S3Store(s3_server.new_bucket(), endpoint_url=s3_server.url, region=REGION)


@pytest.fixture
def filesystem_store(tmp_path: Path) -> FilesystemStore:
    return FilesystemStore(tmp_path / "files")


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest):
    """Each contract test runs once on each store."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def held(request: pytest.FixtureRequest, store):
    """What the store under test holds, seen from outside it: every file under the folder
    (uploads being written included), or every object and unfinished multipart upload."""

    def contents() -> list[str]:
        if isinstance(store, FilesystemStore):
            if not store.root.exists():
                return []
            return sorted(str(path.relative_to(store.root)) for path in store.root.rglob("*")
                          if path.is_file())
        client = request.getfixturevalue("s3_server").client()
        objects = client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
        return sorted([item["Key"] for item in objects]
                      + [f"unfinished upload {item['Key']}" for item in uploads])

    return contents
