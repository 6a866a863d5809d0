"""Delivering queued notifications over SMTP (aiosmtplib), in the background of a service.

Each round takes the due rows (`FOR UPDATE SKIP LOCKED`, so several instances share the work),
sends them over one SMTP connection, and records each outcome in the same transaction: sent; a
transient failure (server down, timeout, 4xx) retried later with exponential backoff; a permanent
refusal (5xx for that message) recorded and not retried. A crash between the SMTP send and the
commit sends that mail again (at least once); its Message-ID is the row id, so a mail client
shows the copy as the same message."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
import structlog
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from motcua_notify.queue import NotificationColumns

log = structlog.get_logger(__name__)
# A sealed queue's opener: rows -> {row id: (recipient, body)}.
OpenRows = Callable[[AsyncSession, list[Any]], Awaitable[dict[Any, tuple[str, str]]]]


class SmtpSettings(BaseSettings):
    """The mail server, from SMTP_* variables; the sender address from NOTIFY_FROM."""

    model_config = SettingsConfigDict(env_prefix="SMTP_", extra="ignore", populate_by_name=True)

    host: str | None = Field(default=None, description=(
        "The mail server; None: no mail server is configured, notifications stay queued."))
    port: int = 25
    username: str | None = None
    password: SecretStr | None = None
    tls: bool = Field(default=False, description="Implicit TLS (port 465).")
    starttls: bool = Field(default=False, description="Upgrade with STARTTLS (port 587).")
    timeout: float = 30.0
    sender: str = Field(default="Trung tâm Phục vụ hành chính công <motcua@localhost>",
                        validation_alias="NOTIFY_FROM")

    @field_validator("host", "username", "password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose passes `${SMTP_USERNAME:-}` as an empty string: that means none, not "".
        return None if value == "" else value


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Wait before the next try after `attempts` failures: base, 2 base, 4 base, ... up to cap."""
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refused.code < 600 for refused in error.recipients)
    return (isinstance(error, aiosmtplib.SMTPResponseException)
            and not isinstance(error, aiosmtplib.SMTPConnectError)
            and 500 <= error.code < 600)


def _code(error: Exception) -> int | None:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return error.recipients[0].code if error.recipients else None
    return getattr(error, "code", None)


class NotificationSender:
    def __init__(self, engine: AsyncEngine, model: type[NotificationColumns],
                 settings: SmtpSettings, *,
                 batch_size: int = 50, poll_seconds: float = 2.0, backoff_base: float = 10.0,
                 backoff_cap: float = 900.0, open_rows: OpenRows | None = None) -> None:
        """`open_rows`: the rows' (recipient, body) by id, for a queue that keeps them sealed
        (intake's: motcua_intake.notices.open_notifications); a row it leaves out is given up
        (its dossier's personal data was erased)."""
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._open_rows = open_rows
        self.model = model
        self.settings = settings
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._wake = asyncio.Event()

    @property
    def configured(self) -> bool:
        return bool(self.settings.host)

    def wake(self) -> None:
        """Look for due notifications now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set. Database trouble is logged and retried at the next round:
        the queue is in the database, so nothing is lost meanwhile. Without a mail server
        (SMTP_HOST unset) nothing is sent: rows stay queued until one is configured."""
        if not self.configured:
            log.warning("no mail server configured (SMTP_HOST): notifications stay queued "
                        "in the notifications table, unsent")
            await stop.wait()
            return
        while not stop.is_set():
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notification round failed; retrying at the next poll")
                sent = 0
            if sent < self.batch_size:  # a full batch: more may be due, go on at once
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()),
                           asyncio.ensure_future(self._wake.wait())]
                await asyncio.wait(waiters, timeout=self.poll_seconds,
                                   return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()

    async def send_due(self) -> int:
        """One round: send what is due; return how many were sent."""
        model = self.model
        async with self._sessions() as session, session.begin():
            rows = list(await session.scalars(
                select(model)
                .where(model.sent_at.is_(None), model.failed_at.is_(None),
                       model.next_attempt_at <= func.now())
                .order_by(model.next_attempt_at, model.id)
                .limit(self.batch_size).with_for_update(skip_locked=True)))
            if not rows:
                return 0
            now = await session.scalar(select(func.now()))
            opened = None if self._open_rows is None else await self._open_rows(session, rows)
            if opened is not None:
                for row in rows:
                    if row.id not in opened:
                        row.failed_at, row.last_error = now, "personal data erased"
                rows = [row for row in rows if row.id in opened]
            try:
                return await self._send_all(rows, now, opened)
            except (OSError, aiosmtplib.SMTPException) as error:  # could not talk to the server
                for row in rows:
                    if row.sent_at is None and row.failed_at is None:
                        self._retry_later(row, now, error)
                log.warning("mail server unavailable; notifications wait", error=str(error),
                            waiting=len(rows))
                return sum(row.sent_at is not None for row in rows)

    async def _send_all(self, rows: list, now, opened: dict | None = None) -> int:
        settings = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host, port=settings.port, use_tls=settings.tls,
            start_tls=settings.starttls, timeout=settings.timeout, username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None)
        sent = 0
        async with smtp:
            for row in rows:
                try:
                    await smtp.send_message(self._message(
                        row, *(opened[row.id] if opened else (row.recipient, row.body))))
                except (aiosmtplib.SMTPResponseException,
                        aiosmtplib.SMTPRecipientsRefused) as error:
                    if not _is_permanent(error):
                        self._retry_later(row, now, error)
                        continue
                    row.attempts += 1
                    row.failed_at, row.last_error = now, f"{type(error).__name__}: {error}"
                    # The error names the mailbox: it stays in the row, not in the logs.
                    log.error("notification refused for good", notification_id=str(row.id),
                              kind=row.kind, smtp_code=_code(error))
                    continue
                row.attempts += 1
                row.sent_at, row.last_error = now, None
                sent += 1
        return sent

    def _retry_later(self, row, now, error: Exception) -> None:
        row.attempts += 1
        row.next_attempt_at = now + backoff(row.attempts, base=self.backoff_base,
                                            cap=self.backoff_cap)
        row.last_error = f"{type(error).__name__}: {error}"

    def _message(self, row, recipient: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = recipient
        message["Subject"] = row.subject
        message["Date"] = format_datetime(row.created_at)
        domain = self.settings.sender.rsplit("@", 1)[-1].rstrip(">") or "motcua"
        message["Message-ID"] = f"<{row.id}@{domain}>"
        message["X-Motcua-Dossier"] = str(row.dossier_id)
        message.set_content(body)  # UTF-8, quoted-printable or base64 as needed
        return message
