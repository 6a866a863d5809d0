"""Signing's tables, in schema "signing": work items, the issued result documents, the
per-agency yearly result numbering, outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motcua_runtime.chains import chain_links_table
from motcua_runtime.db import dead_letters_table, inbox_table, outbox_table
from motcua_runtime.work_items import WorkItemColumns
from motcua_signing import STAGE


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class WorkItem(WorkItemColumns, Base):
    pass


class ResultDocument(Base):
    """An issued result: the sealed PDF (rows from before PAdES signing hold UTF-8 text, as
    their media type says). Written through `documents.DocumentStore`."""

    __tablename__ = "results"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(32))
    result_number: Mapped[str] = mapped_column(String(64), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    certificate_fingerprint: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResultCounter(Base):
    """Số ký hiệu numbering restarts every year for every agency."""

    __tablename__ = "result_counters"

    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


OUTBOX = outbox_table(Base.metadata)
INBOX = inbox_table(Base.metadata)
DEAD_LETTERS = dead_letters_table(Base.metadata)
CHAIN_LINKS = chain_links_table(Base.metadata)
