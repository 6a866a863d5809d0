"""The queue and the sender on real Postgres and a real SMTP server (aiosmtpd on a local port):
queued in a transaction, sent, read back from what the server received; a server that is down
delays mail, which arrives once it is back; a permanent refusal stops retries for that mail only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from motcua_cli.embedded import create_database, free_port
from motcua_contracts import uuid7
from motcua_notify import NotificationColumns, NotificationSender, SmtpSettings, notification
from motcua_notify.sender import backoff
from motcua_notify.templates import Dossier, acceptance, result_ready
from motcua_runtime.db import create_engine
from tests.notify.smtp import smtp_server

SCHEMA = "notify_test"
DOSSIER = Dossier(code="000.00.15.H38-261124-0009", applicant_name="Giàng Seo Phử",
                  procedure_name="Đăng ký tạm trú", lookup_url="https://x/tra-cuu?code=c")
DOSSIER_TIME = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class Notification(NotificationColumns, Base):
    """What a service declares in its own orm.py."""


@pytest.fixture(scope="module")
async def engine(infra) -> AsyncIterator[AsyncEngine]:
    url = await create_database(infra.server_url, f"notify_{uuid.uuid4().hex[:8]}")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await connection.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


async def queue(engine: AsyncEngine, *items) -> list[uuid.UUID]:
    """Queue notifications the way a handler's batch does: rows in its transaction."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        rows = [notification(Notification, recipient=recipient, message=message,
                             dossier_id=uuid7(), event_id=uuid7()) for recipient, message in items]
        session.add_all(rows)
    return [row.id for row in rows]


async def rows(engine: AsyncEngine, ids: list[uuid.UUID]) -> list[Notification]:
    async with async_sessionmaker(engine)() as session:
        found = {n.id: n for n in await session.scalars(
            select(Notification).where(Notification.id.in_(ids)))}
    return [found[i] for i in ids]


def sender(engine: AsyncEngine, port: int, **options) -> NotificationSender:
    settings = SmtpSettings(host="127.0.0.1", port=port, timeout=5,
                            sender="Trung tâm Phục vụ hành chính công <motcua@laocai.gov.vn>")
    return NotificationSender(engine, Notification, settings, **options)


async def test_queued_notifications_arrive_in_vietnamese_and_are_marked_sent(engine):
    port = free_port()
    controller, inbox = smtp_server(port)
    try:
        ids = await queue(
            engine,
            ("phu@example.vn", acceptance(DOSSIER, received_at=DOSSIER_TIME, due_at=None)),
            ("phu@example.vn", result_ready(DOSSIER, outcome="approved", channel="online",
                                            result_number="0001/2026/QĐ-CAPCL")))
        sent = await sender(engine, port).send_due()
    finally:
        controller.stop()

    assert sent == 2
    mine = [m for m in inbox.messages if m["X-Motcua-Dossier"]]
    assert len(mine) == 2
    first, second = sorted(mine, key=lambda m: "Mẫu số 01" not in m["Subject"])
    assert first["To"] == "phu@example.vn"
    assert first["From"] == "Trung tâm Phục vụ hành chính công <motcua@laocai.gov.vn>"
    assert first["Subject"] == f"[{DOSSIER.code}] Giấy tiếp nhận hồ sơ và hẹn trả kết quả " \
                               "(Mẫu số 01)"
    assert "Kính gửi Ông/Bà Giàng Seo Phử," in first.get_content()
    assert "0001/2026/QĐ-CAPCL" in second.get_content()
    assert {m["Message-ID"] for m in mine} == {f"<{i}@laocai.gov.vn>" for i in ids}
    stored = await rows(engine, ids)
    assert all(r.sent_at is not None and r.attempts == 1 and r.last_error is None for r in stored)


