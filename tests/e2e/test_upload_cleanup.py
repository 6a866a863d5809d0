"""Abandoned uploads on the real stack as `motcua up` runs it (intake's store in a folder): with
INTAKE_UNNAMED_UPLOAD_HOURS set to a few seconds, intake's own process deletes the file no
filing named from the folder and keeps the files a filing named; its log says which file went,
by SHA-256, and never the name it was uploaded under."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from motcua_cli.samples import sample_submission
from motcua_files import FilesystemStore
from tests.files.data import pdf_of
from tests.support import running_stack

pytestmark = pytest.mark.e2e

SOCIAL_INSURANCE = "1.001612"


async def test_intake_deletes_the_uploads_no_filing_named(infra, log_dir, tmp_path):
    database_url, topic = await infra.isolated("upload_cleanup_e2e")
    folder = FilesystemStore(tmp_path / "files")
    env = {"FILES_DIR": str(folder.root), "INTAKE_UNNAMED_UPLOAD_HOURS": str(10 / 3600),
           "INTAKE_UPLOAD_CLEANUP_SECONDS": "0.5"}
    with running_stack(infra, database_url, topic, log_dir, env=env) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{SOCIAL_INSURANCE}")).json()
            uploaded = await client.post("/api/files", files=[
                ("file", (f"tờ khai {n}.pdf", pdf_of(50_000), "application/pdf"))
                for n in range(2)] + [
                ("file", ("bỏ quên Trần Thị Bình.pdf", pdf_of(30_000), "application/pdf"))])
            assert uploaded.status_code == 201, uploaded.text
            *named, abandoned = uploaded.json()["files"]
            body = sample_submission(procedure, random.Random(8), channel="online")
            body["documents"] = [{"name": name, "sha256": file["sha256"]} for name, file in
                                 zip([*procedure["required_documents"], "Khác"][:2], named,
                                     strict=True)]
            filed = await client.post("/api/dossiers", json=body)
            assert filed.status_code == 202, filed.text

            deadline = time.monotonic() + 60
            while await folder.exists(abandoned["sha256"]):
                assert time.monotonic() < deadline, "the abandoned upload is still stored"
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # more sweeps: the named files must stay
            for file in named:
                assert await folder.exists(file["sha256"]), file
            log = stack.logs("intake")
            assert "unnamed upload deleted" in log and abandoned["sha256"] in log
            assert "Trần Thị Bình" not in log and "bỏ quên" not in log
