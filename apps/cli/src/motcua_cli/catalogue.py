"""`motcua catalogue`: import a catalogue export as a new version, list the versions, or check
a file without storing it (docs/catalogue.md).

`import` validates the whole file first (the first error is printed as FILE:LINE: reason, exit
1, nothing stored) and then stores it as one row in one transaction: a catalogue is in the
database whole or not at all. Dossiers already received keep the version they were received
under; the new one applies to dossiers received from its effective time."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from motcua_cli.stackfile import Stack

USAGE_ERROR = 2


def register(commands: argparse._SubParsersAction) -> None:
    catalogue = commands.add_parser("catalogue", help="import and list catalogue versions")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="the stack's database (default: the running "
                                               "stack's, or DATABASE_URL)")
    actions = catalogue.add_subparsers(dest="action", required=True)
    load = actions.add_parser("import", help="validate FILE and store it as the next version",
                              parents=[common])
    load.add_argument("file", type=Path)
    load.add_argument("--by", default="admin", help="who imports it (kept with the version)")
    check = actions.add_parser("check", help="validate FILE only; store nothing")
    check.add_argument("file", type=Path)
    listing = actions.add_parser("versions", help="the stored versions", parents=[common])
    listing.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, stack: Stack) -> int:
    from motcua_catalogue import CatalogueError
    from motcua_catalogue.export import read_export

    try:
        if args.action in ("import", "check"):
            export = read_export(args.file)
            if args.action == "check":
                print(f"{args.file}: {len(export.catalogue.procedures)} procedures, "
                      f"{len(export.catalogue.agencies)} agencies, effective from "
                      f"{export.effective_from.isoformat()}")
                return 0
        database_url = args.database_url or stack.database_url
        if not database_url:
            print(f"motcua catalogue {args.action}: no database: start `motcua up`, set "
                  "DATABASE_URL or pass --database-url", file=sys.stderr)
            return USAGE_ERROR
        return asyncio.run(_with_database(args, database_url))
    except CatalogueError as error:
        print(f"motcua catalogue {args.action}: {error}", file=sys.stderr)
        return 1
    except (OSError, DBAPIError) as error:
        reason = str(error).splitlines()[0]
        print(f"motcua catalogue {args.action}: database unavailable: {reason}", file=sys.stderr)
        return 1


async def _with_database(args: argparse.Namespace, database_url: str) -> int:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from motcua_catalogue.export import read_export
    from motcua_catalogue.working_time import VIETNAM
    from motcua_intake.catalogue_versions import list_versions, store_version
    from motcua_runtime.db import create_engine

    engine = create_engine(database_url, pool_size=1)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session:
            if args.action == "versions":
                versions = await list_versions(session)
                rows = [{"version": v.version,
                         "effective_from": v.effective_from.astimezone(VIETNAM).isoformat(),
                         "title": v.title, "procedures": v.procedures, "agencies": v.agencies,
                         "source": v.source, "sha256": v.sha256,
                         "imported_at": v.imported_at.astimezone(VIETNAM).isoformat(),
                         "imported_by": v.imported_by}
                        for v in versions]
                if args.json:
                    print(json.dumps(rows, ensure_ascii=False, indent=2))
                for row in [] if args.json else rows:
                    print(f"{row['version']:>4}  from {row['effective_from']}  "
                          f"{row['procedures']:>4} procedures  {row['title']}")
                if not rows and not args.json:
                    print("no imported version: the catalogue shipped with the code is in force")
                return 0
            document = args.file.read_text(encoding="utf-8-sig")
            export = read_export(args.file)
            async with session.begin():
                stored = await store_version(session, export, document,
                                             source=args.file.name, imported_by=args.by)
        print(f"version {stored.version}: {stored.procedures} procedures, {stored.agencies} "
              f"agencies, in force from {stored.effective_from.astimezone(VIETNAM).isoformat()} "
              "for dossiers "
              "received from then on")
        return 0
    finally:
        await engine.dispose()
