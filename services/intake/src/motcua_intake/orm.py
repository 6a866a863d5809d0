"""Intake's tables, in schema "intake": the dossiers with their tracking view, their timeline,
the per-unit daily counters behind dossier codes, the applicants' e-mail queue, the dossiers'
forms 01 to 05, and the outbox and inbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from motcua_intake import STAGE
from motcua_notify import NotificationColumns
from motcua_runtime.chains import chain_links_table
from motcua_runtime.db import dead_letters_table, inbox_table, outbox_table
from motcua_runtime.work_items import WorkItemColumns


class Base(DeclarativeBase):
    metadata = MetaData(schema=STAGE)


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(32), index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Personal data stays here, in intake's schema; events carry only what stages need.
    applicant: Mapped[dict[str, Any]] = mapped_column(JSONB)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    delivery: Mapped[dict[str, Any]] = mapped_column(JSONB)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The tracking view, folded from the dossier's events as they come back from the topic.
    status_code: Mapped[int] = mapped_column(SmallInteger, default=1, index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_event_type: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # DossierState (motcua_contracts.lifecycle) as JSON: what the rules need to judge what comes.
    lifecycle: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # The newest DossierFacts a stage handed on: appointment, step deadlines, rescheduling.
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    fees_paid: Mapped[int] = mapped_column(Integer, default=0)
    # Awaiting the applicant (a supplement or fees): since when, the request to answer (the
    # cause of the applicant's answer), and the supplement's deadline.
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_on_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    waiting_on_event_hash: Mapped[str | None] = mapped_column(String(64))
    supplement_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The documents the supplement waited for asks for, one by one, as its SupplementRequested
    # lists them (the desk's counter supplement offers a file for each); null when not waiting.
    supplement_documents: Mapped[list[str] | None] = mapped_column(JSONB)
    # When processing ended (status 9, else 10, 8 or 3) and whether that was on time.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    overdue_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), doc="When the deadline watch marked it overdue")
    # The result as ResultSigned described it: a downloaded copy must have this SHA-256.
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    # How ResultDelivered says the result was handed over (online: the applicant may download).
    delivered_via: Mapped[str | None] = mapped_column(String(16))
    # W3C traceparent of the root of the dossier's trace (the filing request): the applicant's
    # later actions and the deadline watch continue that trace, so one dossier is one trace.
    trace_parent: Mapped[str | None] = mapped_column(String(64))
    # The catalogue version in force when it was received (CatalogueVersion.version; null: the
    # catalogue shipped with the code) and the procedure's case: the dossier is handled under
    # them to the end, whatever is imported later.
    catalogue_version: Mapped[int | None] = mapped_column(Integer)
    case_code: Mapped[str | None] = mapped_column(String(32))
    # Where it was received (the desk's agency: a centre, a commune, the competent agency's own
    # desk), beside `agency`, the competent one; null for rows from before it was recorded,
    # whose code's e-ID prefix names the unit (motcua_intake.domain.receiving_unit).
    receiving_unit: Mapped[str | None] = mapped_column(String(32), index=True)
    # A dossier brought in from the system being replaced (DossierImported): the old system's
    # name and its steps, `{"source_system": ..., "history": [{at, actor, status, note}]}`,
    # shown before the native timeline; null for a dossier received here.
    imported: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class CatalogueVersion(Base):
    """An imported catalogue (`motcua catalogue import`), kept whole as the file said it, with
    the time from which new dossiers are received under it. Never updated or deleted: dossiers
    name the version they were received under."""

    __tablename__ = "catalogue_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, doc="The imported file's name")
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text, doc="The export as imported (docs/catalogue.md)")
    procedures: Mapped[int] = mapped_column(Integer)
    agencies: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    imported_by: Mapped[str] = mapped_column(String(128))


class TimelineEntry(Base):
    __tablename__ = "timeline"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Dossier.id), index=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agency: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    hash: Mapped[str | None] = mapped_column(String(64))
    # Status after the event, and what the citizen reads about it (a reason, a new appointment).
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    holder: Mapped[str | None] = mapped_column(String(16), doc="Stage holding it afterwards")
    # The agency the event is addressed to (whose stage holds the dossier next: the consulted
    # agency of a consultation); with `agency`, who may read the dossier's files.
    addressed_to: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class Rating(Base):
    """The applicant's satisfaction with one delivered dossier (one rating per dossier)."""

    __tablename__ = "ratings"

    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Dossier.id), primary_key=True)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The 9 indicators, each 0, 1 or 2, in the order of docs/domain.md.
    indicators: Mapped[list[int]] = mapped_column(JSONB)
    convenience: Mapped[str] = mapped_column(String(16))
    overall: Mapped[str] = mapped_column(String(16))
    # The applicant's comment, sealed under the dossier's data key (a Sealed as JSON).
    comment: Mapped[str | None] = mapped_column(Text)


