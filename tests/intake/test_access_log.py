"""The personal-data access log on a real Postgres: an officer's view of a dossier and their
download of its files are each recorded (who, agency, role, dossier, what, when, from where)
before the answer; the auditor queries the reads by code, officer and since when
(`GET /api/personal-data-reads`), `GET /api/file-reads` still answers the file reads; and
migration 0010 keeps the rows the file log held."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from motcua_intake.orm import PersonalDataRead
from tests.files.conftest import filesystem_store  # noqa: F401  (a fixture, used by name)
from tests.intake.test_officer_dossier import api, file_one  # noqa: F401  (the fixture, by name)
from tests.officer_tokens import bearer

AUDITOR = bearer("STP", "auditor", "kiem.toan")


async def read_all(client, code: str, files: list[dict]) -> None:
    """lan (appraisal) views the dossier, then downloads its first file; mai (approval) views
    it."""
    officer = bearer("STP", "appraisal", "lan")
    assert (await client.get(f"/api/officer/dossiers/{code}", headers=officer)).status_code == 200
    assert (await client.get(f"/api/officer/dossiers/{code}/files/{files[0]['sha256']}",
                             headers=officer)).status_code == 200
    assert (await client.get(f"/api/officer/dossiers/{code}",
                             headers=bearer("STP", "approval", "mai"))).status_code == 200


async def test_every_view_and_download_by_an_officer_is_in_the_log(api):  # noqa: F811
    client, engine = api
    _, answer, files = await file_one(client)
    code = answer["code"]
    # A refused read (another agency) reads nothing and logs nothing.
    assert (await client.get(f"/api/officer/dossiers/{code}",
                             headers=bearer("SXD", "appraisal", "ngoai"))).status_code == 403
    await read_all(client, code, files)
    log = await client.get("/api/personal-data-reads", params={"code": code}, headers=AUDITOR)
    assert log.status_code == 200, log.text
    assert [(e["officer"], e["agency"], e["role"], e["what"], e["sha256"], e["dossier_code"],
             e["dossier_id"]) for e in log.json()] == [  # newest first
        ("mai", "STP", "approval", "dossier", None, code, answer["dossier_id"]),
        ("lan", "STP", "appraisal", "file", files[0]["sha256"], code, answer["dossier_id"]),
        ("lan", "STP", "appraisal", "dossier", None, code, answer["dossier_id"])]
    assert all(e["client"] == "127.0.0.1" and e["read_at"] for e in log.json())
    # The file log answers as before: the file reads only.
    file_log = await client.get("/api/file-reads", params={"dossier": code}, headers=AUDITOR)
    assert [(e["officer"], e["sha256"]) for e in file_log.json()] == [
        ("lan", files[0]["sha256"])]


async def test_the_auditor_filters_by_code_officer_and_since(api):  # noqa: F811
    client, engine = api
    _, first, first_files = await file_one(client)
    _, second, second_files = await file_one(client)
    await read_all(client, first["code"], first_files)
    await read_all(client, second["code"], second_files)
    # The first dossier's reads happened yesterday, as far as the log says.
    async with engine.begin() as connection:
        await connection.execute(PersonalDataRead.__table__.update().where(
            PersonalDataRead.dossier_code == first["code"]).values(
            read_at=datetime.now(timezone.utc) - timedelta(days=1)))

    async def reads(**params) -> list[tuple[str, str]]:
        answer = await client.get("/api/personal-data-reads", params=params, headers=AUDITOR)
        assert answer.status_code == 200, answer.text
        return [(e["dossier_code"], e["officer"]) for e in answer.json()]

    assert len(await reads()) == 6
    assert await reads(officer="mai") == [(second["code"], "mai"), (first["code"], "mai")]
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    assert await reads(since=since) == [(second["code"], "mai"), (second["code"], "lan"),
                                        (second["code"], "lan")]
    assert await reads(code=first["code"], officer="lan") == [(first["code"], "lan")] * 2
    assert await reads(code=first["code"], since=since) == []
    assert len(await reads(limit=2)) == 2


async def test_the_log_is_the_auditors_and_its_filters_are_checked(api):  # noqa: F811
    client, _ = api
    for role in ("appraisal", "manager", "intake"):
        refused = await client.get("/api/personal-data-reads", headers=bearer("STP", role))
        assert refused.status_code == 403 and "auditor or admin" in refused.json()["detail"]
    assert (await client.get("/api/personal-data-reads")).status_code == 401
    assert (await client.get("/api/personal-data-reads",
                             headers=bearer("UBND", "admin"))).status_code == 200
    naive = await client.get("/api/personal-data-reads", params={"since": "2026-12-03T08:00"},
                             headers=AUDITOR)
    assert naive.status_code == 422 and "UTC offset" in naive.json()["detail"]
    for params in ({"since": "hôm qua"}, {"code": "a\x01"}, {"limit": 0}):
        answer = await client.get("/api/personal-data-reads", params=params, headers=AUDITOR)
        assert answer.status_code == 422, params


def alembic(database_url: str, action, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "motcua_intake:migrations")
    config.attributes["database_url"] = database_url
    action(config, revision)


async def test_migration_0010_keeps_the_file_reads_of_0008(infra):
    database_url, _ = await infra.isolated("reads_migration")
    await asyncio.to_thread(alembic, database_url, command.downgrade, "0008")
    from motcua_runtime.db import create_engine

    engine = create_engine(database_url)
    dossier_id = uuid.uuid4()
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO intake.file_reads (officer, agency, role, dossier_id, dossier_code, "
                "sha256, client) VALUES ('lan', 'STP', 'appraisal', :id, 'X-1', :sha, '10.0.0.1')"),
                {"id": dossier_id, "sha": "a" * 64})
        await asyncio.to_thread(alembic, database_url, command.upgrade, "head")
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT officer, dossier_id, what, sha256, client FROM "
                "intake.personal_data_reads"))).all()
            # The sequence goes on from the kept rows.
            await connection.execute(text(
                "INSERT INTO intake.personal_data_reads (officer, agency, role, dossier_id, "
                "dossier_code, what) VALUES ('mai', 'STP', 'approval', :id, 'X-1', 'dossier')"),
                {"id": dossier_id})
            ids = (await connection.execute(text(
                "SELECT id FROM intake.personal_data_reads ORDER BY id"))).scalars().all()
    finally:
        await engine.dispose()
    assert rows == [("lan", dossier_id, "file", "a" * 64, "10.0.0.1")]
    assert ids == [1, 2]
