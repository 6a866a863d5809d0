"""The sender against the test portal in its own process and a real Postgres: a dossier whose
sync keeps failing is visible (its failures, the last error, the metric, `motcua portal
status`) and holds back no other; `motcua portal retry` makes it due; a progress call whose
answer came too late is looked up, not sent twice; a create answered too late becomes an
update ("đã tồn tại") of the same record."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_contracts import DOSSIER_TOPIC
from motcua_portal.client import PortalClient
from motcua_portal.handlers import Dossiers, on_event
from motcua_portal.sender import Sender
from motcua_portal.settings import PortalSettings
from motcua_portal.standing import behind, retry_now
from motcua_runtime.db import create_engine
from motcua_runtime.stage import Emitter
from tests.fakes import by
from tests.portal.running import running_portal
from tests.portal.server import PASSWORD, UNIT, USERNAME
from tests.portal.test_translation import CODE, journey


async def fold(engine, events) -> None:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        dossiers = Dossiers(session)
        await dossiers.preload(events)
        for event in events:
            on_event(event, dossiers, Emitter(by("portal", None), DOSSIER_TOPIC))


async def motcua(database_url: str, data_dir, *argv: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "motcua_cli", "--data-dir", str(data_dir), *argv],
        env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True,
        timeout=60)


async def test_a_failing_dossier_is_visible_retried_and_its_rows_never_sent_twice(infra, log_dir):
    database_url, _ = await infra.isolated("portal-sender")
    engine = create_engine(database_url)
    events = journey()
    with running_portal(log_dir / "test-portal.log") as test_portal:
        settings = PortalSettings(
            url=test_portal.url, unit_code=UNIT, username=USERNAME, password=PASSWORD,
            database_url=database_url, environment="development", timeout_seconds=0.5,
            retry_first_seconds=0.05, retry_max_seconds=0.1, failing_after=2)
        client = PortalClient(settings)
        sender = Sender(engine, client, settings)
        try:
            await fold(engine, events[:3])  # received, accepted, apologised: 6 calls
            await test_portal.faults(down=True)
            for _ in range(3):
                await sender.round()
                await asyncio.sleep(0.15)
            await sender.refresh_gauges()
            standing = await behind(engine)
            assert standing["pending_calls"] == 6
            [row] = standing["behind"]
            assert (row["code"], row["owed"]) == (CODE, 6) and row["attempts"] >= 2
            assert "503" in row["last_error"]
            assert REGISTRY.get_sample_value("motcua_portal_failing_dossiers",
                                             {"service": "portal"}) == 1

            # The same through the command, as an operator sees it.
            shown = await motcua(database_url, log_dir, "portal", "status", "--json")
            assert shown.returncode == 0, shown.stderr
            assert json.loads(shown.stdout)["behind"][0]["code"] == CODE
            unknown = await motcua(database_url, log_dir, "portal", "retry", "nope")
            assert unknown.returncode != 0 and "no such dossier" in unknown.stderr

            await test_portal.faults(down=False)
            retried = await motcua(database_url, log_dir, "portal", "retry", CODE)
            assert retried.returncode == 0 and "due now" in retried.stdout
            assert await retry_now(engine, CODE) and not await retry_now(engine, "nope")
            await sender.round()
            assert (await behind(engine))["behind"] == []

            # One dossier the portal refuses holds back no other.
            other = journey("000.00.15.H38-251124-0004")
            await test_portal.faults(refused=[CODE])
            await fold(engine, [*events[3:4], *other[:2]])
            for _ in range(3):
                await sender.round()
                await asyncio.sleep(0.15)
            [row] = (await behind(engine))["behind"]
            assert row["code"] == CODE and "dữ liệu không hợp lệ" in row["last_error"]
            assert len((await test_portal.dossiers())[other[0].code]["progress"]) == 2
            await test_portal.faults(refused=[])
            await asyncio.sleep(0.15)
            await sender.round()  # appraised: the record (4) and a row, now taken
            await fold(engine, events[4:5])  # approved: a row alone
            await test_portal.faults(slow_calls=1, slow_seconds=1.5)  # applied, answered late
            await sender.round()
            assert (await behind(engine))["behind"][0]["last_error"].startswith("no answer")
            await asyncio.sleep(1.6)
            await sender.round()
            await sender.refresh_gauges()
            assert (await behind(engine))["behind"] == []
            assert REGISTRY.get_sample_value("motcua_portal_failing_dossiers",
                                             {"service": "portal"}) == 0

            # A create applied but answered late: sent again, "đã tồn tại", then an update.
            late = journey("000.00.15.H38-251124-0005")[:1]
            await fold(engine, late)
            await test_portal.faults(slow_calls=1, slow_seconds=1.5)
            await sender.round()
            await asyncio.sleep(1.6)
            await sender.round()
            assert (await behind(engine))["behind"] == []
            held_all = await test_portal.dossiers()
            held = held_all[CODE]
            received = await test_portal.received()
        finally:
            await client.close()
            await engine.dispose()
    notes = [row["NoiDungXuLy"] for row in held["progress"]]
    assert notes == ["Nộp hồ sơ", "Tiếp nhận hồ sơ", "Xin lỗi và hẹn lại ngày trả kết quả",
                     "Thẩm định hồ sơ", "Phê duyệt kết quả"]  # the late one once
    assert held["statuses"] == ["1", "2", "2", "4"]
    progress_calls = [call for call in received if call["service"] != "DongBoHoSoMC"
                      and call["status"] == 200 and call["kind"] == "service"]
    assert [call["service"] for call in progress_calls][-3:] == [
        "CapNhatTienDoHoSoMC", "TraCuuHoSo", "CapNhatTienDoHoSoMC"]  # looked up, not resent
    late_code = late[0].code
    creates = [(call["isUpdating"], call["error_code"]) for call in received
               if call["service"] == "DongBoHoSoMC" and call["data"][0]["MaHoSo"] == late_code]
    assert creates == [(False, "0"), (False, "-3"), (True, "0")]
    assert held_all[late_code]["statuses"] == ["1", "1"]  # the same record, set again
    assert len(held_all[late_code]["progress"]) == 1
