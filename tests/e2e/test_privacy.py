"""Crypto-shredding on the real pipeline (issue 12): a dossier filed with an applicant whose
every detail is unique goes all the way to delivery by post; `motcua privacy erase` destroys its
data key (refused before the retention period without a lawful request). Then the applicant is
found by no query (the lookups, any row of any table read as text) and in no byte of the topic,
the service logs or any file of the Postgres data folder (the archive included), and the
auditors' replay, from the topic and from the archive, still verifies every event."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from motcua_audit.replay import replay
from motcua_cli.privacy import ErasureRefused, erase
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts import Headers
from tests.support import read_topic, running_stack, signer_of, wait_for_statuses

pytestmark = pytest.mark.e2e
SYLLABLES = ["Sùng", "Mỷ", "Pằng", "Chá", "Dua", "Xí", "Lềnh", "Khờ", "Dinh", "Vừ", "Phổng"]


def unique_person() -> dict[str, str]:
    rng = random.SystemRandom()
    token = uuid.uuid4().hex[:8]
    return {"full_name": "Giàng " + " ".join(rng.choice(SYLLABLES) for _ in range(3)),
            "id_number": "0" + "".join(rng.choice("0123456789") for _ in range(11)),
            "phone": "09" + "".join(rng.choice("0123456789") for _ in range(8)),
            "email": f"xoa.{token}@example.vn",
            "address": f"Bản Sử Pán {token}, xã Bản Hồ, Lào Cai"}


def needles(person: dict[str, str]) -> dict[str, list[bytes]]:
    """Each detail as it could be written: UTF-8, and JSON with non-ASCII escaped."""
    return {name: sorted({value.encode(), json.dumps(value)[1:-1].encode()})
            for name, value in person.items()}


def found_in(data: bytes, person: dict[str, str]) -> list[str]:
    return [name for name, forms in needles(person).items() if any(f in data for f in forms)]


async def rows_mentioning(database_url: str, person: dict[str, str]) -> list[str]:
    """Every row of every table of the database, read back as text (decompressed, whatever
    TOAST did to it), that holds a detail of the person."""
    url = make_url(database_url)
    db = await asyncpg.connect(user=url.username, password=url.password or None,
                               database=url.database, host=url.query.get("host") or url.host,
                               port=url.port)
    try:
        hits = []
        tables = await db.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE "
            "table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', "
            "'information_schema')")
        for schema, table in tables:
            for name, value in person.items():
                count = await db.fetchval(
                    f'SELECT count(*) FROM "{schema}"."{table}" t WHERE t::text LIKE $1',
                    f"%{value}%")
                if count:
                    hits.append(f"{schema}.{table}: {name}")
        return hits
    finally:
        await db.close()


def files_mentioning(folder: Path, person: dict[str, str]) -> list[str]:
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            data = path.read_bytes()
        except OSError:  # a socket or a file that vanished
            continue
        hits += [f"{path}: {name}" for name in found_in(data, person)]
    return hits


async def test_an_erased_applicant_is_found_nowhere_and_the_replay_still_passes(
        infra, log_dir, signing_keys):
    database_url, topic = await infra.isolated("privacy")
    person = unique_person()
    with running_stack(infra, database_url, topic, log_dir) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedures = (await client.get("/api/procedures")).raise_for_status().json()
            procedure = next(p for p in procedures if p["code"] == "2.000488")
            await upload_sample_files(client, [procedure])  # the documents' files, first
            body = sample_submission(procedure, random.Random(5), delivery="postal",
                                     channel="online")
            body["applicant"] = person
            body["delivery"]["address"] = person["address"]
            filed = (await client.post("/api/dossiers", json=body)).raise_for_status().json()
            dossier_id, code = filed["dossier_id"], filed["code"]
            await wait_for_statuses(stack.api_url, [dossier_id], {10}, timeout=180)
            before = (await client.get(f"/api/dossiers/{code}",
                                       params={"id_number": person["id_number"]}))
            assert before.status_code == 200 and before.json()["personal_data_erased_at"] is None

            # Delivered today: the procedure's retention period runs for years yet.
            with pytest.raises(ErasureRefused, match="retention period"):
                await erase(database_url, code, reason="hết hạn", by="operator:test",
                            lawful_request=False, signer=signer_of("intake"), topic=topic)
            erased = await erase(database_url, code, reason="Yêu cầu xóa số 12/2026",
                                 by="operator:test", lawful_request=True,
                                 signer=signer_of("intake"), topic=topic)
            with pytest.raises(ErasureRefused, match="erased"):
                await erase(database_url, code, reason="again", by="operator:test",
                            lawful_request=True, signer=signer_of("intake"), topic=topic)

            for _ in range(100):  # the erasure comes back from the topic to intake's view
                view = (await client.get(f"/api/dossiers/{dossier_id}")).json()
                if view["timeline"][-1]["type"] == "PersonalDataErased":
                    break
                await asyncio.sleep(0.2)
            assert view["timeline"][-1]["type"] == "PersonalDataErased"
            assert view["personal_data_erased_at"] is not None
            assert view["status"]["code"] == 10  # the dossier stays, without the person
            assert not found_in(json.dumps(view, ensure_ascii=False).encode(), person)
            # By code and ID number nobody can prove the dossier is theirs any more.
            assert (await client.get(f"/api/dossiers/{code}", params={
                "id_number": person["id_number"]})).status_code == 404
            page = await client.get("/tra-cuu", params={"code": code,
                                                        "id_number": person["id_number"]})
            # (The form is given back with the number the visitor typed, nothing more.)
            assert page.status_code == 404 and found_in(page.content, person) in (
                [], ["id_number"])
        records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.5)
        for _ in range(100):  # the archive catches up within a batch or two
            if await archived(database_url, topic) == len(records):
                break
            await asyncio.sleep(0.2)

    types = [dict(r.headers)[Headers.TYPE].decode() for r in records]
    assert types[-1] == "PersonalDataErased" and "ResultHandedToPost" in types
    assert str(erased.dossier_id) == dossier_id
    assert not [r.offset for r in records if found_in(r.value + b"".join(
        v for _, v in r.headers), person)]
    assert await rows_mentioning(database_url, person) == []
    assert files_mentioning(log_dir, person) == []
    if infra.data_dir is not None:  # the embedded server: every file it wrote, WAL included
        await checkpoint(database_url)
        assert files_mentioning(infra.data_dir, person) == []
        # The control: what is stored in clear (the dossier's code) is found there.
        assert files_mentioning(infra.data_dir, {"code": code})

    registry = signing_keys / "registry.json"
    from motcua_audit.sources import ArchiveSource, TopicSource
    for source in (TopicSource(infra.bootstrap_servers, topic),
                   ArchiveSource(database_url, topic)):
        result = await asyncio.to_thread(replay, source, registry, workers=2,
                                         database_url=database_url)
        report = result.report()
        assert report["findings"] == [], (source, report["findings"])
        assert report["events"] == len(records) and report["dossiers"] == 1
        assert report["statuses"] == {"10": 1}


async def archived(database_url: str, topic: str) -> int:
    from tests.e2e.test_audit import archived as count

    return await count(database_url, topic)


async def checkpoint(database_url: str) -> None:
    """Every dirty page written to the data files, so a clear value would be there to find."""
    url = make_url(database_url)
    db = await asyncpg.connect(user=url.username, password=url.password or None,
                               database=url.database, host=url.query.get("host") or url.host,
                               port=url.port)
    try:
        await db.execute("CHECKPOINT")
    finally:
        await db.close()
