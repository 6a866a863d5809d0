"""`motcua portal status` / `motcua portal retry CODE`: how the sync with the national portal
stands (motcua_portal.standing), and a dossier's sync made due now."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from motcua_cli import stackfile
from motcua_runtime.db import create_engine


def add_parser(commands: Any) -> None:
    portal = commands.add_parser("portal", help="the sync with the national public service "
                                                "portal: status, retry a dossier")
    actions = portal.add_subparsers(dest="portal_command", required=True)
    status = actions.add_parser("status", help="calls owed to the portal, dossiers failing")
    status.add_argument("--json", action="store_true")
    retry = actions.add_parser("retry", help="send a dossier's owed calls now")
    retry.add_argument("code", help="the dossier's code")


async def _run(args: argparse.Namespace, database_url: str) -> int:
    from motcua_portal.standing import behind, retry_now

    engine = create_engine(database_url, pool_size=1)
    try:
        if args.portal_command == "retry":
            if not await retry_now(engine, args.code):
                raise SystemExit(f"{args.code}: the portal sync knows no such dossier")
            print(f"{args.code}: due now (the running portal sync sends its calls)")
            return 0
        standing = await behind(engine)
    finally:
        await engine.dispose()
    if args.json:
        print(json.dumps(standing, ensure_ascii=False, indent=2))
        return 0
    print(f"{standing['dossiers']} dossiers known, {standing['pending_calls']} calls owed")
    for row in standing["behind"]:
        print(f"{row['code']}  owed={row['owed']}  failures={row['attempts']}  "
              f"next={row['next_attempt_at'] or 'now'}  {row['last_error'] or ''}")
    return 0


def run(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    return asyncio.run(_run(args, current.database_url))
