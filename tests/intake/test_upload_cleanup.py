"""Abandoned uploads are deleted, on a real Postgres and on both stores (a folder, and an S3
bucket on moto's server): a file no filing or supplement named within the setting leaves the
store and `intake.files`, logged by its SHA-256 without any name; a named file, one stored
lately, and one stored again lately stay; a filing naming a deleted upload is refused; and
intake's periodic task does it on its own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_intake.files.cleanup import clean_unnamed_uploads, delete_unnamed
from motcua_intake.orm import StoredUpload
from tests.files.conftest import (  # noqa: F401  (the stores' fixtures, used by name)
    filesystem_store,
    held,
    s3_credentials,
    s3_server,
    s3_store,
)
from tests.files.data import JPEG_BYTES, PNG_BYTES, pdf_of
from tests.intake.test_files_api import (  # noqa: F401  (the fixtures, by name)
    api,
    filing_of,
    store,
    upload,
)

DAY = timedelta(hours=24)


async def stored(client, name: str, data: bytes, media_type: str) -> dict:
    answer = await upload(client, (name, data, media_type))
    assert answer.status_code == 201, answer.text
    return answer.json()["files"][0]


async def age(engine, sha256: str, hours: float) -> None:
    """As if the file had been stored `hours` ago."""
    async with engine.begin() as connection:
        await connection.execute(update(StoredUpload).where(StoredUpload.sha256 == sha256)
                                 .values(stored_at=datetime.now(timezone.utc)
                                         - timedelta(hours=hours)))


async def rows(engine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(StoredUpload.sha256))).scalars())


async def sweep(engine, file_store) -> tuple[int, list[dict]]:
    with structlog.testing.capture_logs() as logs:
        async with async_sessionmaker(engine)() as session, session.begin():
            deleted = await delete_unnamed(session, file_store, datetime.now(timezone.utc), DAY)
    return deleted, logs


async def test_an_upload_nothing_named_within_the_setting_is_deleted_and_logged(
        api):  # noqa: F811
    client, engine, file_store, contents = api
    abandoned = await stored(client, "bỏ quên Nguyễn Văn An.pdf", pdf_of(4096),
                             "application/pdf")
    named = await stored(client, "Tờ khai.jpg", JPEG_BYTES, "image/jpeg")
    other = await stored(client, "CCCD.png", PNG_BYTES, "image/png")
    filing = await client.post("/api/dossiers", json=filing_of(named, other))
    assert filing.status_code == 202, filing.text
    recent = await stored(client, "mới.pdf", pdf_of(8192), "application/pdf")
    same_bytes = pdf_of(2048)
    again = await stored(client, "lại.pdf", same_bytes, "application/pdf")
    for file in (abandoned, named, other, again):
        await age(engine, file["sha256"], 25)
    await age(engine, recent["sha256"], 23)
    # Stored again a moment ago: its day starts again.
    await stored(client, "lại lần nữa.pdf", same_bytes, "application/pdf")

    deleted, logs = await sweep(engine, file_store)
    assert deleted == 1
    assert not await file_store.exists(abandoned["sha256"])
    for file in (named, other, recent, again):
        assert await file_store.exists(file["sha256"]), file
    assert await rows(engine) == {f["sha256"] for f in (named, other, recent, again)}
    assert len(contents()) == 4
    [entry] = [e for e in logs if e["event"] == "unnamed upload deleted"]
    assert entry["sha256"] == abandoned["sha256"] and entry["size"] == 4096
    assert entry["age_hours"] >= 25
    assert "Nguyễn" not in repr(logs) and "bỏ quên" not in repr(logs)
    # Once deleted it is not stored: a filing naming it is refused as for any unknown file.
    late = await client.post("/api/dossiers", json=filing_of(abandoned, other))
    assert late.status_code == 422 and "which is not stored" in late.json()["detail"]
    # Nothing more to do.
    assert (await sweep(engine, file_store))[0] == 0


async def test_the_periodic_task_deletes_on_its_own_until_stopped(api):  # noqa: F811
    client, engine, file_store, _ = api
    abandoned = await stored(client, "a.pdf", pdf_of(1024), "application/pdf")
    await age(engine, abandoned["sha256"], 2)
    stop = asyncio.Event()
    task = asyncio.create_task(clean_unnamed_uploads(engine, file_store, stop,
                                                     after=timedelta(hours=1), every=0.05))
    try:
        for _ in range(200):
            if not await rows(engine):
                break
            await asyncio.sleep(0.05)
        assert await rows(engine) == set() and not await file_store.exists(abandoned["sha256"])
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
