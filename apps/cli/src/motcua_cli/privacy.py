"""`motcua privacy`: crypto-shredding of an applicant's personal data (docs/privacy.md).

    motcua privacy erase CODE --reason TEXT [--lawful-request] [--by LOGIN]
    motcua privacy sweep --reason TEXT   erase every dossier past its retention period
    motcua privacy master-key        a new master key for MOTCUA_PRIVACY_MASTER_KEY(_FILE)
    motcua privacy rewrap NEW_KEY_FILE   wrap every living data key under a new master key

`erase` destroys the dossier's data key in the key store (the row keeps who, when and why) and,
in the same transaction, writes a `PersonalDataErased` into intake's outbox, signed with
intake's key as intake would (its relay publishes it; every reader takes note). It refuses while
the procedure's retention period (`retention_years` in the catalogue, counted from the end of
the dossier) runs, unless `--lawful-request` says the erasure is ordered by law. Once erased,
every sealed copy of the person (topic, archive, read models) is unreadable; the dossier stays."""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from motcua_catalogue import Catalogue
from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts import new_event
from motcua_contracts.intake import PersonalDataErased
from motcua_intake.orm import OUTBOX, Dossier
from motcua_privacy import DOSSIER_KEYS, PrivacyProblem, erase_key, generate_master_key, rewrap_all
from motcua_runtime.db import engine_url
from motcua_runtime.keys import Signer
from motcua_runtime.outbox import OutgoingMessage
from motcua_runtime.work_items import Cause

DEFAULT_RETENTION_YEARS = 5


class ErasureRefused(Exception):
    """The erasure was not done: the message says why."""


@dataclass(frozen=True)
class Erased:
    dossier_id: uuid.UUID
    code: str
    erased_at: datetime
    retention_until: datetime
    lawful_request: bool
    event_id: uuid.UUID

    def to_json(self) -> dict[str, Any]:
        return {"dossier_id": str(self.dossier_id), "code": self.code,
                "erased_at": self.erased_at.isoformat(),
                "retention_until": self.retention_until.isoformat(),
                "lawful_request": self.lawful_request, "event_id": str(self.event_id)}


def retention_until(dossier: Any, catalogue: Catalogue) -> datetime:
    """When the procedure's retention period ends: years after the dossier ended (after it was
    received while it has not ended, which alone never allows an erasure)."""
    procedure = catalogue.procedures.get(dossier.procedure_code)
    years = procedure.retention_years if procedure else DEFAULT_RETENTION_YEARS
    start = dossier.ended_at or dossier.received_at
    return start + timedelta(days=round(365.25 * years))


async def erase(database_url: str, code: str, *, reason: str, by: str, lawful_request: bool,
                signer: Signer, topic: str, catalogue: Catalogue | None = None,
                now: datetime | None = None) -> Erased:
    """Erase the personal data of the dossier `code`, or ErasureRefused."""
    catalogue = catalogue or default_catalogue()
    now = now or datetime.now(timezone.utc)
    if not reason.strip():
        raise ErasureRefused("give the reason (--reason): the retention rule or the lawful "
                             "request's reference")
    engine = create_async_engine(engine_url(database_url))
    try:
        async with engine.begin() as db:
            dossier = (await db.execute(select(Dossier.__table__).where(
                Dossier.code == code).with_for_update())).first()
            if dossier is None:
                raise ErasureRefused(f"no dossier {code}")
            until = retention_until(dossier, catalogue)
            if not lawful_request:
                if dossier.ended_at is None:
                    raise ErasureRefused(f"dossier {code} is still being processed: its "
                                         "retention period has not begun (--lawful-request "
                                         "if the law orders the erasure now)")
                if now < until:
                    raise ErasureRefused(f"dossier {code} is kept until {until:%Y-%m-%d} (the "
                                         "procedure's retention period); --lawful-request if "
                                         "the law orders the erasure now")
            if dossier.last_event_id is None:
                raise ErasureRefused(f"dossier {code} has no event yet: try again in a moment")
            try:
                record = await erase_key(db, dossier.id, reason=reason.strip(), erased_by=by,
                                         lawful_request=lawful_request, now=now)
            except PrivacyProblem as problem:
                raise ErasureRefused(str(problem)) from None
            event = new_event(
                PersonalDataErased, dossier_id=dossier.id, agency=dossier.agency,
                producer=signer.producer, sign=signer.sign, actor=by, occurred_at=now,
                cause=Cause(dossier.last_event_id, dossier.last_event_hash,  # type: ignore[arg-type]
                            dossier.id, dossier.agency),
                reason=reason.strip(), lawful_request=lawful_request, retention_until=until)
            await db.execute(insert(OUTBOX), [OutgoingMessage.for_event(topic, event).as_row()])
    finally:
        await engine.dispose()
    assert record.erased_at is not None
    return Erased(dossier.id, code, record.erased_at, until, lawful_request, event.event_id)