class DailyCounter(Base):
    """The NNNN of dossier codes: restarts every day for every receiving unit."""

    __tablename__ = "daily_counters"

    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class IdempotentRequest(Base):
    """The first answer given to a filing that carried an `Idempotency-Key`: the same key with
    the same body gets this answer again; with another body, a 409."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class StoredUpload(Base):
    """A file intake stored (motcua_files, content-addressed): what a filing's documents name.
    Its size and media type are what the store measured and sniffed, never what a client said."""

    __tablename__ = "files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(32))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())
    # When a filing or a supplement first named it; until then the upload may be abandoned,
    # and past INTAKE_UNNAMED_UPLOAD_HOURS it is deleted (motcua_intake.files.cleanup).
    named_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_files_unnamed", "stored_at",
                            postgresql_where=text("named_at IS NULL")),)


class PersonalDataRead(Base):
    """The access log: every read of personal data by an officer (who, for which agency and
    role, which dossier, what of it, when, from where), kept for the auditors. Only ever added
    to. `what`: `file` (one of the dossier's files, `sha256`), `dossier` (the dossier with its
    applicant, `GET /api/officer/dossiers/{code}`), `form` (a form 01 to 05),
    `hand-over-record` or `work-item` (delivery's record, and its items shown with the personal
    data they keep sealed opened: recorded by delivery, `POST /internal/personal-data-reads`)."""

    __tablename__ = "personal_data_reads"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                              server_default=func.now(), index=True)
    officer: Mapped[str] = mapped_column(String(128), index=True)
    agency: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    dossier_code: Mapped[str] = mapped_column(String(40), index=True)
    what: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str | None] = mapped_column(String(64), doc="The file read, if a file")
    client: Mapped[str | None] = mapped_column(String(64), doc="The caller's address")


class DossierForm(Base):
    """One of forms 01 to 05 of a dossier (docs/forms.md): queued by the handler of the event
    that calls for it, in the same transaction, with its facts sealed under the dossier's key;
    rendered and stored by the background worker (motcua_intake.forms.worker), which fills in
    the rest. The PDF is kept sealed in the file store under `stored_sha256` (the sealed bytes'
    digest); `sha256` is the PDF's own, which a download is checked against."""

    __tablename__ = "dossier_forms"
    # The worker's query: what is still to render, oldest first.
    __table_args__ = (Index("ix_intake_dossier_forms_due", "next_attempt_at",
                            postgresql_where=text("stored_at IS NULL AND failed_at IS NULL")),)

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True,
                                                doc="The event that called for the form")
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Dossier.id), index=True)
    form: Mapped[str] = mapped_column(String(2), doc="01 to 05")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    facts: Mapped[str] = mapped_column(Text, doc="The form's facts as JSON, sealed")
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Given up (its dossier's personal data was erased before it was rendered).
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    stored_sha256: Mapped[str | None] = mapped_column(String(64))


class Notification(NotificationColumns, Base):
    """An e-mail to the applicant, queued with the event that caused it (motcua_notify)."""


OUTBOX = outbox_table(Base.metadata)
INBOX = inbox_table(Base.metadata)
DEAD_LETTERS = dead_letters_table(Base.metadata)
CHAIN_LINKS = chain_links_table(Base.metadata)


class WorkItem(WorkItemColumns, Base):
    """A dossier waiting for a desk officer's completeness check (motcua_intake.desk_queue):
    its agency is the unit whose desk received it."""
