"""The applicant's e-mails end to end: the five services as processes on the embedded broker and
Postgres, intake pointed at a real SMTP server (aiosmtpd) that is down at first. The dossier goes
all the way to delivery while no mail can leave; the e-mails wait in intake's queue, and arrive,
once each, in Vietnamese and naming the dossier, when the server comes up. No e-mail address or
ID number appears in intake's logs."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_cli.embedded import free_port
from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_intake.orm import Notification, TimelineEntry
from motcua_runtime.db import create_engine
from tests.notify.smtp import smtp_server
from tests.support import running_stack

pytestmark = pytest.mark.e2e

BUSINESS = "2.001610"  # Sở Kế hoạch và Đầu tư: automatic at every stage on the default
SENDER = "Trung tâm Phục vụ hành chính công <motcua@laocai.gov.vn>"
PUBLIC = "https://dichvucong.laocai.gov.vn"
LIFECYCLE = ["acceptance", "result_ready", "delivered"]


async def notices_of(database_url: str, dossier_id: uuid.UUID) -> tuple[list, dict[str, str]]:
    """Intake's queued e-mails for the dossier, and its timeline (event id -> type)."""
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            # Notices queued in one transaction (a batch holding ResultSigned and
            # ResultDelivered) share created_at, so the dossier's lifecycle gives the order.
            queued = sorted(await session.scalars(select(Notification).where(
                Notification.dossier_id == dossier_id)), key=lambda n: LIFECYCLE.index(n.kind))
            timeline = {str(e.event_id): e.type for e in await session.scalars(
                select(TimelineEntry).where(TimelineEntry.dossier_id == dossier_id))}
    finally:
        await engine.dispose()
    return queued, timeline


async def test_mail_waits_for_a_mail_server_that_is_down_and_never_holds_the_dossier_up(
        infra, log_dir):
    database_url, topic = await infra.isolated("notify")
    smtp_port = free_port()  # nothing listens there yet
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_TIMEOUT": "5",
           "NOTIFY_FROM": SENDER, "PUBLIC_BASE_URL": PUBLIC,
           "INTAKE_NOTIFY_POLL_SECONDS": "0.2", "INTAKE_NOTIFY_RETRY_SECONDS": "0.5",
           "INTAKE_NOTIFY_RETRY_MAX_SECONDS": "1"}
    with running_stack(infra, database_url, topic, log_dir, env=env) as stack:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
            procedure = (await client.get(f"/api/procedures/{BUSINESS}")).json()
            await upload_sample_files(client, [procedure])
            body = sample_submission(procedure, random.Random(11), channel="online")
            body["delivery"] = {"channel": "online"}
            filed = (await client.post("/api/dossiers", json=body)).json()
            dossier_id = uuid.UUID(filed["dossier_id"])
            deadline = time.monotonic() + 90
            while (await client.get(f"/api/dossiers/{dossier_id}")).json()["status"]["code"] != 10:
                assert time.monotonic() < deadline, "the dossier was not delivered"
                await asyncio.sleep(0.3)

        # Delivered with the mail server down: the three e-mails wait, tried and kept.
        queued, timeline = await notices_of(database_url, dossier_id)
        assert [n.kind for n in queued] == ["acceptance", "result_ready", "delivered"]
        assert [timeline[str(n.event_id)] for n in queued] == [
            "DossierAccepted", "ResultSigned", "ResultDelivered"]
        assert all(n.id == n.event_id and n.sent_at is None for n in queued)
        await asyncio.sleep(1.5)  # at least one more round against the closed port
        queued, _ = await notices_of(database_url, dossier_id)
        assert all(n.attempts >= 1 and "Connect" in (n.last_error or "") for n in queued), [
            (n.attempts, n.last_error) for n in queued]

        controller, inbox = smtp_server(smtp_port)
        try:
            deadline = time.monotonic() + 30
            while len(inbox.messages) < 3:
                assert time.monotonic() < deadline, f"{len(inbox.messages)} e-mails arrived"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.5)  # time for a duplicate to show, if there were one
        finally:
            controller.stop()
        intake_log = stack.logs("intake")

    code, email = filed["code"], body["applicant"]["email"]
    by_id = {m["Message-ID"]: m for m in inbox.messages}
    assert len(by_id) == len(inbox.messages) == 3
    acceptance, ready, delivered = (by_id[f"<{n.id}@laocai.gov.vn>"] for n in queued)
    assert acceptance["Subject"] == f"[{code}] Giấy tiếp nhận hồ sơ và hẹn trả kết quả " \
                                    "(Mẫu số 01)"
    assert ready["Subject"] == f"[{code}] Đã có kết quả giải quyết hồ sơ"
    assert delivered["Subject"] == f"[{code}] Đã trả kết quả giải quyết hồ sơ"
    for message in (acceptance, ready, delivered):
        assert (message["To"], message["From"]) == (email, SENDER)
        assert message["X-Motcua-Dossier"] == str(dossier_id)
        text = message.get_content()
        assert text.startswith(f"Kính gửi Ông/Bà {body['applicant']['full_name']},")
        assert f"Mã hồ sơ: {code}" in text and f"{PUBLIC}/tra-cuu?code={code}" in text
    assert "Thời gian hẹn trả kết quả:" in acceptance.get_content()
    assert "tải kết quả điện tử (đã ký số)" in ready.get_content()
    assert "(trực tuyến)" in delivered.get_content()

    queued, _ = await notices_of(database_url, dossier_id)
    assert all(n.sent_at is not None and n.failed_at is None for n in queued)
    assert "mail server unavailable" in intake_log  # it did try, and said so
    assert email not in intake_log and body["applicant"]["id_number"] not in intake_log