async def past_retention(database_url: str, catalogue: Catalogue | None = None,
                         now: datetime | None = None) -> list[str]:
    """The codes of the ended dossiers whose retention period is over and whose personal data
    is not erased yet."""
    catalogue = catalogue or default_catalogue()
    now = now or datetime.now(timezone.utc)
    engine = create_async_engine(engine_url(database_url))
    try:
        async with engine.connect() as db:
            rows = (await db.execute(
                select(Dossier.__table__).where(Dossier.ended_at.is_not(None))
                .where(Dossier.id.in_(select(DOSSIER_KEYS.c.dossier_id).where(
                    DOSSIER_KEYS.c.wrapped_key.is_not(None)))))).all()
    finally:
        await engine.dispose()
    return sorted(row.code for row in rows if retention_until(row, catalogue) <= now)


async def rewrap(database_url: str, old_master: bytes, new_master: bytes) -> int:
    engine = create_async_engine(engine_url(database_url))
    try:
        async with engine.begin() as db:
            return await rewrap_all(db, old_master, new_master)
    finally:
        await engine.dispose()


def add_parser(commands: Any) -> None:
    privacy = commands.add_parser("privacy", help="erase an applicant's personal data "
                                                  "(crypto-shredding); the master key")
    actions = privacy.add_subparsers(dest="privacy_command", required=True)
    erase_command = actions.add_parser(
        "erase", help="destroy a dossier's data key: its applicant becomes unreadable everywhere")
    erase_command.add_argument("code", help="the dossier's code")
    erase_command.add_argument("--reason", required=True,
                               help="the retention rule or the lawful request's reference "
                                    "(recorded in the event and the key store: no personal "
                                    "details)")
    erase_command.add_argument("--lawful-request", action="store_true",
                               help="erase before the end of the retention period, as the law "
                                    "orders (Decree 13/2023, art. 16)")
    erase_command.add_argument("--by", default=None,
                               help="the operator's login (default: $USER)")
    erase_command.add_argument("--json", action="store_true")
    sweep = actions.add_parser("sweep", help="erase every ended dossier whose retention period "
                                             "is over")
    sweep.add_argument("--reason", default="hết thời hạn lưu trữ (retention period over)")
    sweep.add_argument("--by", default=None)
    sweep.add_argument("--dry-run", action="store_true", help="list them, erase nothing")
    actions.add_parser("master-key", help="print a new master key (base64, 32 bytes) for "
                                          "MOTCUA_PRIVACY_MASTER_KEY or its _FILE")
    rewrap_command = actions.add_parser(
        "rewrap", help="wrap every living data key under a new master key (from the current "
                       "one, MOTCUA_PRIVACY_MASTER_KEY or its _FILE); then give the services the "
                       "new key and destroy the old")
    rewrap_command.add_argument("new_key_file", help="a file holding the new master key")


def run(args: argparse.Namespace, database_url: str | None, signer_of: Any,
        topic: str) -> int:
    if args.privacy_command == "master-key":
        print(generate_master_key())
        return 0
    if not database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    import getpass

    by = f"operator:{args.by or getpass.getuser()}"
    if args.privacy_command == "rewrap":
        from motcua_cli.keys import privacy_master_key
        from motcua_privacy import MASTER_KEY_FILE_ENV, master_key_from_env

        try:
            new = master_key_from_env({MASTER_KEY_FILE_ENV: args.new_key_file})
            count = asyncio.run(rewrap(database_url, privacy_master_key(), new))
        except PrivacyProblem as problem:
            raise SystemExit(f"not rewrapped: {problem}") from None
        print(f"{count} data keys wrapped under the new master key: give it to intake, signing "
              "and delivery (MOTCUA_PRIVACY_MASTER_KEY_FILE), restart them, then destroy the "
              "old one")
        return 0
    if args.privacy_command == "sweep":
        codes = asyncio.run(past_retention(database_url))
        for code in codes:
            if args.dry_run:
                print(code)
                continue
            try:
                asyncio.run(erase(database_url, code, reason=args.reason, by=by,
                                  lawful_request=False, signer=signer_of(), topic=topic))
                print(f"erased {code}")
            except ErasureRefused as refused:
                print(f"not erased {code}: {refused}")
        return 0
    try:
        erased = asyncio.run(erase(database_url, args.code, reason=args.reason, by=by,
                                   lawful_request=args.lawful_request, signer=signer_of(),
                                   topic=topic))
    except ErasureRefused as refused:
        raise SystemExit(f"not erased: {refused}") from None
    if args.json:
        print(json.dumps(erased.to_json()))
    else:
        print(f"erased the personal data of dossier {erased.code} ({erased.dossier_id}) at "
              f"{erased.erased_at:%Y-%m-%d %H:%M:%S %Z}; event {erased.event_id} queued in "
              "intake's outbox")
    return 0
