"""`motcua report`: the figures of form II.06a per agency, procedure or field over a period, from
the running stack's intake API, as a table, JSON or CSV. It signs an administrator's token with the
token issuer's key (MOTCUA_TOKEN_ISSUER_PRIVATE_KEY, else the data folder's: motcua_cli.tokens)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

import httpx

from motcua_cli import stackfile
from motcua_cli.tokens import mint
from motcua_runtime.officers import Officer


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def add_report_command(commands: Any) -> argparse.ArgumentParser:
    """Register `report` on the subparsers of `motcua`."""
    report = commands.add_parser(
        "report", help="dossiers received, resolved early/on time/late, in progress, "
                       "satisfaction: per agency, procedure or field (form II.06a)")
    report.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD",
                        help="first day of the period (default: the 1st of this month)")
    report.add_argument("--to", dest="last", type=_day, metavar="YYYY-MM-DD",
                        help="last day of the period, included (default: today)")
    report.add_argument("--by", choices=("agency", "receiving_unit", "procedure", "field"),
                        default="agency", help="group by the competent agency, the unit that "
                                               "received the dossier, the procedure or the field")
    output = report.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    output.add_argument("--csv", action="store_true", help="print the report as CSV")
    report.set_defaults(handler=run_report)
    return report


def run_report(args: argparse.Namespace, stack: stackfile.Stack | None = None) -> int:
    if args.first and args.last and args.last < args.first:
        raise SystemExit(f"--to {args.last} is before --from {args.first}")
    stack = stack or stackfile.read(args.data_dir)
    if not stack.api_url:
        raise SystemExit("no running API: start `motcua up` or set MOTCUA_API_URL")
    token = mint(args.data_dir, Officer("motcua-report", "*", "admin"), hours=0.25)
    params = {"by": args.by, "format": "csv" if args.csv else "json"}
    if args.first:
        params["from"] = args.first.isoformat()
    if args.last:
        params["to"] = args.last.isoformat()
    try:
        response = httpx.get(f"{stack.api_url.rstrip('/')}/api/reports", params=params,
                             headers={"Authorization": f"Bearer {token}"}, timeout=120)
    except httpx.HTTPError as error:
        raise SystemExit(f"cannot reach {stack.api_url}: {error}") from None
    if response.status_code != 200:
        raise SystemExit(f"the API answered {response.status_code}: {problem_message(response)}")
    if args.csv:
        sys.stdout.write(response.text)
    elif args.json:
        sys.stdout.write(response.text + "\n")
    else:
        show(response.json())
    return 0


def problem_message(response: httpx.Response) -> str:
    """What an API's problem answer says (its `detail`), else the start of its body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return str(detail.get("message", detail) if isinstance(detail, dict) else detail)


def show(report: dict[str, Any]) -> None:
    """A table: received (carried over + new), resolved early/on time/late, in progress (of
    which late), average working days, % online, satisfaction score."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report['from']} → {report['to']} (by {report['by']})")
    for column in ("group", "received", "early/on time/late", "in progress (late)", "avg days",
                   "% online", "score"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for group in [*report["groups"], report["total"]]:
        received, resolved = group["received"], group["resolved"]
        progress = group["in_progress"]
        table.add_row(
            group["name"] if group["key"] == "*" else f"{group['key']} {group['name']}",
            f"{received['total']} ({received['carried_over']} carried over)",
            f"{resolved['early']}/{resolved['on_time']}/{resolved['late']}",
            f"{progress['total']} ({progress['late']})",
            _or_dash(group["average_processing_days"]), _or_dash(group["online_share"]),
            _or_dash(group["satisfaction"]["average_score"]))
    Console().print(table)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)