async def test_a_mail_server_that_is_down_delays_mail_and_it_arrives_when_it_is_back(engine):
    port = free_port()  # nothing listens there yet
    [waiting] = await queue(engine, ("phu@example.vn", acceptance(
        DOSSIER, received_at=DOSSIER_TIME, due_at=None)))
    notifier = sender(engine, port, poll_seconds=0.1, backoff_base=0.2, backoff_cap=0.5)

    assert await notifier.send_due() == 0
    [after_failure] = await rows(engine, [waiting])
    assert after_failure.sent_at is None and after_failure.attempts == 1
    assert after_failure.next_attempt_at > after_failure.created_at
    assert "Connect" in after_failure.last_error or "refused" in after_failure.last_error

    stop = asyncio.Event()
    running = asyncio.create_task(notifier.run(stop))
    try:
        await asyncio.sleep(0.8)  # more failed rounds while the server is down
        controller, inbox = smtp_server(port)
        try:
            for _ in range(100):
                if inbox.messages:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # time for a duplicate, if there were one
        finally:
            controller.stop()
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)

    assert [m["Message-ID"] for m in inbox.messages] == [f"<{waiting}@laocai.gov.vn>"]
    [delivered] = await rows(engine, [waiting])
    assert delivered.sent_at is not None and delivered.attempts >= 3


async def test_a_refused_mailbox_fails_for_good_and_the_others_are_sent(engine):
    port = free_port()
    controller, inbox = smtp_server(port)
    try:
        refused, fine = await queue(
            engine,
            ("nobody@example.vn", acceptance(DOSSIER, received_at=DOSSIER_TIME, due_at=None)),
            ("phu@example.vn", acceptance(DOSSIER, received_at=DOSSIER_TIME, due_at=None)))
        notifier = sender(engine, port)
        assert await notifier.send_due() == 1
        assert await notifier.send_due() == 0  # nothing due: the refused one is not retried
    finally:
        controller.stop()

    [failed, sent] = await rows(engine, [refused, fine])
    assert failed.failed_at is not None and failed.sent_at is None
    assert "550" in failed.last_error
    assert sent.sent_at is not None
    assert [m["To"] for m in inbox.messages] == ["phu@example.vn"]


async def test_a_rolled_back_batch_queues_nothing(engine):
    dossier_id = uuid7()
    with pytest.raises(RuntimeError):
        async with async_sessionmaker(engine)() as session, session.begin():
            session.add(notification(Notification, recipient="phu@example.vn",
                                     message=acceptance(DOSSIER, received_at=DOSSIER_TIME,
                                                        due_at=None), dossier_id=dossier_id))
            raise RuntimeError("the handler failed after queueing")

    async with async_sessionmaker(engine)() as session:
        assert (await session.scalars(select(Notification).where(
            Notification.dossier_id == dossier_id))).all() == []


def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, base=10, cap=60).total_seconds() for n in range(1, 6)] == [
        10, 20, 40, 60, 60]


async def test_without_a_mail_server_configured_mail_stays_queued(engine):
    [waiting] = await queue(engine, ("phu@example.vn", acceptance(
        DOSSIER, received_at=DOSSIER_TIME, due_at=None)))
    notifier = NotificationSender(engine, Notification, SmtpSettings(), poll_seconds=0.05)
    assert SmtpSettings().host is None and not notifier.configured

    stop = asyncio.Event()
    running = asyncio.create_task(notifier.run(stop))
    await asyncio.sleep(0.3)
    assert not running.done()  # it waits for the stop, and sends nothing meanwhile
    stop.set()
    await asyncio.wait_for(running, 5)

    [still] = await rows(engine, [waiting])
    assert still.sent_at is None and still.attempts == 0 and still.failed_at is None


def test_a_notice_caused_by_an_event_is_keyed_by_it():
    event_id = uuid7()
    notice = notification(Notification, recipient="phu@example.vn", dossier_id=uuid7(),
                          event_id=event_id, message=acceptance(
                              DOSSIER, received_at=DOSSIER_TIME, due_at=None))
    assert notice.id == notice.event_id == event_id
