"""`motcua access-log [--code C] [--officer N] [--since T] [--limit 200] [--json]`: officers'
reads of personal data (a dossier's files, a dossier with its applicant), newest first, from
the running stack's intake API (`GET /api/personal-data-reads`). It signs an auditor's token
with the token issuer's key (MOTCUA_TOKEN_ISSUER_PRIVATE_KEY, else the data folder's:
motcua_cli.tokens), as `motcua report` does."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

import httpx

from motcua_cli import stackfile
from motcua_cli.report import problem_message
from motcua_cli.tokens import mint
from motcua_runtime.officers import Officer


def _moment(text: str) -> datetime:
    """ISO 8601, a day or a time; without an offset it is Vietnam time (as officers read it)."""
    from motcua_catalogue import VIETNAM

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ISO 8601, e.g. 2026-12-03 or 2026-12-03T08:00:00+07:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 to 1000")
    return int(text)


def add_access_log_command(commands: Any) -> argparse.ArgumentParser:
    """Register `access-log` on the subparsers of `motcua`."""
    parser = commands.add_parser(
        "access-log", help="officers' reads of personal data (files and dossiers), newest "
                           "first, for the auditor")
    parser.add_argument("--code", help="a dossier's code")
    parser.add_argument("--officer", help="an officer's name, as their token says it")
    parser.add_argument("--since", type=_moment, metavar="TIME",
                        help="from this day or time on (ISO 8601; without an offset, Vietnam "
                             "time)")
    parser.add_argument("--limit", type=_limit, default=200, metavar="N",
                        help="at most this many reads, 1 to 1000 (default 200)")
    parser.add_argument("--json", action="store_true", help="print the reads as JSON")
    parser.set_defaults(handler=run_access_log)
    return parser


def run_access_log(args: argparse.Namespace, stack: stackfile.Stack | None = None) -> int:
    stack = stack or stackfile.read(args.data_dir)
    if not stack.api_url:
        raise SystemExit("no running API: start `motcua up` or set MOTCUA_API_URL")
    token = mint(args.data_dir, Officer("motcua-access-log", "*", "auditor"), hours=0.25)
    params: dict[str, str | int] = {"limit": args.limit}
    if args.code:
        params["code"] = args.code
    if args.officer:
        params["officer"] = args.officer
    if args.since:
        params["since"] = args.since.isoformat()
    try:
        response = httpx.get(f"{stack.api_url.rstrip('/')}/api/personal-data-reads",
                             params=params, headers={"Authorization": f"Bearer {token}"},
                             timeout=60)
    except httpx.HTTPError as error:
        raise SystemExit(f"cannot reach {stack.api_url}: {error}") from None
    if response.status_code != 200:
        raise SystemExit(f"the API answered {response.status_code}: {problem_message(response)}")
    if args.json:
        sys.stdout.write(json.dumps(response.json(), ensure_ascii=False, indent=2) + "\n")
    else:
        show(response.json())
    return 0


def show(reads: list[dict[str, Any]]) -> None:
    """A table, times in Vietnam time (said in the header)."""
    from rich.console import Console
    from rich.table import Table

    from motcua_catalogue import VIETNAM

    table = Table(title=f"{len(reads)} reads of personal data, newest first")
    for column in ("read at (Vietnam time)", "officer", "agency", "role", "dossier", "what",
                   "client"):
        table.add_column(column)
    for read in reads:
        at = datetime.fromisoformat(read["read_at"]).astimezone(VIETNAM)
        what = read["what"] if read["sha256"] is None else f"file {read['sha256'][:12]}…"
        table.add_row(f"{at:%Y-%m-%d %H:%M:%S}", read["officer"], read["agency"], read["role"],
                      read["dossier_code"], what, read["client"] or "-")
    Console(width=160).print(table)
