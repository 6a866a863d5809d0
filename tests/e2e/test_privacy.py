"""Crypto-shredding on the real pipeline (issue 12): a dossier filed with an applicant whose
every detail, form data included, is unique goes all the way to delivery by post and is rated
with a comment; a second one, incomplete, is withdrawn with a reason of the applicant's own.
`motcua privacy erase` asks intake, over its administrator's endpoint, to destroy their data
keys (refused before the retention period without a lawful request, and a second time). Then
none of it is found by any query (the lookups, any row of any table read as text) nor in any
byte of the topic, the service logs, the file store or any file of the Postgres data folder (the
archive included), and the auditors' replay, from the topic and from the archive, still verifies
every event."""

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
from motcua_cli.privacy import ErasureRefused, due, erase
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts import Headers
from motcua_runtime.officers import Officer
from tests.officer_tokens import officer_token
from tests.support import read_topic, running_stack, wait_for_statuses

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


def unique_words(person: dict[str, str]) -> dict[str, str]:
    """What else the applicant writes that identifies people: the form data (a mother's name,
    the purpose), the withdrawal's reason, the rating's comment."""
    token = uuid.uuid4().hex[:8]
    return {"mother": person["full_name"].replace("Giàng", "Thào") + " Mẹ",
            "purpose": f"Xin việc tại hợp tác xã {token}",
            "withdrawal_reason": f"Tôi đã chuyển về Mù Cang Chải {token}",
            "comment": f"Cán bộ Lý A Sử {token} hướng dẫn tận tình"}


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
        infra, log_dir, signing_keys, tmp_path):
    database_url, topic = await infra.isolated("privacy")
    person = unique_person()
    words = unique_words(person)
    secrets = {**person, **words}
    files_dir = tmp_path / "files"  # intake's file store, searched like the rest
    admin = {"Authorization": "Bearer " + officer_token(Officer("lan", "*", "admin"))}
    with running_stack(infra, database_url, topic, log_dir,
                       env={"FILES_DIR": str(files_dir)}) as stack:
        def erasing(code: str, **options):  # as `motcua privacy erase` asks intake
            return asyncio.to_thread(erase, stack.api_url, admin["Authorization"][7:], code,
                                     **options)

        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedures = (await client.get("/api/procedures")).raise_for_status().json()
            procedure = next(p for p in procedures if p["code"] == "2.000488")
            await upload_sample_files(client, [procedure])  # the documents' files, first
            body = sample_submission(procedure, random.Random(5), delivery="postal",
                                     channel="online")
            body["applicant"] = person
            body["delivery"]["address"] = person["address"]
            body["data"] = {"purpose": words["purpose"], "mother_name": words["mother"]}
            filed = (await client.post("/api/dossiers", json=body)).raise_for_status().json()
            dossier_id, code = filed["dossier_id"], filed["code"]
            # The second: incomplete, so intake waits for a supplement; withdrawn meanwhile.
            other = sample_submission(procedure, random.Random(6), complete=False,
                                      channel="online", delivery="online")
            other["applicant"] = {**person, "address": person["address"] + " (2)"}
            other["data"] = {"purpose": words["purpose"]}
            second = (await client.post("/api/dossiers", json=other)).raise_for_status().json()
            await wait_for_statuses(stack.api_url, [second["dossier_id"]], {5}, timeout=60)
            (await client.post(f"/api/dossiers/{second['code']}/withdrawal", json={
                "id_number": person["id_number"], "reason": words["withdrawal_reason"]})
             ).raise_for_status()
            await wait_for_statuses(stack.api_url, [second["dossier_id"]], {8}, timeout=60)
            await wait_for_statuses(stack.api_url, [dossier_id], {10}, timeout=180)
            (await client.post(f"/api/dossiers/{code}/rating", json={
                "id_number": person["id_number"], "indicators": [2] * 9,
                "convenience": "satisfied", "overall": "satisfied",
                "comment": words["comment"]})).raise_for_status()
            before = (await client.get(f"/api/dossiers/{code}",
                                       params={"id_number": person["id_number"]}))
            assert before.status_code == 200 and before.json()["personal_data_erased_at"] is None
            # The competent agency's officer reads the form data, opened from its seal.
            officer = {"Authorization": "Bearer " + officer_token(Officer("an", "STP",
                                                                          "appraisal"))}
            seen = (await client.get(f"/api/officer/dossiers/{code}", headers=officer)).json()
            assert seen["data"] == body["data"] and seen["applicant"]["id_number"] == (
                person["id_number"])

            # Delivered today: the procedure's retention period runs for years yet.
            with pytest.raises(ErasureRefused, match="409: .*kept until 20"):
                await erasing(code, reason="hết hạn", lawful_request=False)
            with pytest.raises(ErasureRefused, match="404: no dossier"):
                await erasing("000.00.15.H38-000000-0000", reason="x", lawful_request=True)
            erased = await erasing(code, reason="Yêu cầu xóa số 12/2026", lawful_request=True)
            with pytest.raises(ErasureRefused, match="409: .*already erased"):
                await erasing(code, reason="again", lawful_request=True)
            await erasing(second["code"], reason="Yêu cầu xóa số 13/2026", lawful_request=True)
            # What `motcua privacy sweep` would erase: none (both ended today, both erased).
            assert await asyncio.to_thread(due, stack.api_url, admin["Authorization"][7:]) == []

            for _ in range(100):  # the erasure comes back from the topic to intake's view
                view = (await client.get(f"/api/dossiers/{dossier_id}")).json()
                if view["timeline"][-1]["type"] == "PersonalDataErased":
                    break
                await asyncio.sleep(0.2)
            assert view["timeline"][-1]["type"] == "PersonalDataErased"
            assert view["personal_data_erased_at"] is not None
            assert view["status"]["code"] == 10  # the dossier stays, without the person
            assert not found_in(json.dumps(view, ensure_ascii=False).encode(), secrets)
            seen = (await client.get(f"/api/officer/dossiers/{code}", headers=officer)).json()
            assert seen["data"] is None and seen["applicant"] is None
            assert not found_in(json.dumps(seen, ensure_ascii=False).encode(), secrets)
            # By code and ID number nobody can prove the dossier is theirs any more.
            assert (await client.get(f"/api/dossiers/{code}", params={
                "id_number": person["id_number"]})).status_code == 404
            page = await client.get("/tra-cuu", params={"code": code,
                                                        "id_number": person["id_number"]})
            # (The form is given back with the number the visitor typed, nothing more.)
            assert page.status_code == 404 and found_in(page.content, secrets) in (
                [], ["id_number"])
        records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.5)
        for _ in range(100):  # the archive catches up within a batch or two
            if await archived(database_url, topic) == len(records):
                break
            await asyncio.sleep(0.2)

    types = [dict(r.headers)[Headers.TYPE].decode() for r in records]
    assert types.count("PersonalDataErased") == 2 and "ResultHandedToPost" in types
    assert "WithdrawalRequested" in types
    assert erased["dossier_id"] == dossier_id
    assert not [r.offset for r in records if found_in(r.value + b"".join(
        v for _, v in r.headers), secrets)]
    assert await rows_mentioning(database_url, secrets) == []
    assert files_mentioning(log_dir, secrets) == []
    assert any(files_dir.rglob("*")) and files_mentioning(files_dir, secrets) == []
    if infra.data_dir is not None:  # the embedded server: every file it wrote, WAL included
        await checkpoint(database_url)
        assert files_mentioning(infra.data_dir, secrets) == []
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
        assert report["events"] == len(records) and report["dossiers"] == 2
        assert report["statuses"] == {"10": 1, "8": 1}


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
