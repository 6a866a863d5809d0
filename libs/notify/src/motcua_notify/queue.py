"""The durable queue of e-mails: a `notifications` table in the schema of the service that sends
them. A handler queues a notification as one more row of its batch's transaction (no I/O in the
handler; nothing queued when the batch rolls back), and `sender.NotificationSender` delivers
rows later, with retries. A slow or dead mail server therefore delays e-mail and never blocks
or loses event handling."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, Uuid, func, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from motcua_contracts import uuid7
from motcua_notify.templates import Message


class NotificationColumns:
    """Columns of the `notifications` table; mix into the service's declarative class:

        class Notification(NotificationColumns, Base):
            pass
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, doc="The event that caused it.")
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A permanent refusal (5xx: no such mailbox) stops the retries; the row stays, with the
    # reason, for an officer to see and reach the applicant another way.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return "notifications"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # The sender's query: what is due and not done yet, oldest first.
        return (Index(f"ix_{cls.__tablename__}_due", "next_attempt_at",
                      postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")),)


def notification(model: type, *, recipient: str, message: Message, dossier_id: uuid.UUID,
                 event_id: uuid.UUID | None = None):
    """A queued notification, to `session.add` in the batch's transaction. Its id (and so the
    mail's Message-ID) is the causing event's id when there is one: one notice per event, and a
    second row for the same event cannot be queued."""
    return model(id=event_id or uuid7(), dossier_id=dossier_id, event_id=event_id,
                 kind=message.kind, recipient=recipient, subject=message.subject,
                 body=message.body, attempts=0)
