"""`motcua dlq`: the records each consumer could not apply (its `dead_letters` table): list them,
show one, ask for a retry or a skip.

The command only writes the request into the row (`requested`, `requested_by`,
`request_reason`); the running consumer of that service carries it out
(motcua_runtime.dead_letter_desk), because only it knows its handlers and the order of the
dossier's events, and records the outcome in the row and as a `DeadLetterResolved` event."""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import json
from typing import Any

from sqlalchemy import MetaData, Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_cli import CONSUMERS as SERVICES
from motcua_cli import parse_service_row, stackfile
from motcua_runtime.db import (
    DEAD,
    DEAD_LETTER_STATES,
    PARKED,
    WAITING,
    create_engine,
    dead_letters_table,
)
from motcua_runtime.dead_letter_desk import RETRY, SKIP

OPEN_STATES = (DEAD, PARKED, WAITING)  # what `list` shows unless --state says otherwise
RESOLVABLE = (DEAD, PARKED)  # a waiting row is resolved with the parked one it waits behind


def add_dlq_command(commands: Any) -> argparse.ArgumentParser:
    """Register `dlq` on the subparsers of `motcua`."""
    dlq = commands.add_parser("dlq", help="records the consumers could not apply: list, show, "
                                          "retry, skip")
    actions = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = actions.add_parser("list", help="dead letters (id, state, type, dossier, reason)")
    listing.add_argument("--service", choices=SERVICES)
    listing.add_argument("--state", action="append", choices=DEAD_LETTER_STATES,
                         help="repeatable; default: dead, parked and waiting")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one dead letter with its headers and value")
    show.add_argument("row", metavar="SERVICE:ID")
    retry = actions.add_parser("retry", help="ask the consumer to apply a parked (or dead) "
                                             "record again, then the events waiting behind it")
    target = retry.add_mutually_exclusive_group(required=True)
    target.add_argument("row", nargs="?", metavar="SERVICE:ID")
    target.add_argument("--all", action="store_true", help="every parked row (of --service)")
    retry.add_argument("--service", choices=SERVICES)
    skip = actions.add_parser("skip", help="ask the consumer to set a record aside; the events "
                                           "waiting behind it are then applied")
    skip.add_argument("row", metavar="SERVICE:ID")
    skip.add_argument("--reason", required=True)
    return dlq


async def _tables(engine: AsyncEngine, only: str | None) -> dict[str, Table]:
    """The services whose schema has a dead_letters table in this database."""
    async with engine.connect() as connection:
        schemas = set((await connection.execute(text(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'dead_letters'"))).scalars())
    return {s: dead_letters_table(MetaData(schema=s)) for s in SERVICES
            if s in schemas and (only is None or s == only)}


def _summary(service: str, row: Any) -> dict[str, Any]:
    return {"service": service, "id": row.id, "state": row.state, "event_type": row.event_type,
            "dossier_id": str(row.dossier_id) if row.dossier_id else None,
            "reason": row.reason, "requested": row.requested, "requested_by": row.requested_by,
            "resolution": row.resolution, "resolved_by": row.resolved_by,
            "value_bytes": row.value_bytes, "created_at": row.created_at.isoformat(),
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None}


async def list_dead_letters(engine: AsyncEngine, service: str | None = None,
                            states: list[str] | None = None) -> list[dict[str, Any]]:
    found = []
    for name, table in (await _tables(engine, service)).items():
        columns = [c for c in table.c if c.name not in ("value", "headers", "key")]
        async with engine.connect() as connection:
            rows = (await connection.execute(
                select(*columns, func.octet_length(table.c.value).label("value_bytes"))
                .where(table.c.state.in_(states or OPEN_STATES)).order_by(table.c.id))).all()
        found += [_summary(name, row) for row in rows]
    return found


async def show_dead_letter(engine: AsyncEngine, service: str, row_id: int) -> dict[str, Any]:
    table = (await _tables(engine, service)).get(service)
    if table is None:
        raise SystemExit(f"no dead letters of {service} in this database")
    async with engine.connect() as connection:
        row = (await connection.execute(
            select(table, func.octet_length(table.c.value).label("value_bytes"))
            .where(table.c.id == row_id))).one_or_none()
    if row is None:
        raise SystemExit(f"{service}:{row_id}: no such dead letter")
    shown = _summary(service, row)
    shown.update({
        "message_id": str(row.message_id), "request_reason": row.request_reason,
        "topic": row.topic, "partition": row.partition, "offset": row.offset,
        "key": row.key.decode(errors="replace") if row.key is not None else None,
        "headers": {name: base64.b64decode(value).decode(errors="replace")
                    for name, value in row.headers},
        "value": row.value.decode(errors="replace")})
    return shown


async def request(engine: AsyncEngine, what: str, by: str, *, service: str | None = None,
                  row_id: int | None = None, reason: str | None = None) -> list[tuple[str, int]]:
    """Write `what` (retry or skip) into the row(s); the running consumer does the rest. With
    no row id: every parked row (of `service`) not yet requested."""
    asked = []
    for name, table in (await _tables(engine, service)).items():
        condition = [table.c.resolved_at.is_(None)]
        if row_id is None:
            condition += [table.c.state == PARKED, table.c.requested.is_(None)]
        else:
            condition += [table.c.id == row_id, table.c.state.in_(RESOLVABLE)]
        async with engine.begin() as connection:
            ids = (await connection.execute(
                update(table).where(*condition)
                .values(requested=what, requested_by=by, request_reason=reason)
                .returning(table.c.id))).scalars().all()
        asked += [(name, i) for i in sorted(ids)]
    return asked


async def _run(args: argparse.Namespace, database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        if args.dlq_command == "list":
            rows = await list_dead_letters(engine, args.service, args.state)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not rows:
                print("no dead letters")
            for row in [] if args.json else rows:
                pending = f"  ({row['requested']} requested by {row['requested_by']})" \
                    if row["requested"] else ""
                print(f"{row['service']}:{row['id']}  {row['state']:<8} "
                      f"{row['event_type'] or '-'}  dossier={row['dossier_id'] or '-'}  "
                      f"{row['reason']}{pending}")
            return 0
        if args.dlq_command == "show":
            row = parse_service_row(args.row, "appraisal:42")
            print(json.dumps(await show_dead_letter(engine, *row), ensure_ascii=False, indent=2))
            return 0
        by = getpass.getuser()
        if args.dlq_command == "retry" and args.all:
            asked = await request(engine, RETRY, by, service=args.service)
        else:
            service, row_id = parse_service_row(args.row, "appraisal:42")
            what = RETRY if args.dlq_command == "retry" else SKIP
            asked = await request(engine, what, by, service=service, row_id=row_id,
                                  reason=getattr(args, "reason", None))
            if not asked:
                raise SystemExit(f"{args.row} is not a dead or parked row awaiting a decision")
        print(f"requested {args.dlq_command} of {len(asked)}: "
              + " ".join(f"{s}:{i}" for s, i in asked)
              + "\n(the running consumer carries it out; see `motcua dlq list --state "
                "retried --state skipped --state applied`)")
        return 0
    finally:
        await engine.dispose()


def run_dlq(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    return asyncio.run(_run(args, current.database_url))
