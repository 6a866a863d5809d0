"""`motcua keys`: the signing keys of this installation's service instances and their registry
(see motcua_runtime.keys): create them for development, list, rotate, revoke."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from motcua_runtime.keys import KeyProblem, load_registry, revoke, rotate


def add_parser(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="signing keys and their registry")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    init = actions.add_parser("init", help="create a key for each stage (and agency instance) "
                                           "that has none; each shared key may sign for every "
                                           "agency but those given an --instance (a shared key "
                                           "of another scope is replaced)")
    init.add_argument("--instance", action="append", default=[], metavar="STAGE:AGENCY",
                      help="also create a key for an agency's own instance (repeatable)")
    actions.add_parser("list", help="show the registry")
    rotate_ = actions.add_parser("rotate", help="give an instance a new key; the old one stops "
                                                "signing after --grace-hours")
    rotate_.add_argument("instance", metavar="STAGE[.AGENCY]")
    rotate_.add_argument("--grace-hours", type=float, default=24.0)
    revoke_ = actions.add_parser("revoke", help="revoke a key from a time on (default now)")
    revoke_.add_argument("key_id")
    revoke_.add_argument("--at", type=_moment, help="ISO time with offset, e.g. "
                                                    "2026-05-01T08:00:00+07:00")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset")
    return moment


def run(args: argparse.Namespace, keys_dir: Path, agencies: dict[str, list[str]]) -> int:
    from motcua_cli.up import ensure_dev_keys

    console = Console(highlight=False)
    try:
        if args.keys_command == "init":
            created = ensure_dev_keys(keys_dir, agencies)
            console.print(f"keys in {keys_dir}: "
                          + (f"created {', '.join(created)}" if created else "nothing to create"))
        elif args.keys_command == "list":
            show(keys_dir, console)
        elif args.keys_command == "rotate":
            service, _, agency = args.instance.partition(".")
            record = rotate(keys_dir, service, agency or None,
                            grace=timedelta(hours=args.grace_hours))
            console.print(f"new key {record.key_id}; restart {record.instance} to sign with it")
        elif args.keys_command == "revoke":
            record = revoke(keys_dir, args.key_id, args.at)
            console.print(f"{record.key_id} revoked from {record.revoked_at.isoformat()}")
    except KeyProblem as problem:
        raise SystemExit(str(problem)) from None
    return 0


def show(keys_dir: Path, console: Console) -> None:
    registry = load_registry(keys_dir)
    now = datetime.now(timezone.utc)
    table = Table(title=f"Key registry {registry.path}", title_justify="left")
    for column in ("key id", "service", "may sign for", "valid from", "valid until",
                   "revoked", "now"):
        table.add_column(column)
    for record in sorted(registry.keys.values(), key=lambda r: (r.instance, r.key_id)):
        problem = record.problem_at(now)
        table.add_row(record.key_id, record.service, str(record.scope),
                      record.valid_from.isoformat(), _iso(record.valid_until),
                      _iso(record.revoked_at), "[red]not valid[/]" if problem else "valid")
    console.print(table)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"
