"""Importing dossiers from the system being replaced, on the real stack (the embedded broker and
Postgres, every service as its own process, the operations view too, intake's mail pointed at a
real SMTP server): `motcua import-legacy` brings in 1,000 dossiers, half ended and half in
progress (at every status the import takes). They appear in the citizens' lookup with their
codes, appointments and old history as the file gave them; the II.06a report and the operations
view count them; those in the agency's hands wait in the competent agencies' appraisal queues
with their original appointments (a withdrawal to confirm as its withdrawal item), those not yet
checked in the receiving desk's queue; nothing is sent to anyone (while a native dossier filed
beside them gets its e-mail); a second run imports nothing again; an officer carries one on to
delivery as native work, under its old appointment, a desk officer accepts one not yet checked
and an agency's officer confirms a withdrawal; a file with one bad line is refused whole, naming
the line; and the auditors' replay verifies every event and counts the imported history apart
from the native."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from motcua_audit.replay import replay
from motcua_audit.sources import TopicSource
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_cli.embedded import free_port
from motcua_cli.legacy import sample_lines, sample_results
from motcua_cli.samples import sample_pdf, sample_submission, upload_sample_files
from motcua_contracts import Headers
from motcua_intake.domain import appointment
from motcua_intake.legacy import dossier_id_of
from motcua_runtime.db import create_engine
from tests.notify.smtp import smtp_server
from tests.support import (
    decide,
    header,
    officer_headers,
    queue_of,
    read_topic,
    running_stack,
    view_at,
)

pytestmark = pytest.mark.e2e

COUNT = 1000
BUSINESS = "2.001610"  # automatic at every stage on the default: its acceptance mails at once


def now_status(line: dict) -> int:
    """The status the dossier has here: an accepted one (2) is being processed (4) once its
    agency's appraisal holds it, as a native one is."""
    return 4 if line["status"] == 2 else line["status"]


async def import_legacy(stack, *args: str) -> tuple[int, str, str]:
    """`motcua import-legacy` as an operator runs it, against the test stack."""
    env = {**os.environ, "DATABASE_URL": stack.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers, "DOSSIER_TOPIC": stack.topic,
           "MOTCUA_ENV": "development"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "motcua_cli", "import-legacy", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def import_waiting(stack, tmp_path: Path, going: list[dict], now: datetime) -> dict:
    """Import one dossier of BUSINESS (automatic at every stage) that the agency asked a
    supplement of in the old system: accepted, then asked a day ago, due in five days."""
    template = next(line for line in going if line["status"] == 4)
    received = now - timedelta(days=3)
    line = {
        **{key: template[key] for key in ("applicant", "channel", "delivery")},
        "code": "CU-BOSUNG-000001", "procedure_code": BUSINESS,
        # Its fees paid at the desk, so the automatic policy asks none after the supplement.
        "fees_paid": default_catalogue().procedures[BUSINESS].fee_counter or 0,
        "received_at": received.isoformat(), "due_at": (now + timedelta(days=10)).isoformat(),
        "status": 5, "supplement_due_at": (now + timedelta(days=5)).isoformat(),
        "requested_documents": ["Bản sao sổ hộ khẩu"],
        "history": [
            {"at": received.isoformat(), "actor": "legacy:tran.b", "status": 2},
            {"at": (received + timedelta(hours=2)).isoformat(), "actor": "legacy:le.c",
             "status": 4},
            {"at": (now - timedelta(days=1)).isoformat(), "actor": "legacy:le.c", "status": 5,
             "note": "Đề nghị bổ sung bản sao sổ hộ khẩu"}]}
    export = tmp_path / "cho-bo-sung.jsonl"
    export.write_text(json.dumps(line, ensure_ascii=False) + "\n")
    code, out, err = await import_legacy(stack, str(export), "--wait", "30")
    assert code == 0 and "intake shows 1 of 1" in out, (out, err)
    return line


async def import_signed_online(stack, tmp_path: Path, template: dict,
                               now: datetime) -> tuple[dict, bytes]:
    """Import one dossier whose result the old system signed, to be delivered online."""
    received = now - timedelta(days=6)
    pdf = sample_pdf("Kết quả giải quyết hồ sơ CU-TRUCTUYEN-000001")
    (tmp_path / "truc-tuyen").mkdir()
    (tmp_path / "truc-tuyen" / "ket-qua.pdf").write_bytes(pdf)
    line = {
        **{key: template[key] for key in ("applicant", "channel", "procedure_code")},
        "code": "CU-TRUCTUYEN-000001", "delivery": {"channel": "online"},
        "received_at": received.isoformat(), "due_at": (now + timedelta(days=2)).isoformat(),
        "status": 9, "result_file": "ket-qua.pdf", "result_number": "77/2026/KQ-CU",
        "result_sha256": hashlib.sha256(pdf).hexdigest(),
        "history": [
            {"at": received.isoformat(), "actor": "legacy:tran.b", "status": 2},
            {"at": (received + timedelta(days=1)).isoformat(), "actor": "legacy:le.c",
             "status": 4},
            {"at": (now - timedelta(days=1)).isoformat(), "actor": "legacy:le.c", "status": 9,
             "note": "Đã ký kết quả"}]}
    export = tmp_path / "truc-tuyen" / "da-ky.jsonl"
    export.write_text(json.dumps(line, ensure_ascii=False) + "\n")
    code, out, err = await import_legacy(stack, str(export), "--wait", "30")
    assert code == 0 and "intake shows 1 of 1" in out, (out, err)
    return line, pdf


async def scalar(database_url: str, query: str, **values) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(query), values) or 0)
    finally:
        await engine.dispose()


