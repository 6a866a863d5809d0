"""`motcua portal status` / `motcua portal retry CODE`: how the sync with the national portal
stands (motcua_portal.standing), and a dossier's sync made due now. `motcua portal
check-catalogue`: the catalogue in force against the portal's own (motcua_portal.catalogue_check),
exit status 1 when anything differs, 2 when the portal cannot be asked."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone
from typing import Any

from motcua_cli import stackfile
from motcua_runtime.db import create_engine


def add_parser(commands: Any) -> None:
    portal = commands.add_parser("portal", help="the sync with the national public service "
                                                "portal: status, retry a dossier, check the "
                                                "catalogue's codes")
    actions = portal.add_subparsers(dest="portal_command", required=True)
    status = actions.add_parser("status", help="calls owed to the portal, dossiers failing")
    status.add_argument("--json", action="store_true")
    retry = actions.add_parser("retry", help="send a dossier's owed calls now")
    retry.add_argument("code", help="the dossier's code")
    check = actions.add_parser(
        "check-catalogue", help="compare the catalogue in force with the portal's (LayThuTuc, "
                                "LayDanhMucCoQuan): codes, names, time limits, fees")
    check.add_argument("--json", action="store_true")


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


async def _check_catalogue(args: argparse.Namespace, database_url: str) -> int:
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError

    from motcua_catalogue.catalogue import CatalogueError, default_catalogue
    from motcua_intake.catalogue_versions import CatalogueVersions
    from motcua_portal.catalogue_check import compare
    from motcua_portal.client import PortalClient, PortalUnavailable
    from motcua_portal.portal_catalogue import read_portal_catalogue
    from motcua_portal.settings import PortalSettings

    try:
        settings = PortalSettings(database_url=database_url)
    except ValidationError as error:  # the same PORTAL_* variables as the sync
        problems = "; ".join(f"{'PORTAL_' + str(item['loc'][0]).upper() if item['loc'] else ''}"
                             f" {item['msg']}".strip() for item in error.errors())
        return _failed(f"the portal's settings: {problems}")
    except OSError as error:  # PORTAL_PASSWORD_FILE unreadable
        return _failed(f"the portal's settings: {error}")
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            catalogue = await CatalogueVersions(default_catalogue()).in_force(
                connection, datetime.now(timezone.utc))
    except CatalogueError as error:  # MOTCUA_CATALOGUE names a file that is wrong
        return _failed(f"the catalogue: {error}")
    except (OSError, DBAPIError) as error:
        return _failed(f"database unavailable: {str(error).splitlines()[0]}")
    finally:
        await engine.dispose()
    client = PortalClient(settings)
    try:
        portal = await read_portal_catalogue(client, settings, catalogue.procedures)
    except PortalUnavailable as error:
        return _failed(f"the portal at {settings.url} could not be asked: {error}")
    finally:
        await client.close()
    differences = compare(catalogue, portal)
    checked = {"catalogue_version": catalogue.version, "portal": settings.url,
               "procedures": len(catalogue.procedures), "agencies": len(catalogue.agencies),
               "differences": [item.as_dict() for item in differences]}
    if args.json:
        print(json.dumps(checked, ensure_ascii=False, indent=2))
    else:
        for item in differences:
            print(f"{item.kind:<18} {item.code:<14} {item.what}\n"
                  f"{'':<33}ours: {item.ours or '-'}  portal: {item.portal or '(not known)'}")
        print(f"catalogue version {catalogue.version}: {len(catalogue.procedures)} procedures, "
              f"{len(catalogue.agencies)} agencies checked against {settings.url}: "
              f"{len(differences) or 'no'} difference{'' if len(differences) == 1 else 's'}")
    return 1 if differences else 0


def _failed(reason: str) -> int:
    print(f"motcua portal check-catalogue: {reason}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    if args.portal_command == "check-catalogue":
        return asyncio.run(_check_catalogue(args, current.database_url))
    return asyncio.run(_run(args, current.database_url))
