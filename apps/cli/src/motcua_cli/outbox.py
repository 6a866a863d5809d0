"""`motcua outbox`: the outbox rows a relay parked (too large, refused by the broker, or behind a
parked row of the same dossier): list them, let the relay try again, or drop one with a reason."""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import json
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_cli import CONSUMERS as SERVICES
from motcua_cli import parse_service_row, stackfile
from motcua_runtime.db import create_engine, outbox_table
from motcua_runtime.outbox import DROPPED, behind


def add_outbox_command(commands: Any) -> argparse.ArgumentParser:
    """Register `outbox` on the subparsers of `motcua`."""
    outbox = commands.add_parser("outbox", help="outbox rows the relays parked: list, retry, drop")
    actions = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = actions.add_parser("list", help="parked rows (id, topic, key, size, reason, when)")
    listing.add_argument("--service", choices=SERVICES)
    listing.add_argument("--dropped", action="store_true", help="also the rows dropped before")
    listing.add_argument("--json", action="store_true")
    retry = actions.add_parser("retry", help="clear a parked row (and the rows parked behind "
                                             "it) so its relay sends it again")
    target = retry.add_mutually_exclusive_group(required=True)
    target.add_argument("row", nargs="?", metavar="SERVICE:ID")
    target.add_argument("--all", action="store_true", help="every parked row (of --service)")
    retry.add_argument("--service", choices=SERVICES)
    drop = actions.add_parser("drop", help="mark a parked row handled without sending it; the "
                                           "rows parked behind it are released")
    drop.add_argument("row", metavar="SERVICE:ID")
    drop.add_argument("--reason", required=True)
    return outbox


async def _outboxes(engine: AsyncEngine, only: str | None) -> dict[str, Table]:
    """The services whose schema has a parkable outbox in this database."""
    async with engine.connect() as connection:
        schemas = set((await connection.execute(text(
            "SELECT table_schema FROM information_schema.columns "
            "WHERE table_name = 'outbox' AND column_name = 'parked_at'"))).scalars())
    return {s: outbox_table(MetaData(schema=s)) for s in SERVICES
            if s in schemas and (only is None or s == only)}


def _outstanding(outbox: Table) -> Any:
    return (outbox.c.parked_at.is_not(None), outbox.c.sent_at.is_(None),
            outbox.c.park_reason.not_like(f"{DROPPED}%"))


def _header_bytes(headers: list[list[str]]) -> int:
    return sum(len(name.encode()) + len(base64.b64decode(value)) for name, value in headers)


async def list_parked(engine: AsyncEngine, service: str | None = None,
                      dropped: bool = False) -> list[dict[str, Any]]:
    found = []
    for name, outbox in (await _outboxes(engine, service)).items():
        condition = (outbox.c.parked_at.is_not(None), outbox.c.sent_at.is_(None)) if dropped \
            else _outstanding(outbox)
        async with engine.connect() as connection:
            rows = (await connection.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.key,
                       func.octet_length(outbox.c.value).label("value_bytes"), outbox.c.headers,
                       outbox.c.park_reason, outbox.c.parked_at, outbox.c.created_at)
                .where(*condition).order_by(outbox.c.id))).all()
        for row in rows:
            found.append({
                "service": name, "id": row.id, "topic": row.topic,
                "key": row.key.decode(errors="replace") if row.key is not None else None,
                # key + value + headers, without Kafka's framing (the reason has the exact size)
                "size": len(row.key or b"") + row.value_bytes + _header_bytes(row.headers),
                "reason": row.park_reason, "parked_at": row.parked_at.isoformat(),
                "created_at": row.created_at.isoformat()})
    return found


async def retry_parked(engine: AsyncEngine, service: str | None = None,
                       row_id: int | None = None) -> list[tuple[str, int]]:
    """Clear `parked_at` of one parked row and the rows parked behind it (or of every parked
    row): the relay sends them again, in id order. The reason stays, as history."""
    released = []
    for name, outbox in (await _outboxes(engine, service)).items():
        condition = list(_outstanding(outbox))
        if row_id is not None:
            condition.append(or_(outbox.c.id == row_id, outbox.c.park_reason == behind(row_id)))
        async with engine.begin() as connection:
            ids = (await connection.execute(
                update(outbox).where(*condition).values(parked_at=None)
                .returning(outbox.c.id))).scalars().all()
        released += [(name, i) for i in sorted(ids)]
    return released


async def drop_parked(engine: AsyncEngine, service: str, row_id: int, reason: str,
                      by: str) -> list[tuple[str, int]]:
    """Mark a parked row handled without sending it: parked_at stays, the reason gets the
    `dropped: ` marker (sent_at stays null: it was never published). The rows parked behind it
    are released. Returns the dropped row, then the released ones."""
    outbox = (await _outboxes(engine, service)).get(service)
    if outbox is None:
        raise SystemExit(f"no outbox of {service} in this database")
    when = f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S%z}"
    async with engine.begin() as connection:
        done = (await connection.execute(
            update(outbox).where(outbox.c.id == row_id, *_outstanding(outbox))
            .values(park_reason=f"{DROPPED}{reason} (by {by} at {when}; parked for: "
                    + outbox.c.park_reason + ")")
            .returning(outbox.c.id))).scalars().all()
        if not done:
            raise SystemExit(f"{service}:{row_id} is not a parked row")
        released = (await connection.execute(
            update(outbox).where(*_outstanding(outbox), outbox.c.park_reason == behind(row_id))
            .values(parked_at=None).returning(outbox.c.id))).scalars().all()
    return [(service, row_id), *((service, i) for i in sorted(released))]


async def _run(args: argparse.Namespace, database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        if args.outbox_command == "list":
            rows = await list_parked(engine, args.service, args.dropped)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not rows:
                print("no parked outbox rows")
            for row in [] if args.json else rows:
                print(f"{row['service']}:{row['id']}  {row['topic']}  key={row['key']}  "
                      f"{row['size']} B  parked {row['parked_at']}  {row['reason']}")
            return 0
        if args.outbox_command == "retry":
            if args.all:
                released = await retry_parked(engine, args.service)
            else:
                service, row_id = parse_service_row(args.row, "intake:42")
                released = await retry_parked(engine, service, row_id)
                if not released:
                    raise SystemExit(f"{args.row} is not a parked row")
            print(f"released {len(released)}: " + " ".join(f"{s}:{i}" for s, i in released))
            return 0
        service, row_id = parse_service_row(args.row, "intake:42")
        done = await drop_parked(engine, service, row_id, args.reason, getpass.getuser())
        print(f"dropped {service}:{row_id}; released behind it: "
              + (" ".join(f"{s}:{i}" for s, i in done[1:]) or "none"))
        return 0
    finally:
        await engine.dispose()


def run_outbox(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    return asyncio.run(_run(args, current.database_url))