async def rows(database_url: str, query: str, **values) -> list:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(query), values))
    finally:
        await engine.dispose()


async def eventually(database_url: str, query: str, wanted: int, timeout: float = 60,
                     **values) -> None:
    deadline = time.monotonic() + timeout
    while (found := await scalar(database_url, query, **values)) != wanted:
        assert time.monotonic() < deadline, f"{query}: {found}, not {wanted}"
        await asyncio.sleep(0.5)


async def test_a_thousand_dossiers_from_the_old_system(infra, log_dir, signing_keys,
                                                       tmp_path: Path):
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    lines = sample_lines(COUNT, random.Random(5), default_catalogue(), now)
    export = tmp_path / "mot-cua-cu.jsonl"
    export.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    for name, content in sample_results(lines).items():  # the signed results of those at 9
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    ended = [line for line in lines if line["status"] in (3, 8, 10)]
    going = [line for line in lines if line["status"] not in (3, 8, 10)]
    assert (len(ended), len(going)) == (COUNT // 2, COUNT // 2)
    assert {line["status"] for line in going} == {1, 2, 4, 5, 6, 7, 9}
    # 1: at the receiving desk; 9: at the delivery desk.
    at_agency = [line for line in going if line["status"] not in (1, 9)]
    signed = [line for line in going if line["status"] == 9]
    working = [line for line in going if line["status"] in (2, 4)]
    ids = [dossier_id_of(line["code"]) for line in lines]

    database_url, topic = await infra.isolated("legacy")
    smtp_port = free_port()
    controller, inbox = smtp_server(smtp_port)
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "INTAKE_NOTIFY_POLL_SECONDS": "0.2"}
    try:
        with running_stack(infra, database_url, topic, log_dir, operations=True,
                           env=env) as stack:
            # A file with one bad line is refused whole: nothing of it is published.
            bad = [dict(line, code=f"X{n}-{line['code']}") for n, line in enumerate(lines[:10])]
            bad[6]["status"] = 11
            wrong = tmp_path / "sai.jsonl"
            wrong.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n"
                                     for line in bad))
            code, _, err = await import_legacy(stack, str(wrong))
            assert code == 1 and f"{wrong}:7: status 11 cannot be imported" in err, err

            importing = time.monotonic()
            code, out, err = await import_legacy(stack, str(export), "--wait", "60")
            assert code == 0, err
            assert f"intake shows {COUNT} of {COUNT}" in out, out
            import_seconds = time.monotonic() - importing

            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                # The lookup: codes, appointments, status and the old history as the file had.
                shown = [*ended[:15], *going[:15],
                         *(next(line for line in going if line["status"] == s)
                           for s in (1, 7, 9))]
                for line in shown:
                    answer = await client.get(f"/api/dossiers/{line['code']}",
                                              params={"id_number": line["applicant"]["id_number"]})
                    assert answer.status_code == 200, answer.text
                    view = answer.json()
                    assert (view["code"], view["status"]["code"]) == (line["code"],
                                                                      now_status(line))
                    assert view["imported_from"] == "Hệ thống một cửa điện tử cũ"
                    if line["due_at"]:
                        assert datetime.fromisoformat(view["due_at"]) == \
                            datetime.fromisoformat(line["due_at"])
                    steps = [t for t in view["timeline"] if t["imported"]]
                    assert [(s["actor"], s["status_code"]) for s in steps] == [
                        (s["actor"], s["status"]) for s in line["history"]]
                    assert view["timeline"][len(steps)]["type"] == "DossierImported"
                    if line["status"] == 10:
                        ready = next(s["at"] for s in line["history"] if s["status"] == 9)
                        assert datetime.fromisoformat(view["ended_at"]) == \
                            datetime.fromisoformat(ready)

                # The public lookup page tells the old steps from what happened here.
                page = await client.get("/tra-cuu", params={
                    "code": working[0]["code"],
                    "id_number": working[0]["applicant"]["id_number"]})
                assert page.status_code == 200, page.text
                assert "Trên hệ thống cũ (Hệ thống một cửa điện tử cũ)" in page.text
                assert "Chuyển từ hệ thống một cửa cũ sang" in page.text

                # The II.06a report over the last two years counts every one of them.
                admin = officer_headers("TTPVHCC", "admin", "quan.tri")
                today = now.astimezone(VIETNAM).date()
                period = {"from": (today - timedelta(days=800)).isoformat(),
                          "to": today.isoformat()}
                report = (await client.get("/api/reports", params=period,
                                           headers=admin)).json()["total"]
                # Resolved: delivered, and those whose result was ready (9), as natively.
                resolved = [line for line in lines if line["status"] in (9, 10)]
                assert report["received"]["total"] == COUNT
                assert report["resolved"]["total"] == len(resolved)
                assert report["refused"] == sum(1 for line in ended if line["status"] == 3)
                assert report["stopped"] == sum(1 for line in ended if line["status"] == 8)
                assert report["in_progress"]["total"] == len(going) - len(signed)
                late = sum(1 for line in resolved if datetime.fromisoformat(next(
                    s["at"] for s in line["history"] if s["status"] == 9)) >
                    datetime.fromisoformat(line["due_at"]))
                assert report["resolved"]["late"] == late

                # Those in progress wait in their agency's appraisal queue, original due time.
                sample = working[0]
                agency = default_catalogue().procedures[sample["procedure_code"]].agency
                queue = await client.get(
                    f"{stack.queue_url('appraisal')}/api/work-items", params={"limit": 1000},
                    headers=officer_headers(agency, "appraisal", "tham.dinh"))
                assert queue.status_code == 200, queue.text
                listed = {item["code"]: item for item in queue.json()}
                assert sample["code"] in listed, sorted(listed)[:5]
                assert datetime.fromisoformat(listed[sample["code"]]["due_at"]) == \
                    datetime.fromisoformat(sample["due_at"])

                # A native dossier filed beside them gets its e-mail: the mail path works.
                procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
                await upload_sample_files(client, [procedure])
                body = sample_submission(procedure, random.Random(3), channel="online")
                filed = await client.post("/api/dossiers", json=body)
                assert filed.status_code == 202, filed.text
                deadline = time.monotonic() + 60
                while not inbox.messages:
                    assert time.monotonic() < deadline, "the native dossier's e-mail never came"
                    await asyncio.sleep(0.2)

            # Open for the officers: in the agency's hands (2, 4) and a withdrawal to confirm
            # (7); waiting for the applicant's answer: 5 and 6.
            going_ids = [dossier_id_of(line["code"]) for line in at_agency]
            await eventually(database_url, "SELECT count(*) FROM appraisal.work_items WHERE "
                             "dossier_id = ANY(:ids) AND state = 'open'",
                             sum(1 for line in at_agency if line["status"] not in (5, 6)),
                             ids=going_ids)
            kinds_of = {row.dossier_id: (row.kind, row.state) for row in await rows(
                database_url, "SELECT dossier_id, kind, state FROM appraisal.work_items "
                "WHERE dossier_id = ANY(:ids)", ids=going_ids)}
            assert kinds_of == {dossier_id_of(line["code"]): (
                "withdrawal" if line["status"] == 7 else "dossier",
                "waiting" if line["status"] in (5, 6) else "open") for line in at_agency}
            due = {row.dossier_id: row.due_at for row in await rows(
                database_url, "SELECT dossier_id, due_at FROM appraisal.work_items "
                "WHERE dossier_id = ANY(:ids)", ids=going_ids)}
            assert due == {dossier_id_of(line["code"]): datetime.fromisoformat(line["due_at"])
                           for line in at_agency}
            # Not yet checked: the receiving desk's items (intake's queue), no appointment yet.
            unchecked = [line for line in going if line["status"] == 1]
            assert await scalar(database_url, "SELECT count(*) FROM intake.work_items WHERE "
                                "dossier_id = ANY(:ids) AND state = 'open'",
                                ids=[dossier_id_of(line["code"]) for line in unchecked]) == \
                len(unchecked)
            # A signed result to hand over: the delivery desk's item, the old PDF the result.
            assert await scalar(database_url, "SELECT count(*) FROM delivery.work_items WHERE "
                                "dossier_id = ANY(:ids) AND state = 'open'",
                                ids=[dossier_id_of(line["code"]) for line in signed]) == \
                len(signed)
            # The operations view has every one, at its status, ended when the old system said.
            await eventually(database_url, "SELECT count(*) FROM operations.dossiers "
                             "WHERE dossier_id = ANY(:ids)", COUNT, ids=ids)
            statuses = {row.dossier_id: row.status_code for row in await rows(
                database_url, "SELECT dossier_id, status_code FROM operations.dossiers "
                "WHERE dossier_id = ANY(:ids)", ids=ids)}
            assert statuses == {dossier_id_of(line["code"]): now_status(line) for line in lines}

            # A second run brings nothing in twice.
            code, out, err = await import_legacy(stack, str(export))
            assert code == 0 and f"{COUNT} imported before, 0 to import" in out, (out, err)
            await asyncio.sleep(2)  # what the mail sender would have sent by now

            # Nothing was sent: no e-mail queued or delivered, no form, no new work but the
            # appraisal queue's, no hand-off on the topic.
            assert await scalar(database_url, "SELECT count(*) FROM intake.notifications "
                                "WHERE dossier_id = ANY(:ids)", ids=ids) == 0
            assert await scalar(database_url, "SELECT count(*) FROM intake.dossier_forms "
                                "WHERE dossier_id = ANY(:ids)", ids=ids) == 0
            assert {message["To"] for message in inbox.messages} == \
                {body["applicant"]["email"]}
            records = await read_topic(infra.bootstrap_servers, topic, quiet_seconds=1.0)
            ours = {str(i) for i in ids}
            kinds = {header(r, Headers.TYPE) for r in records
                     if header(r, Headers.DOSSIER_ID) in ours}
            assert kinds <= {"DossierImported", "DossierTakenOver", "DossierOverdue"}, kinds
            assert sum(1 for r in records if header(r, Headers.TYPE) == "DossierImported") \
                == COUNT
            dead = await read_topic(infra.bootstrap_servers, topic + ".dlq", quiet_seconds=0.5)
            assert dead == [], [header(r, Headers.DLQ_REASON) for r in dead][:5]

            # An officer carries on with one in progress: from there on it is native work,
            # through every stage to delivery, and its applicant is told of the result.
            carried = working[1]
            agency = default_catalogue().procedures[carried["procedure_code"]].agency
            officer = officer_headers(agency, "appraisal", "tham.dinh")
            async with httpx.AsyncClient(base_url=stack.queue_url("appraisal"),
                                         timeout=30) as queue_client:
                item = await queue_of(queue_client, officer, carried["code"])
                claimed = await queue_client.post(f"/api/work-items/{item['id']}/claim",
                                                  headers=officer)
                assert claimed.status_code == 200, claimed.text
                decided = await decide(queue_client, officer, item, "recommend",
                                       recommendation="approve",
                                       findings="Hồ sơ chuyển từ hệ thống cũ, đủ điều kiện")
                assert decided.status_code == 200, decided.text
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                view = await view_at(client, {"dossier_id": str(dossier_id_of(carried["code"])),
                                              "code": carried["code"]}, 10)
            assert datetime.fromisoformat(view["first_due_at"]) == \
                datetime.fromisoformat(carried["due_at"])  # the old appointment still
            deadline = time.monotonic() + 30
            while carried["applicant"]["email"] not in {m["To"] for m in inbox.messages}:
                assert time.monotonic() < deadline, "the carried-on dossier's e-mail never came"
                await asyncio.sleep(0.2)

            # A desk officer checks one the old desk had not: accepted here (a native
            # DossierAccepted caused by the import), the appointment counted from the old
            # reception; it goes on as native work.
            first = unchecked[0]
            procedure = default_catalogue().procedures[first["procedure_code"]]
            desk = officer_headers(procedure.agency, "intake", "mot.cua")
            first_seen = {"dossier_id": str(dossier_id_of(first["code"])), "code": first["code"]}
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                item = await queue_of(client, desk, first["code"])
                claimed = await client.post(f"/api/work-items/{item['id']}/claim", headers=desk)
                assert claimed.status_code == 200, claimed.text
                decided = await decide(client, desk, item, "accept")
                assert decided.status_code == 200, decided.text
                deadline = time.monotonic() + 60
                while True:
                    view = (await client.get(f"/api/dossiers/{first_seen['dossier_id']}")).json()
                    if view["status"]["code"] != 1:
                        break
                    assert time.monotonic() < deadline, view["timeline"]
                    await asyncio.sleep(0.3)
            accepted = next(e for e in view["timeline"] if e["type"] == "DossierAccepted")
            assert accepted["actor"].endswith("mot.cua"), accepted
            due, _ = appointment(procedure.for_case(None), WorkingCalendar(),
                                 datetime.fromisoformat(first["received_at"]))
            assert datetime.fromisoformat(view["first_due_at"]) == due

            # An agency's officer confirms a withdrawal the old system had not: stopped (8).
            withdrawing = next(line for line in going if line["status"] == 7)
            agency = default_catalogue().procedures[withdrawing["procedure_code"]].agency
            officer = officer_headers(agency, "appraisal", "tham.dinh")
            async with httpx.AsyncClient(base_url=stack.queue_url("appraisal"),
                                         timeout=30) as queue_client:
                item = await queue_of(queue_client, officer, withdrawing["code"],
                                      kind="withdrawal")
                claimed = await queue_client.post(f"/api/work-items/{item['id']}/claim",
                                                  headers=officer)
                assert claimed.status_code == 200, claimed.text
                decided = await decide(queue_client, officer, item, "confirm-withdrawal")
                assert decided.status_code == 200, decided.text
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                view = await view_at(client, {"dossier_id": str(dossier_id_of(
                    withdrawing["code"])), "code": withdrawing["code"]}, 8)
            # (Marked overdue first if its old appointment had passed.)
            assert [e["type"] for e in view["timeline"] if not e["imported"]
                    and e["type"] != "DossierOverdue"] == ["DossierImported", "DossierStopped"]

            # The desk hands over a result the old system signed, as a native one: delivered.
            ready = signed[0]
            agency = default_catalogue().procedures[ready["procedure_code"]].agency
            clerk = officer_headers(agency, "delivery", "tra.ket.qua")
            async with httpx.AsyncClient(base_url=stack.queue_url("delivery"),
                                         timeout=30) as queue_client:
                item = await queue_of(queue_client, clerk, ready["code"])
                handed = await decide(queue_client, clerk, item, "hand-over",
                                      receiver_name="Lò Văn Sáng", identity_checked=True)
                assert handed.status_code == 200, handed.text
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                view = await view_at(client, {"dossier_id": str(dossier_id_of(ready["code"])),
                                              "code": ready["code"]}, 10)
            assert [e["type"] for e in view["timeline"] if not e["imported"]] == [
                "DossierImported", "ResultDelivered"]
            assert datetime.fromisoformat(view["ended_at"]) == \
                datetime.fromisoformat(ready["history"][-1]["at"])  # when the old one signed

            # Online, the old PDF is available at once, and the applicant downloads it as it
            # was (intake checks it against the hash the import announced).
            online, pdf = await import_signed_online(stack, tmp_path, working[0], now)
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                await view_at(client, {"dossier_id": str(dossier_id_of(online["code"])),
                                       "code": online["code"]}, 10)
                download = await client.get(f"/api/dossiers/{online['code']}/result",
                                            params={"id_number": online["applicant"]["id_number"]})
            assert download.status_code == 200, download.text
            assert download.content == pdf

            # A dossier the agency asked a supplement of in the old system lands waiting on the
            # applicant, with the old deadline and documents; nothing is sent at import; the
            # applicant's supplement over the API resumes the agency's work, which goes on.
            waiting = await import_waiting(stack, tmp_path, going, now)
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
                seen = {"dossier_id": str(dossier_id_of(waiting["code"])),
                        "code": waiting["code"]}
                view = await view_at(client, seen, 5)
                assert datetime.fromisoformat(view["due_at"]) == \
                    datetime.fromisoformat(waiting["due_at"])  # not counted again
                imported = next(e for e in view["timeline"] if e["type"] == "DossierImported")
                assert "Bản sao sổ hộ khẩu" in (imported["note"] or ""), imported
                assert await scalar(database_url, "SELECT count(*) FROM intake.notifications "
                                    "WHERE dossier_id = :id", id=seen["dossier_id"]) == 0
                stored = await client.post("/api/files", files=[
                    ("file", ("so-ho-khau.pdf", sample_pdf("Bản sao sổ hộ khẩu"),
                              "application/pdf"))])
                assert stored.status_code == 201, stored.text
                supplemented = await client.post(
                    f"/api/dossiers/{waiting['code']}/supplement", json={
                        "id_number": waiting["applicant"]["id_number"],
                        "documents": [{"name": "Bản sao sổ hộ khẩu",
                                       "sha256": stored.json()["files"][0]["sha256"]}]})
                assert supplemented.status_code == 202, supplemented.text
                view = await view_at(client, seen, 10)  # automatic on: on to delivery
                kinds = [e["type"] for e in view["timeline"] if not e["imported"]]
                assert kinds[:2] == ["DossierImported", "SupplementProvided"], kinds
                assert "DossierAppraised" in kinds and "ResultDelivered" in kinds, kinds
    finally:
        controller.stop()

    # The auditors' replay verifies every event and tells imported history from native.
    result = await asyncio.to_thread(replay, TopicSource(infra.bootstrap_servers, topic),
                                     signing_keys / "registry.json", workers=2,
                                     database_url=database_url)
    report = result.report()
    assert report["findings_total"] == 0, report["findings"][:5]
    # The thousand, the one imported awaiting a supplement and the one signed, online.
    extra = [{"status": 5}, {"status": 9}]
    assert report["imported"]["dossiers"] == COUNT + 2
    assert report["imported"]["events"] == COUNT + 2
    assert report["imported"]["statuses"] == {
        str(status): sum(1 for line in [*lines, *extra] if line["status"] == status)
        for status in sorted({line["status"] for line in lines} | {5}, key=str)}
    taken_over = sum(1 for line in going if line["status"] == 2)
    # The takeovers, the carried-on dossier's appraisal, approval, signature, delivery, the
    # desk's acceptance, the confirmed withdrawal and the two deliveries of old results.
    assert report["imported"]["continued_events"] >= taken_over + 8
    assert report["native"]["dossiers"] == 1
    assert report["dossiers"] == COUNT + 3
    print(f"motcua import-legacy: {COUNT} dossiers in {import_seconds:.1f} s (judged, sealed, "
          f"signed, published, shown by intake); whole test {time.monotonic() - started:.1f} s")
